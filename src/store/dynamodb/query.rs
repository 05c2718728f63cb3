//! Reads: `GetItem` by pk and `Query` of one index partition, newest first.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, Select};
use handlers::keys;
use handlers::model::{ConversationItem, Direction, MessageItem, attr};
use handlers::rules::{self, order};
use handlers::store::{Page, PageRequest, StoreError};
use serde::de::DeserializeOwned;

use super::cursor::{cursor_to_key, key_to_cursor};
use super::error::classify;
use super::{DynamoStore, Item, from_item};

impl DynamoStore {
    pub(super) async fn get_raw(&self, pk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", e))?;
        Ok(out.item)
    }

    pub(super) async fn get_typed<T: DeserializeOwned>(
        &self,
        pk: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get_raw(pk)
            .await?
            .map(|item| from_item(pk, item))
            .transpose()
    }

    /// One page of the `value` partition of `index`, newest first; with `since`, only items
    /// whose sort key is at or after it.
    async fn query(
        &self,
        index: &keys::IndexDef,
        value: &str,
        since: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Item>, StoreError> {
        let start = page
            .cursor
            .as_deref()
            .map(|c| cursor_to_key(c, index, value))
            .transpose()?;
        let mut names = HashMap::from([("#p".to_string(), index.partition.to_string())]);
        let mut values = HashMap::from([(":p".to_string(), AttributeValue::S(value.to_string()))]);
        if let Some(lower) = since {
            names.insert("#s".into(), index.sort.to_string());
            values.insert(":since".into(), AttributeValue::S(lower.to_string()));
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name)
            .key_condition_expression(if since.is_some() {
                "#p = :p AND #s >= :since"
            } else {
                "#p = :p"
            })
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(false)
            .limit(page.limit as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify("Query", e))?;
        Ok(Page {
            items: out.items.unwrap_or_default(),
            next_cursor: out.last_evaluated_key.map(|k| key_to_cursor(&k)),
        })
    }

    /// [`DynamoStore::query`] with each item decoded as `T`.
    pub(super) async fn query_typed<T: DeserializeOwned>(
        &self,
        index_name: &str,
        value: &str,
        since: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let page = self
            .query(keys::index(index_name), value, since, page)
            .await?;
        let items = page
            .items
            .into_iter()
            .map(|item| from_item("query result", item))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }
}

impl DynamoStore {
    /// One page of a conversation's messages in thread order (`rules::order`): `gsi-conversation`
    /// newest first, from the cursor's second on, read until the page's seconds are whole (the
    /// index returns the messages of one second in no particular order), then ordered and cut.
    /// Usually one `Query` of `limit + 1` items.
    pub(super) async fn thread(
        &self,
        conversation_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        let after = page
            .cursor
            .as_deref()
            .map(|c| order::decode_thread_cursor(c, conversation_pk))
            .transpose()?;
        let index = keys::index(keys::GSI_CONVERSATION);
        let limit = page.limit.max(1) as usize;
        let mut read: Vec<MessageItem> = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.name)
                .expression_attribute_names("#p", index.partition)
                .expression_attribute_values(":p", AttributeValue::S(conversation_pk.to_string()))
                .scan_index_forward(false)
                .limit(limit as i32 + 1)
                .set_exclusive_start_key(start);
            query = match &after {
                Some(after) => query
                    .key_condition_expression("#p = :p AND #s <= :at")
                    .expression_attribute_names("#s", index.sort)
                    .expression_attribute_values(":at", AttributeValue::S(after.at.clone())),
                None => query.key_condition_expression("#p = :p"),
            };
            let out = query.send().await.map_err(|e| classify("Query", e))?;
            for item in out.items.unwrap_or_default() {
                let message: MessageItem = from_item("query result", item)?;
                // The cursor's second is read again: what the last page showed is skipped.
                if after
                    .as_ref()
                    .is_none_or(|a| order::position(&message) < *a)
                {
                    read.push(message);
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() || order::page_is_settled(&read, limit) {
                break;
            }
        }
        Ok(order::cut_page(
            conversation_pk,
            read,
            limit,
            start.is_some(),
        ))
    }
}

/// How many pages (of up to 1 MB each) [`DynamoStore::inbox_partitions`] reads at most.
const INBOX_SCAN_PAGES: usize = 16;

impl DynamoStore {
    /// The `gsi-inbox` partition values: a `Scan` of the index projecting only the partition
    /// attribute (conversations only; messages are not in that index), at most
    /// [`INBOX_SCAN_PAGES`] pages.
    pub(super) async fn inbox_partitions(&self) -> Result<Vec<String>, StoreError> {
        let index = keys::index(keys::GSI_INBOX);
        let mut found = std::collections::BTreeSet::new();
        let mut start = None;
        for _ in 0..INBOX_SCAN_PAGES {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .index_name(index.name)
                .projection_expression("#p")
                .expression_attribute_names("#p", index.partition)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("Scan", e))?;
            found.extend(
                out.items
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|mut item| match item.remove(index.partition) {
                        Some(AttributeValue::S(p)) => Some(p),
                        _ => None,
                    }),
            );
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(found.into_iter().collect())
    }

    /// The conversation's unread count ([`rules::is_unread`]): a `Query` of its
    /// `gsi-conversation` partition from the read mark on, filtered to inbound messages not
    /// covered by the mark, `Select: COUNT`. No request when nothing inbound came after the
    /// mark. Stops at [`rules::MAX_UNREAD_COUNT`].
    pub(super) async fn count_unread(
        &self,
        conversation: &ConversationItem,
    ) -> Result<i64, StoreError> {
        let quiet = match (&conversation.last_inbound_at, &conversation.last_read_at) {
            (None, _) => true,
            (Some(inbound), Some(mark)) => inbound < mark,
            (Some(_), None) => false,
        };
        if quiet {
            return Ok(0);
        }
        let index = keys::index(keys::GSI_CONVERSATION);
        let mut names = HashMap::from([
            ("#p".to_string(), index.partition.to_string()),
            ("#d".to_string(), attr::DIRECTION.to_string()),
        ]);
        let mut values = HashMap::from([
            (":p".to_string(), AttributeValue::S(conversation.pk.clone())),
            (
                ":in".to_string(),
                AttributeValue::S(Direction::Inbound.as_str().to_string()),
            ),
        ]);
        let mut key = "#p = :p".to_string();
        let mut filter = "#d = :in".to_string();
        if let Some(mark) = &conversation.last_read_at {
            names.insert("#s".into(), index.sort.to_string());
            values.insert(":mark".into(), AttributeValue::S(mark.clone()));
            key.push_str(" AND #s >= :mark");
            if !conversation.last_read_ids.is_empty() {
                // At the mark's second, only the messages the mark did not cover are unread
                // (the covered ones are all at that second; a filter cannot name a key).
                names.insert("#id".into(), attr::WA_MESSAGE_ID.to_string());
                let ids: Vec<String> = conversation
                    .last_read_ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let placeholder = format!(":r{i}");
                        values.insert(placeholder.clone(), AttributeValue::S(id.clone()));
                        placeholder
                    })
                    .collect();
                filter.push_str(&format!(" AND NOT (#id IN ({}))", ids.join(", ")));
            }
        }
        let mut count = 0i64;
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.name)
                .key_condition_expression(&key)
                .filter_expression(&filter)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| classify("Query(unread)", e))?;
            self.count_read(out.consumed_capacity());
            count += i64::from(out.count);
            start = out.last_evaluated_key;
            if start.is_none() || count >= rules::MAX_UNREAD_COUNT {
                return Ok(count.min(rules::MAX_UNREAD_COUNT));
            }
        }
    }

    /// `conversation` with its unread count.
    pub(super) async fn with_unread(
        &self,
        mut conversation: ConversationItem,
    ) -> Result<ConversationItem, StoreError> {
        conversation.unread_count = self.count_unread(&conversation).await?;
        Ok(conversation)
    }

    /// The ids of the conversation's inbound messages at exactly `at` (a read mark's second).
    pub(super) async fn inbound_ids_at(
        &self,
        conversation_pk: &str,
        at: &str,
    ) -> Result<Vec<String>, StoreError> {
        let index = keys::index(keys::GSI_CONVERSATION);
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.name)
                .key_condition_expression("#p = :p AND #s = :at")
                .filter_expression("#d = :in")
                .projection_expression("#id")
                .expression_attribute_names("#p", index.partition)
                .expression_attribute_names("#s", index.sort)
                .expression_attribute_names("#d", attr::DIRECTION)
                .expression_attribute_names("#id", attr::WA_MESSAGE_ID)
                .expression_attribute_values(":p", AttributeValue::S(conversation_pk.to_string()))
                .expression_attribute_values(":at", AttributeValue::S(at.to_string()))
                .expression_attribute_values(
                    ":in",
                    AttributeValue::S(Direction::Inbound.as_str().to_string()),
                )
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("Query(read mark)", e))?;
            ids.extend(
                out.items()
                    .iter()
                    .filter_map(|item| match item.get(attr::WA_MESSAGE_ID) {
                        Some(AttributeValue::S(id)) => Some(id.clone()),
                        _ => None,
                    }),
            );
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(ids);
            }
        }
    }
}
