//! Test support for the actions' unit tests: a context on the sandbox sender, in-memory media,
//! and a store that holds nothing. An action's own logic (checks, Meta's JSON, errors) is tested
//! against it; the stores' semantics are held by the conformance suite in `tests/it`.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::ctx::{Ctx, Settings};
use crate::model::{
    ConversationItem, MediaPart, MessageItem, QualityItem, TemplateItem, WebhookEventItem,
};
use crate::store::{
    Annotation, ConversationEvent, ConversationTouch, CustomerLink, Page, PageRequest, Recorded,
    StatusApplied, StatusUpdate, Store, StoreError,
};

/// Every read finds nothing; every write succeeds.
pub struct NullStore;

fn empty<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next_cursor: None,
    }
}

#[async_trait]
impl Store for NullStore {
    async fn record_message(
        &self,
        _: &MessageItem,
        _: &ConversationTouch,
    ) -> Result<Recorded, StoreError> {
        Ok(Recorded::New)
    }
    async fn annotate_message(&self, _: &Annotation) -> Result<Option<MessageItem>, StoreError> {
        Ok(None)
    }
    async fn apply_conversation_event(&self, _: &ConversationEvent) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn link_customer(&self, _: &CustomerLink) -> Result<(), StoreError> {
        Ok(())
    }
    async fn apply_status(&self, _: &StatusUpdate) -> Result<StatusApplied, StoreError> {
        Ok(StatusApplied::Applied)
    }
    async fn put_webhook_event(&self, _: &WebhookEventItem) -> Result<(), StoreError> {
        Ok(())
    }
    async fn put_template_status(&self, _: &TemplateItem) -> Result<bool, StoreError> {
        Ok(true)
    }
    async fn put_quality(&self, _: &QualityItem) -> Result<bool, StoreError> {
        Ok(true)
    }
    async fn merge_record(
        &self,
        _: &str,
        _: &serde_json::Value,
        forward: Option<&crate::store::Forward>,
    ) -> Result<bool, StoreError> {
        Ok(forward.is_some())
    }
    async fn transition(&self, _: &crate::store::Transition) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn get_message(&self, _: &str) -> Result<Option<MessageItem>, StoreError> {
        Ok(None)
    }
    async fn list_messages(
        &self,
        _: &str,
        _: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        Ok(empty())
    }
    async fn list_inbox_phones(&self, _: usize) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
    async fn get_conversation(&self, _: &str) -> Result<Option<ConversationItem>, StoreError> {
        Ok(None)
    }
    async fn list_conversations(
        &self,
        _: &str,
        _: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError> {
        Ok(empty())
    }
    async fn mark_conversation_read(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        Ok(None)
    }
    async fn set_archived(
        &self,
        _: &str,
        _: bool,
        _: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        Ok(None)
    }
    async fn set_message_media(&self, _: &str, _: &MediaPart, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn put_record(&self, _: &Value) -> Result<(), StoreError> {
        Ok(())
    }
    async fn create_record(&self, _: &Value) -> Result<bool, StoreError> {
        Ok(true)
    }
    async fn get_item(&self, _: &str) -> Result<Option<Value>, StoreError> {
        Ok(None)
    }
    async fn list_by_item_type(&self, _: &str, _: &PageRequest) -> Result<Page<Value>, StoreError> {
        Ok(empty())
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn apply_status_change(
        &self,
        _: &StatusUpdate,
    ) -> Result<crate::store::StatusChange, StoreError> {
        Ok(crate::store::StatusChange {
            applied: StatusApplied::Applied,
            previous: None,
        })
    }
    async fn add_counts(
        &self,
        _: &str,
        _: &serde_json::Value,
        _: &[(String, i64)],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn take_record(&self, _: &str) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(None)
    }
    async fn claim_lease(&self, _: &crate::store::Lease) -> Result<bool, StoreError> {
        Ok(true)
    }
    fn describe(&self) -> String {
        "null".into()
    }
}

/// The business phone of [`ctx`].
pub const PHONE: &str = "PHONE1";

/// A sandbox context over [`NullStore`], with [`PHONE`] as the default phone.
pub fn ctx() -> Ctx {
    Ctx::new(
        Arc::new(NullStore),
        Settings {
            default_phone_number_id: Some(PHONE.into()),
            ..Default::default()
        },
    )
}

/// The request of a free-form send to one customer, outside any window check, with `extra`.
pub fn send_request(extra: Value) -> Value {
    let mut request = json!({"to": "+1 650 555 0100", "force": true});
    if let (Some(r), Some(e)) = (request.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    request
}

/// Decodes `request` as `P` as the registry does.
pub fn params<P: serde::de::DeserializeOwned>(request: Value) -> P {
    crate::params::parse(request).expect("test parameters decode")
}
