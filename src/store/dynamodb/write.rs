//! Recording a message: the message and its conversation, as two single-item writes sent at
//! the same time (one round trip), no transaction.
//!
//! Each write is safe alone, in any order, any number of times:
//! - the message is a `PutItem` conditioned on `attribute_not_exists(pk)`: the first delivery
//!   stores it, a redelivery changes nothing (`Recorded::Duplicate`, told by the refused
//!   item's `type`), and an item a status created first is completed with an `UpdateItem`
//!   conditioned on `attribute_not_exists(type)`, keeping its status;
//! - the conversation is a merge where the newest message by (time, arrival, id) wins and
//!   `lastInboundAt` only grows, so applying a message twice, or two messages in either order,
//!   gives the same item. There is no counter to double: unread counts are derived on read
//!   (`query::count_unread`).
//!
//! A crash between the two writes leaves a stored message whose conversation was not updated;
//! the record fails, is redelivered, and the redelivery's conversation merge completes it.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
};
use handlers::keys;
use handlers::model::{ItemType, MessageItem, attr};
use handlers::rules::lifecycle;
use handlers::store::{ConversationTouch, Recorded, StoreError};

use super::error::classify;
use super::{DynamoStore, to_item};
use crate::store::expr::Expr;

impl DynamoStore {
    /// See [`handlers::Store::record_message`].
    pub(super) async fn record(
        &self,
        message: &MessageItem,
        touch: &ConversationTouch,
    ) -> Result<Recorded, StoreError> {
        let (recorded, merged) = tokio::join!(self.put_message(message), self.merge(touch));
        // Either failure fails the record (it is delivered again; both writes are idempotent).
        let (recorded, settled) = recorded?;
        let merged = merged?;
        if let Some(target) = &merged {
            // The customer changed number: this id is an alias of the conversation that carries
            // on. The message moves there (idempotent, so a redelivery completes a crash here).
            let mut e = Expr::default();
            e.set_s(attr::CONVERSATION_PK, target);
            self.update(&message.pk, e, None, "UpdateItem(message conversation)")
                .await?;
            let redirected = ConversationTouch {
                pk: target.clone(),
                ..touch.clone()
            };
            self.merge(&redirected).await?;
        }
        // Changes that waited for this message: the conversation shows it as it is now.
        if let Some(mut event) = settled.and_then(|m| lifecycle::settled_event(&m, &touch.now)) {
            event.pk = merged.unwrap_or(event.pk);
            self.conversation_event(&event).await?;
        }
        Ok(recorded)
    }

    /// The message alone: stored unless it already is. The common case is a new message: one
    /// `PutItem` if no item has its pk (the cheapest request to evaluate). When an item is
    /// there, the refusal carries it back: with a `type` it is this message (a duplicate);
    /// without, a status created it first, and the message is merged into it.
    async fn put_message(
        &self,
        message: &MessageItem,
    ) -> Result<(Recorded, Option<MessageItem>), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(message)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        let stored = match result {
            Ok(out) => {
                self.count_write(1, out.consumed_capacity());
                return Ok((Recorded::New, None));
            }
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(refused)) => {
                    self.count_condition_failure();
                    refused.item().cloned()
                }
                _ => return Err(classify("PutItem(message)", err)),
            },
        };
        if stored
            .as_ref()
            .is_some_and(|item| item.contains_key(attr::TYPE))
        {
            return Ok((Recorded::Duplicate, None));
        }
        // A status, edit, deletion or reaction came first: the message completes that item,
        // keeping its status and applying what waited (`lifecycle::complete_waiting`).
        match self.complete_waiting(message, stored).await? {
            Some(merged) => Ok((Recorded::New, Some(merged))),
            // A concurrent delivery of the same message completed it first.
            None => Ok((Recorded::Duplicate, None)),
        }
    }

    /// The conversation alone: the newest message's fields when this one is the newest, else
    /// only `lastInboundAt` when this inbound message is newer than the stored one. The second
    /// request is sent only when the first one's condition failed (an older message).
    /// `Some(pk)` when `touch.pk` is an alias (a number change): nothing was written, and the
    /// message belongs to the conversation `pk`.
    pub(super) async fn merge(
        &self,
        touch: &ConversationTouch,
    ) -> Result<Option<String>, StoreError> {
        let (e, condition) = newest_update(touch);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&touch.pk)))
            .update_expression(e.update_expression())
            .condition_expression(condition)
            .set_expression_attribute_names(e.names_opt())
            .set_expression_attribute_values(e.values_opt())
            // A refused merge sends the stored item back: it tells whether `lastInboundAt`
            // still needs this message, without a second request when it does not (a
            // redelivery, or an older message behind a newer inbound one).
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        let stored = match result {
            Ok(out) => {
                self.count_write(1, out.consumed_capacity());
                return Ok(None);
            }
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                    self.count_condition_failure();
                    refused.item().cloned()
                }
                _ => return Err(classify("UpdateItem(conversation)", err)),
            },
        };
        if let Some(target) = stored.as_ref().and_then(super::lifecycle::alias_target) {
            return Ok(Some(target));
        }
        let behind = match stored
            .as_ref()
            .and_then(|item| item.get(attr::LAST_INBOUND_AT))
        {
            Some(AttributeValue::S(inbound)) => inbound.as_str() < touch.message_at.as_str(),
            _ => true,
        };
        if touch.inbound && behind {
            let (e, condition) = inbound_update(touch);
            self.update(
                &touch.pk,
                e,
                Some(condition),
                "UpdateItem(conversation inbound)",
            )
            .await?;
        }
        Ok(None)
    }
}

/// The conversation's update when `touch` is its newest message: by time, then by when we
/// learned of it, then by id, so that the result does not depend on the order of processing ([`handlers::rules::merge_conversation`]).
fn newest_update(touch: &ConversationTouch) -> (Expr, String) {
    let mut e = Expr::default();
    e.set_s(attr::UPDATED_AT, &touch.now);
    e.set_s(attr::ITEM_TYPE, ItemType::Conversation.as_str());
    e.set_s(attr::PHONE_NUMBER_ID, &touch.phone_number_id);
    e.set_s(attr::CUSTOMER_ID, &touch.customer_id);
    e.set_s(attr::LAST_MESSAGE_AT, &touch.message_at);
    e.set_opt(
        attr::LAST_MESSAGE_ARRIVED_AT,
        touch.message_arrived_at.as_deref(),
    );
    e.set_s(attr::LAST_MESSAGE_ID, &touch.message_id);
    e.set_s(attr::LAST_MESSAGE_PREVIEW, &touch.preview);
    e.set_s(attr::LAST_MESSAGE_DIRECTION, touch.direction.as_str());
    e.set_if_absent(attr::CREATED_AT, AttributeValue::S(touch.now.clone()));
    e.set_opt(attr::WABA_ID, touch.waba_id.as_deref());
    e.set_opt(attr::WA_ID, touch.wa_id.as_deref());
    e.set_opt(attr::USER_ID, touch.user_id.as_deref());
    e.set_opt(attr::PROFILE_NAME, touch.profile_name.as_deref());
    if touch.inbound {
        // A customer writing again brings an archived conversation back to the inbox. This
        // message is the newest, so it is the newest inbound one too.
        e.set_s(attr::INBOX_PK, &touch.inbox_pk);
        e.set(attr::ARCHIVED, AttributeValue::Bool(false));
        e.set_s(attr::LAST_INBOUND_AT, &touch.message_at);
    } else {
        e.set_if_absent(attr::INBOX_PK, AttributeValue::S(touch.inbox_pk.clone()));
        e.set_if_absent(attr::ARCHIVED, AttributeValue::Bool(false));
    }
    let (last, last_id) = (e.name(attr::LAST_MESSAGE_AT), e.name(attr::LAST_MESSAGE_ID));
    let last_arrived = e.name(attr::LAST_MESSAGE_ARRIVED_AT);
    let (at, id) = (e.s(&touch.message_at), e.s(&touch.message_id));
    let alias = e.name("aliasOf");
    // Within the second: when we learned of it (absent first), then the id (`order::Position`).
    let by_id = format!("(attribute_not_exists({last_id}) OR {last_id} < {id})");
    let same_second = match touch.message_arrived_at.as_deref() {
        Some(arrived) => {
            let arrived = e.s(arrived);
            format!(
                "attribute_not_exists({last_arrived}) OR {last_arrived} < {arrived} OR ({last_arrived} = {arrived} AND {by_id})"
            )
        }
        None => format!("attribute_not_exists({last_arrived}) AND {by_id}"),
    };
    let condition = format!(
        "attribute_not_exists({alias}) AND (attribute_not_exists({last}) OR {last} < {at} OR ({last} = {at} AND ({same_second})))"
    );
    (e, condition)
}

/// The conversation's update for an inbound message older than its newest message: the
/// 24-hour window's start moves forward only.
fn inbound_update(touch: &ConversationTouch) -> (Expr, String) {
    let mut e = Expr::default();
    e.set_s(attr::UPDATED_AT, &touch.now);
    e.set_s(attr::LAST_INBOUND_AT, &touch.message_at);
    let (pk, inbound, at) = (
        e.name(keys::PK),
        e.name(attr::LAST_INBOUND_AT),
        e.s(&touch.message_at),
    );
    let condition =
        format!("attribute_exists({pk}) AND (attribute_not_exists({inbound}) OR {inbound} < {at})");
    (e, condition)
}
