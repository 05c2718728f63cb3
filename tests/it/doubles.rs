//! One test double for the `Store` port: a real store behind a hook that sees every write
//! first. Tests inject faults (a throttled write, a denied permission) or record what was
//! written by giving it their own [`Hooks`]; reads always go to the real store.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use handlers::keys;
use handlers::model::{
    ConversationItem, MediaPart, MessageItem, QualityItem, TemplateItem, WebhookEventItem,
};
use handlers::store::{
    Annotation, ConversationEvent, ConversationTouch, CustomerLink, Page, PageRequest, Recorded,
    StatusApplied, StatusUpdate, Store, StoreError,
};
use serde_json::Value;

/// What a test does before each write reaches the real store.
pub trait Hooks: Send + Sync {
    /// Sees a write (`method` is the `Store` method, `pks` the items it writes); an error is
    /// returned to the caller instead of writing.
    fn write(&self, method: &'static str, pks: &[&str]) -> Result<(), StoreError>;
}

/// A real store whose writes pass through [`Hooks`] first.
pub struct HookedStore<H> {
    pub inner: Arc<dyn Store>,
    pub hooks: H,
}

impl<H: Hooks> HookedStore<H> {
    pub fn new(inner: Arc<dyn Store>, hooks: H) -> Self {
        HookedStore { inner, hooks }
    }
}

fn pk_of(item: &Value) -> &str {
    item["pk"].as_str().unwrap_or_default()
}

#[async_trait]
impl<H: Hooks> Store for HookedStore<H> {
    async fn record_message(
        &self,
        message: &MessageItem,
        touch: &ConversationTouch,
    ) -> Result<Recorded, StoreError> {
        self.hooks
            .write("record_message", &[&message.pk, &touch.pk])?;
        self.inner.record_message(message, touch).await
    }
    async fn annotate_message(&self, a: &Annotation) -> Result<Option<MessageItem>, StoreError> {
        self.hooks
            .write("annotate_message", &[&keys::message(&a.target)])?;
        self.inner.annotate_message(a).await
    }
    async fn apply_conversation_event(&self, ev: &ConversationEvent) -> Result<bool, StoreError> {
        self.hooks.write("apply_conversation_event", &[&ev.pk])?;
        self.inner.apply_conversation_event(ev).await
    }
    async fn link_customer(&self, link: &CustomerLink) -> Result<(), StoreError> {
        let mut pks = vec![link.pk.as_str()];
        pks.extend(link.aliases.iter().map(|(pk, _)| pk.as_str()));
        self.hooks.write("link_customer", &pks)?;
        self.inner.link_customer(link).await
    }
    async fn apply_status(&self, update: &StatusUpdate) -> Result<StatusApplied, StoreError> {
        self.hooks
            .write("apply_status", &[&keys::message(&update.wa_message_id)])?;
        self.inner.apply_status(update).await
    }
    async fn put_webhook_event(&self, item: &WebhookEventItem) -> Result<(), StoreError> {
        self.hooks.write("put_webhook_event", &[&item.pk])?;
        self.inner.put_webhook_event(item).await
    }
    async fn put_template_status(&self, item: &TemplateItem) -> Result<bool, StoreError> {
        self.hooks.write("put_template_status", &[&item.pk])?;
        self.inner.put_template_status(item).await
    }
    async fn put_quality(&self, item: &QualityItem) -> Result<bool, StoreError> {
        self.hooks.write("put_quality", &[&item.pk])?;
        self.inner.put_quality(item).await
    }
    async fn get_message(&self, id: &str) -> Result<Option<MessageItem>, StoreError> {
        self.inner.get_message(id).await
    }
    async fn list_messages(
        &self,
        pk: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        self.inner.list_messages(pk, page).await
    }
    async fn get_conversation(&self, pk: &str) -> Result<Option<ConversationItem>, StoreError> {
        self.inner.get_conversation(pk).await
    }
    async fn list_conversations(
        &self,
        pk: &str,
        page: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError> {
        self.inner.list_conversations(pk, page).await
    }
    async fn list_inbox_phones(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        self.inner.list_inbox_phones(limit).await
    }
    async fn mark_conversation_read(
        &self,
        pk: &str,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        self.hooks.write("mark_conversation_read", &[pk])?;
        self.inner.mark_conversation_read(pk, now).await
    }
    async fn set_archived(
        &self,
        pk: &str,
        archived: bool,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        self.hooks.write("set_archived", &[pk])?;
        self.inner.set_archived(pk, archived, now).await
    }
    async fn set_message_media(
        &self,
        id: &str,
        media: &MediaPart,
        now: &str,
    ) -> Result<bool, StoreError> {
        self.hooks
            .write("set_message_media", &[&keys::message(id)])?;
        self.inner.set_message_media(id, media, now).await
    }
    async fn put_record(&self, item: &Value) -> Result<(), StoreError> {
        self.hooks.write("put_record", &[pk_of(item)])?;
        self.inner.put_record(item).await
    }
    async fn create_record(&self, item: &Value) -> Result<bool, StoreError> {
        self.hooks.write("create_record", &[pk_of(item)])?;
        self.inner.create_record(item).await
    }
    async fn get_item(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        self.inner.get_item(pk).await
    }
    async fn merge_record(
        &self,
        pk: &str,
        set: &Value,
        forward: Option<&handlers::store::Forward>,
    ) -> Result<bool, StoreError> {
        self.hooks.write("merge_record", &[pk])?;
        self.inner.merge_record(pk, set, forward).await
    }
    async fn list_by_item_type(
        &self,
        pk: &str,
        page: &PageRequest,
    ) -> Result<Page<Value>, StoreError> {
        self.inner.list_by_item_type(pk, page).await
    }
    async fn transition(&self, t: &handlers::store::Transition) -> Result<bool, StoreError> {
        let mut pks = vec![t.pk.as_str()];
        pks.extend(t.counter_pk.as_deref());
        self.hooks.write("transition", &pks)?;
        self.inner.transition(t).await
    }
    async fn put_records(&self, items: &[Value]) -> Result<(), StoreError> {
        let pks: Vec<&str> = items.iter().map(pk_of).collect();
        self.hooks.write("put_records", &pks)?;
        self.inner.put_records(items).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn apply_status_change(
        &self,
        update: &StatusUpdate,
    ) -> Result<handlers::store::StatusChange, StoreError> {
        self.hooks.write(
            "apply_status_change",
            &[&keys::message(&update.wa_message_id)],
        )?;
        self.inner.apply_status_change(update).await
    }
    async fn add_counts(
        &self,
        pk: &str,
        set: &Value,
        counts: &[(String, i64)],
    ) -> Result<(), StoreError> {
        self.hooks.write("add_counts", &[pk])?;
        self.inner.add_counts(pk, set, counts).await
    }
    async fn take_record(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        self.hooks.write("take_record", &[pk])?;
        self.inner.take_record(pk).await
    }
    async fn claim_lease(&self, lease: &handlers::store::Lease) -> Result<bool, StoreError> {
        self.hooks.write("claim_lease", &[&lease.pk])?;
        self.inner.claim_lease(lease).await
    }
    fn describe(&self) -> String {
        format!("hooked:{}", self.inner.describe())
    }
}

/// Notes the pk of every write, so a test can read each item back.
#[derive(Default)]
pub struct Recorder {
    written: Mutex<BTreeSet<String>>,
}

impl Hooks for Recorder {
    fn write(&self, _: &'static str, pks: &[&str]) -> Result<(), StoreError> {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        written.extend(pks.iter().map(|pk| pk.to_string()));
        Ok(())
    }
}

impl Recorder {
    /// Every pk written so far.
    pub fn written(&self) -> Vec<String> {
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// A live-updates port that pushes nothing (`LIVE_SOCKET_URL` as deployed, no connections).
pub struct NoPush;

#[async_trait::async_trait]
impl handlers::ports::live::LiveFeed for NoPush {
    fn socket_url(&self) -> &str {
        "wss://abc123.execute-api.us-east-1.amazonaws.com/live"
    }

    async fn changed(&self, _: &[String], _: &serde_json::Value) {}
}
