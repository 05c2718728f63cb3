//! The DynamoDB store: the single table through aws-sdk-dynamodb and serde_dynamo.
//!
//! Each rule of `handlers::rules` is one conditional request here, so concurrent Lambdas never
//! read-then-write:
//! - a message and its conversation are two `UpdateItem`s sent at once (no transaction): the
//!   message's condition makes a redelivery a no-op, the conversation's condition keeps the
//!   newest message (an older inbound message only moves `lastInboundAt`); unread counts are
//!   counted on read from the read mark, so nothing is incremented;
//! - a status is one `UpdateItem` conditioned on the stored status rank.
//!
//! Every write asks for its `ConsumedCapacity` ([`WriteCounts`]).
//!
//! # Layout
//! - this module: the store, its write counters, item conversion and the `Store` impl;
//! - `write`: the message and its conversation, and their expressions;
//! - `update`: single-item writes (statuses, newest-wins puts, read, archive, media);
//! - `query`: `GetItem` and index queries;
//! - `cursor`: page tokens;
//! - `error`: SDK failures sorted into retryable and permanent.

mod batch;
mod counts;
mod cursor;
mod error;
mod lifecycle;
mod query;
mod update;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use handlers::keys;
use handlers::model::{
    ConversationItem, MediaPart, MessageItem, QualityItem, TemplateItem, WebhookEventItem,
};
use handlers::store::{
    Annotation, ConversationEvent, ConversationTouch, CustomerLink, Forward, Page, PageRequest,
    Recorded, StatusApplied, StatusUpdate, Store, StoreError, Transition,
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
    counts: Mutex<WriteCounts>,
}

/// What the writes sent so far cost, from the `ConsumedCapacity` DynamoDB returned for each
/// (every write asks for it, `ReturnConsumedCapacity: INDEXES`): for the benchmark and the cost
/// arithmetic in `docs/deploy.md`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteCounts {
    /// Write requests that succeeded.
    pub requests: u64,
    /// Items those requests wrote.
    pub item_writes: u64,
    /// Conditional writes refused by their condition (a redelivered message, an older status).
    /// DynamoDB bills each as one write unit but returns no `ConsumedCapacity` with the error.
    pub condition_failures: u64,
    /// Write units consumed by the table itself.
    pub table_units: f64,
    /// Write units consumed by each index.
    pub index_units: BTreeMap<String, f64>,
    /// Read units of reads (queries, gets) that asked for them.
    pub read_units: f64,
}

impl WriteCounts {
    /// Table and index write units together.
    pub fn total_units(&self) -> f64 {
        self.table_units + self.index_units.values().sum::<f64>()
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            counts: Mutex::new(WriteCounts::default()),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn write_counts(&self) -> WriteCounts {
        self.counts().clone()
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, WriteCounts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one successful write request of `items` items and the capacity it consumed.
    fn count_write(&self, items: u64, consumed: Option<&ConsumedCapacity>) {
        let mut counts = self.counts();
        counts.requests += 1;
        counts.item_writes += items;
        if let Some(c) = consumed {
            counts.table_units += c.table().and_then(|t| t.capacity_units()).unwrap_or(0.0);
            for (name, capacity) in c.global_secondary_indexes().into_iter().flatten() {
                *counts.index_units.entry(name.clone()).or_default() +=
                    capacity.capacity_units().unwrap_or(0.0);
            }
        }
    }

    fn count_condition_failure(&self) {
        self.counts().condition_failures += 1;
    }

    fn count_read(&self, consumed: Option<&ConsumedCapacity>) {
        if let Some(units) = consumed.and_then(|c| c.capacity_units()) {
            self.counts().read_units += units;
        }
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

    async fn annotate_message(&self, a: &Annotation) -> Result<Option<MessageItem>, StoreError> {
        self.annotate(a).await
    }

    async fn apply_conversation_event(&self, ev: &ConversationEvent) -> Result<bool, StoreError> {
        self.conversation_event(ev).await
    }

    async fn link_customer(&self, link: &CustomerLink) -> Result<(), StoreError> {
        self.link(link).await
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
        self.thread(conversation_pk, page).await
    }

    async fn get_conversation(&self, pk: &str) -> Result<Option<ConversationItem>, StoreError> {
        let mut item = self.get_raw(pk).await?;
        let mut pk = pk.to_string();
        // A number the customer changed to leads to the conversation that carries on.
        if let Some(target) = item.as_ref().and_then(lifecycle::alias_target) {
            item = self.get_raw(&target).await?;
            pk = target;
        }
        match item
            .map(|i| from_item::<ConversationItem>(&pk, i))
            .transpose()?
        {
            Some(conversation) => self.with_unread(conversation).await.map(Some),
            None => Ok(None),
        }
    }

    async fn list_conversations(
        &self,
        inbox_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError> {
        let page: Page<ConversationItem> = self
            .query_typed(keys::GSI_INBOX, inbox_pk, None, page)
            .await?;
        // One count per conversation with something unread, all at once.
        let counted = page.items.into_iter().map(|c| self.with_unread(c));
        let items = futures_util::future::try_join_all(counted).await?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    async fn mark_conversation_read(
        &self,
        pk: &str,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let Some(conversation) = self.get_typed::<ConversationItem>(pk).await? else {
            return Ok(None);
        };
        let mark = conversation.last_message_at.clone();
        let at_mark = self.inbound_ids_at(pk, &mark).await?;
        let conversation = match self.set_read_mark(pk, &mark, &at_mark, now).await? {
            Some(item) => from_item(pk, item)?,
            // Gone, or a later mark was set meanwhile: read it as it is.
            None => match self.get_typed(pk).await? {
                Some(conversation) => conversation,
                None => return Ok(None),
            },
        };
        self.with_unread(conversation).await.map(Some)
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
        match self.archive(pk, archived, &inbox, now).await? {
            Some(item) => self.with_unread(from_item(pk, item)?).await.map(Some),
            None => Ok(None),
        }
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

    async fn merge_record(
        &self,
        pk: &str,
        set: &Value,
        forward: Option<&Forward>,
    ) -> Result<bool, StoreError> {
        self.merge_attrs(pk, set, forward).await
    }

    async fn transition(&self, t: &Transition) -> Result<bool, StoreError> {
        self.transition_item(t).await
    }

    async fn put_records(&self, items: &[Value]) -> Result<(), StoreError> {
        self.put_many(items).await
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

    async fn list_inbox_phones(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        self.inbox_partitions()
            .await
            .map(|p| keys::inbox_phones(p, limit))
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

    async fn apply_status_change(
        &self,
        update: &StatusUpdate,
    ) -> Result<handlers::store::StatusChange, StoreError> {
        self.status_change(update).await
    }

    async fn add_counts(
        &self,
        pk: &str,
        set: &Value,
        counts: &[(String, i64)],
    ) -> Result<(), StoreError> {
        self.add_to_counts(pk, set, counts).await
    }

    async fn take_record(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        self.take(pk).await
    }

    async fn claim_lease(&self, lease: &handlers::store::Lease) -> Result<bool, StoreError> {
        self.lease(lease).await
    }

    fn describe(&self) -> String {
        format!("dynamodb:{}", self.table)
    }
}
