//! The conversation lifecycle on DynamoDB: edits, deletions and reactions of a message,
//! conversation events, number changes and their aliases.
//!
//! These changes are rare next to messages and statuses, and their rules
//! (`handlers::rules::lifecycle`) order versions and reactions in ways an update expression
//! cannot say. So each is a read, the rule applied in Rust, and a compare-and-set write of
//! only the attributes that changed: the write is conditioned on those attributes (or, for a
//! message, on its `rev`) still being what was read, and is tried again from a fresh read when
//! another writer got there first. Attributes this write does not change (a status that lands
//! meanwhile) are never overwritten.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use handlers::keys;
use handlers::model::{ConversationAliasItem, ConversationItem, ItemType, MessageItem, attr};
use handlers::rules::{self, lifecycle};
use handlers::store::{
    Annotation, ConversationEvent, CustomerLink, PageRequest, Store, StoreError,
};

use super::error::classify;
use super::{DynamoStore, Item, from_item, to_item};
use crate::store::expr::Expr;

/// How many times a compare-and-set is tried before the record is retried as a whole.
const MAX_TRIES: usize = 8;

const ALIAS_OF: &str = "aliasOf";
const REV: &str = "rev";

/// What a compare-and-set checks before writing.
enum Guard<'a> {
    /// The named attributes are as read (absent if they were absent).
    These(&'a [&'a str]),
    /// Every attribute the write changes is as read (scalars only; lists and maps are covered
    /// by `updatedAt`, which every write of them changes).
    Changed,
}

impl DynamoStore {
    /// See [`handlers::Store::annotate_message`].
    pub(super) async fn annotate(&self, a: &Annotation) -> Result<Option<MessageItem>, StoreError> {
        let pk = keys::message(&a.target);
        for _ in 0..MAX_TRIES {
            let stored = self.get_raw(&pk).await?;
            let old: Option<MessageItem> = stored.clone().map(|i| from_item(&pk, i)).transpose()?;
            let Some(new) = lifecycle::annotate(old, a) else {
                return Ok(None);
            };
            if self
                .compare_and_set(&pk, stored.as_ref(), &to_item(&new)?, Guard::These(&[REV]))
                .await?
            {
                return Ok(Some(new));
            }
        }
        Err(contended("UpdateItem(message lifecycle)"))
    }

    /// Completes an item that was there before its message (a status, or an edit, deletion or
    /// reaction that came first): the message's content, with what was waiting applied
    /// ([`rules::merge_message`]). `stored` is the item the refused `PutItem` returned. The
    /// merged message, or `None` when it was already there (a concurrent delivery).
    pub(super) async fn complete_waiting(
        &self,
        message: &MessageItem,
        mut stored: Option<Item>,
    ) -> Result<Option<MessageItem>, StoreError> {
        for _ in 0..MAX_TRIES {
            let old: Option<MessageItem> = stored
                .clone()
                .map(|i| from_item(&message.pk, i))
                .transpose()?;
            let Some(merged) = rules::merge_message(old, message) else {
                return Ok(None);
            };
            let guard = Guard::These(&[attr::TYPE, REV]);
            if self
                .compare_and_set(&message.pk, stored.as_ref(), &to_item(&merged)?, guard)
                .await?
            {
                return Ok(Some(merged));
            }
            stored = self.get_raw(&message.pk).await?;
        }
        Err(contended("UpdateItem(message)"))
    }

    /// See [`handlers::Store::apply_conversation_event`].
    pub(super) async fn conversation_event(
        &self,
        ev: &ConversationEvent,
    ) -> Result<bool, StoreError> {
        let mut ev = ev.clone();
        ev.pk = self.resolve(&ev.pk).await?;
        for _ in 0..MAX_TRIES {
            let stored = self.get_raw(&ev.pk).await?;
            let old: Option<ConversationItem> =
                stored.clone().map(|i| from_item(&ev.pk, i)).transpose()?;
            let Some(new) = lifecycle::apply_event(old, &ev) else {
                return Ok(false);
            };
            if self
                .compare_and_set(&ev.pk, stored.as_ref(), &to_item(&new)?, Guard::Changed)
                .await?
            {
                return Ok(true);
            }
        }
        Err(contended("UpdateItem(conversation event)"))
    }

    /// The conversation `pk` leads to: itself, or the one its alias names.
    pub(super) async fn resolve(&self, pk: &str) -> Result<String, StoreError> {
        Ok(self
            .get_raw(pk)
            .await?
            .as_ref()
            .and_then(alias_target)
            .unwrap_or_else(|| pk.to_string()))
    }

    /// See [`handlers::Store::link_customer`].
    pub(super) async fn link(&self, link: &CustomerLink) -> Result<(), StoreError> {
        let target = self.resolve(&link.pk).await?;
        for (alias_pk, customer_id) in &link.aliases {
            if *alias_pk != target {
                self.make_alias(alias_pk, customer_id, &target, &link.now)
                    .await?;
            }
        }
        for _ in 0..MAX_TRIES {
            let Some(stored) = self.get_raw(&target).await? else {
                return Ok(());
            };
            let conv: ConversationItem = from_item(&target, stored.clone())?;
            let Some(linked) = lifecycle::link_numbers(conv, link) else {
                return Ok(());
            };
            if self
                .compare_and_set(&target, Some(&stored), &to_item(&linked)?, Guard::Changed)
                .await?
            {
                return Ok(());
            }
        }
        Err(contended("UpdateItem(number change)"))
    }

    /// Makes `alias_pk` lead to `target`. A conversation already there (the customer wrote from
    /// the new number before the change was known) is moved into `target` first; the alias
    /// replaces it only if no message arrived meanwhile, else the move is made again.
    async fn make_alias(
        &self,
        alias_pk: &str,
        customer_id: &str,
        target: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let alias = to_item(&ConversationAliasItem {
            pk: alias_pk.to_string(),
            item_type: ItemType::ConversationAlias,
            alias_of: target.to_string(),
            customer_id: customer_id.to_string(),
            created_at: now.to_string(),
        })?;
        for _ in 0..MAX_TRIES {
            let stored = self.get_raw(alias_pk).await?;
            let condition = match &stored {
                Some(item) if alias_target(item).is_some() => return Ok(()),
                Some(item) => {
                    let started: ConversationItem = from_item(alias_pk, item.clone())?;
                    self.absorb(&started, target).await?;
                    match &started.last_message_id {
                        Some(id) => ("#last = :seen", Some(id.clone())),
                        None => ("attribute_not_exists(#last)", None),
                    }
                }
                None => ("attribute_not_exists(#pk)", None),
            };
            let mut request = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(alias.clone()))
                .condition_expression(condition.0)
                .return_consumed_capacity(ReturnConsumedCapacity::Indexes);
            request = match condition.1 {
                Some(seen) => request
                    .expression_attribute_names("#last", attr::LAST_MESSAGE_ID)
                    .expression_attribute_values(":seen", AttributeValue::S(seen)),
                None if stored.is_some() => {
                    request.expression_attribute_names("#last", attr::LAST_MESSAGE_ID)
                }
                None => request.expression_attribute_names("#pk", keys::PK),
            };
            match request.send().await {
                Ok(out) => {
                    self.count_write(1, out.consumed_capacity());
                    return Ok(());
                }
                Err(err)
                    if matches!(
                        err.as_service_error(),
                        Some(PutItemError::ConditionalCheckFailedException(_))
                    ) =>
                {
                    self.count_condition_failure();
                }
                Err(err) => return Err(classify("PutItem(alias)", err)),
            }
        }
        Err(contended("PutItem(alias)"))
    }

    /// Moves the messages of `started` into `target`, and its newest message and 24-hour window
    /// into `target`'s conversation. Each step is idempotent.
    async fn absorb(&self, started: &ConversationItem, target: &str) -> Result<(), StoreError> {
        let mut page = PageRequest {
            limit: 500,
            cursor: None,
        };
        loop {
            let found = Store::list_messages(self, &started.pk, &page).await?;
            for message in &found.items {
                let mut e = Expr::default();
                e.set_s(attr::CONVERSATION_PK, target);
                self.update(&message.pk, e, None, "UpdateItem(move message)")
                    .await?;
            }
            match found.next_cursor {
                Some(next) => page.cursor = Some(next),
                None => break,
            }
        }
        if let Some(touch) = lifecycle::absorb_touch(started, target) {
            self.merge(&touch).await?;
        }
        if let Some(inbound) = &started.last_inbound_at {
            let mut e = Expr::default();
            e.set_s(attr::LAST_INBOUND_AT, inbound);
            let (pk, name, at) = (
                e.name(keys::PK),
                e.name(attr::LAST_INBOUND_AT),
                e.s(inbound),
            );
            let condition = format!(
                "attribute_exists({pk}) AND (attribute_not_exists({name}) OR {name} < {at})"
            );
            self.update(
                target,
                e,
                Some(condition),
                "UpdateItem(conversation inbound)",
            )
            .await?;
        }
        Ok(())
    }

    /// Writes the attributes of `new` that differ from `stored` (and removes those it no longer
    /// has) if `guard` still holds. False when another writer changed the item first.
    async fn compare_and_set(
        &self,
        pk: &str,
        stored: Option<&Item>,
        new: &Item,
        guard: Guard<'_>,
    ) -> Result<bool, StoreError> {
        let mut e = Expr::default();
        let mut changed = Vec::new();
        for (name, value) in new {
            if name != keys::PK && stored.and_then(|s| s.get(name)) != Some(value) {
                e.set(name, value.clone());
                changed.push(name.as_str());
            }
        }
        for name in stored.into_iter().flat_map(|s| s.keys()) {
            if name != keys::PK && !new.contains_key(name) {
                e.remove(name);
                changed.push(name.as_str());
            }
        }
        if changed.is_empty() {
            return Ok(true);
        }
        let condition = match stored {
            None => format!("attribute_not_exists({})", e.name(keys::PK)),
            Some(stored) => {
                let checked: Vec<&str> = match guard {
                    Guard::These(names) => names.to_vec(),
                    Guard::Changed => changed
                        .iter()
                        .copied()
                        .chain([attr::UPDATED_AT])
                        .filter(|n| {
                            stored.get(*n).is_none_or(|v| {
                                !matches!(v, AttributeValue::L(_) | AttributeValue::M(_))
                            })
                        })
                        .collect(),
                };
                let mut parts = vec![format!("attribute_exists({})", e.name(keys::PK))];
                for name in checked {
                    let placeholder = e.name(name);
                    parts.push(match stored.get(name) {
                        Some(value) => format!("{placeholder} = {}", e.value(value.clone())),
                        None => format!("attribute_not_exists({placeholder})"),
                    });
                }
                parts.join(" AND ")
            }
        };
        Ok(self
            .update(pk, e, Some(condition), "UpdateItem(compare and set)")
            .await?
            .is_some())
    }
}

/// The conversation an alias item leads to.
pub(super) fn alias_target(item: &Item) -> Option<String> {
    let is_alias = matches!(
        item.get(attr::ITEM_TYPE),
        Some(AttributeValue::S(t)) if t == ItemType::ConversationAlias.as_str()
    );
    match item.get(ALIAS_OF) {
        Some(AttributeValue::S(target)) if is_alias => Some(target.clone()),
        _ => None,
    }
}

/// Another writer kept changing the item: the record is retried later.
fn contended(operation: &'static str) -> StoreError {
    StoreError::Unavailable {
        operation,
        source: "the item kept changing under concurrent writes".into(),
    }
}
