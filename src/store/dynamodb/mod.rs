//! The DynamoDB store: the single table through aws-sdk-dynamodb and serde_dynamo.
//!
//! Each rule of `handlers::rules` is one conditional request here, so concurrent Lambdas never
//! read-then-write:
//! - a message and its conversation are written in one `TransactWriteItems` (2 item writes):
//!   the message's condition makes a redelivery a no-op, the conversation's condition keeps
//!   `lastMessageAt` from moving backwards (an older message is retried with a variant that
//!   only counts it);
//! - a status is one `UpdateItem` conditioned on the stored status rank.
//!
//! # Layout
//! - this module: the store, its write counters, item conversion and the `Store` impl;
//! - `write`: the message-and-conversation transaction and its expressions;
//! - `update`: single-item writes (statuses, newest-wins puts, read, archive, media);
//! - `query`: `GetItem` and index queries;
//! - `cursor`: page tokens;
//! - `error`: SDK failures sorted into retryable and permanent.

mod cursor;
mod error;
mod query;
mod update;
mod write;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use handlers::keys;
use handlers::model::{
    ConversationItem, MediaPart, MessageItem, QualityItem, TemplateItem, WebhookEventItem,
};
use handlers::store::{
    ConversationTouch, Page, PageRequest, Recorded, StatusApplied, StatusUpdate, Store, StoreError,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::SdkFailure;
use error::classify;

type Item = HashMap<String, AttributeValue>;

/// See the module documentation.
pub struct DynamoStore {
    client: Client,
    table: String,
    write_requests: AtomicU64,
    item_writes: AtomicU64,
}

/// Write requests and item writes sent so far (for the benchmark and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteCounts {
    pub requests: u64,
    pub item_writes: u64,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            write_requests: AtomicU64::new(0),
            item_writes: AtomicU64::new(0),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn write_counts(&self) -> WriteCounts {
        WriteCounts {
            requests: self.write_requests.load(Ordering::Relaxed),
            item_writes: self.item_writes.load(Ordering::Relaxed),
        }
    }

    fn count_write(&self, items: u64) {
        self.write_requests.fetch_add(1, Ordering::Relaxed);
        self.item_writes.fetch_add(items, Ordering::Relaxed);
    }

    fn key(pk: &str) -> Item {
        HashMap::from([(keys::PK.to_string(), AttributeValue::S(pk.to_string()))])
    }
}

fn from_item<T: DeserializeOwned>(pk: &str, item: Item) -> Result<T, StoreError> {
    let pk = match item.get(keys::PK) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => pk.to_string(),
    };
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        pk,
        reason: e.to_string(),
    })
}

fn to_item<T: Serialize + ?Sized>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })
}

fn to_av<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })
}

#[async_trait]
impl Store for DynamoStore {
    async fn record_message(
        &self,
        message: &MessageItem,
        touch: &ConversationTouch,
    ) -> Result<Recorded, StoreError> {
        self.record(message, touch).await
    }

    async fn apply_status(&self, u: &StatusUpdate) -> Result<StatusApplied, StoreError> {
        self.status(u).await
    }

    async fn put_webhook_event(&self, item: &WebhookEventItem) -> Result<(), StoreError> {
        self.put(item).await
    }

    async fn put_template_status(&self, item: &TemplateItem) -> Result<bool, StoreError> {
        self.put_newer(&item.pk, item, &item.status_at).await
    }

    async fn put_quality(&self, item: &QualityItem) -> Result<bool, StoreError> {
        self.put_newer(&item.pk, item, &item.status_at).await
    }

    async fn get_message(&self, wa_message_id: &str) -> Result<Option<MessageItem>, StoreError> {
        self.get_typed(&keys::message(wa_message_id)).await
    }

    async fn list_messages(
        &self,
        conversation_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        self.query_typed(keys::GSI_CONVERSATION, conversation_pk, None, page)
            .await
    }

    async fn get_conversation(&self, pk: &str) -> Result<Option<ConversationItem>, StoreError> {
        self.get_typed(pk).await
    }

    async fn list_conversations(
        &self,
        inbox_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError> {
        self.query_typed(keys::GSI_INBOX, inbox_pk, None, page)
            .await
    }

    async fn mark_conversation_read(
        &self,
        pk: &str,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        self.mark_read(pk, now)
            .await?
            .map(|item| from_item(pk, item))
            .transpose()
    }

    async fn set_archived(
        &self,
        pk: &str,
        archived: bool,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let Some((phone, _)) = keys::parse_conversation(pk) else {
            return Ok(None);
        };
        let inbox = if archived {
            keys::archived_inbox(phone)
        } else {
            keys::inbox(phone)
        };
        self.archive(pk, archived, &inbox, now)
            .await?
            .map(|item| from_item(pk, item))
            .transpose()
    }

    async fn set_message_media(
        &self,
        wa_message_id: &str,
        media: &MediaPart,
        now: &str,
    ) -> Result<bool, StoreError> {
        self.set_media(wa_message_id, media, now).await
    }

    async fn put_record(&self, item: &Value) -> Result<(), StoreError> {
        self.put(item).await
    }

    async fn create_record(&self, item: &Value) -> Result<bool, StoreError> {
        self.put_new(item).await
    }

    async fn get_item(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        self.get_typed(pk).await
    }

    async fn list_by_item_type(
        &self,
        item_type_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<Value>, StoreError> {
        self.query_typed(keys::GSI_ITEM_TYPE, item_type_pk, None, page)
            .await
    }

    async fn list_by_direction(
        &self,
        direction_pk: &str,
        since: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        self.query_typed(keys::GSI_DIRECTION, direction_pk, Some(since), page)
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key("HEALTH#ping")))
            .send()
            .await
            .map_err(|e| classify("GetItem(ping)", e))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("dynamodb:{}", self.table)
    }
}
