//! The storage port: what the application needs from the single table, in its own terms.
//!
//! Two adapters implement it in the root crate (DynamoDB and the embedded local store); one
//! conformance suite (`tests/it/store_conformance.rs`) holds both to the same semantics.

use async_trait::async_trait;
use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::{
    ConversationItem, Direction, MediaPart, MessageItem, MessageStatus, MetaError, QualityItem,
    TemplateItem, WebhookEventItem,
};
pub use crate::rules::lifecycle::{Annotation, ConversationEvent, CustomerLink};

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A store failure, split by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or throttled us: retrying later can succeed.
    #[error("store unavailable ({operation}): {source}")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The store refused the request because of its content (an item over the size limit, a
    /// value the store cannot hold): retrying the same request will fail again, and the record
    /// that made it is poison.
    #[error("store rejected {operation}: {source}")]
    Rejected {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The store is misconfigured or refuses us whatever the request (access denied, a missing
    /// table, a key schema that differs from ours): not the payload's fault. Inbound fails the
    /// invocation so Lambda retries and the DLQ keeps the record until an operator fixes it.
    #[error("store fault ({operation}): {source}")]
    Fault {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// A pagination token that this store did not issue.
    #[error("invalid pagination token `nextToken`: {0}")]
    BadCursor(String),
    /// An item that does not decode as its type says.
    #[error("stored item {pk} does not decode: {reason}")]
    Corrupt { pk: String, reason: String },
}

impl StoreError {
    /// True when the same operation may succeed if retried (Lambda should redeliver).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// True when the failure is the payload's own (poison): retrying can never succeed, and
    /// the record is kept as failed instead of being redelivered.
    pub fn is_poison(&self) -> bool {
        matches!(
            self,
            StoreError::Rejected { .. } | StoreError::Corrupt { .. }
        )
    }
}

/// Whether a message was stored now or had been stored before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Duplicate,
}

/// Whether a status moved a message forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusApplied {
    Applied,
    /// Older than or equal to what is stored (out of order or a duplicate): nothing changed.
    Stale,
}

/// How recording a message changes its conversation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationTouch {
    pub pk: String,
    pub inbox_pk: String,
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub customer_id: String,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub profile_name: Option<String>,
    /// The message's own time (`receivedAt`).
    pub message_at: String,
    /// When this system learned of it (`arrivedAt`): orders messages of one second.
    pub message_arrived_at: Option<String>,
    pub message_id: String,
    pub preview: String,
    pub direction: Direction,
    /// Inbound messages open the 24-hour window (and are unread until the read mark passes
    /// them: [`crate::rules::is_unread`]).
    pub inbound: bool,
    pub now: String,
}

/// A status webhook for one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusUpdate {
    pub wa_message_id: String,
    /// The new status; its [`MessageStatus::rank`] decides whether it moves the message forward.
    pub status: MessageStatus,
    /// Meta's time for this status.
    pub at: String,
    pub conversation_pk: Option<String>,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub to: Option<String>,
    pub to_user_id: Option<String>,
    pub error: Option<MetaError>,
    pub pricing: Option<Value>,
    pub billing_conversation: Option<Value>,
    pub biz_opaque_callback_data: Option<String>,
    pub now: String,
}

/// What [`Store::apply_status_change`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub applied: StatusApplied,
    /// The status the message had before an applied status; `None` when stale or when the
    /// message had none (a status that arrived before its send was recorded).
    pub previous: Option<MessageStatus>,
}

/// A claim on an item for a time ([`Store::claim_lease`]): the cooldown of an automation.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub pk: String,
    /// Who claims it (the inbound wamid that fires a rule): the same holder may claim again.
    pub holder: String,
    /// Epoch seconds.
    pub now: i64,
    /// Epoch seconds: the claim holds until then.
    pub until: i64,
    /// A JSON object of other attributes written with the claim.
    pub attrs: Value,
}

/// The attribute names of a [`Lease`] item.
pub mod lease {
    pub const HOLDER: &str = "holder";
    pub const UNTIL: &str = "until";
}

/// The part of a [`Store::merge_record`] that only moves forward: its attributes are written
/// only when the stored item's `rank_attr` is absent or lower than `rank`.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// The attribute holding the rank (`statusRank`, `preferenceRank`, ...).
    pub rank_attr: &'static str,
    pub rank: i64,
    /// A JSON object: the attributes set with the rank.
    pub attrs: Value,
}

/// One conditional change of an existing item and, when it applies, counters added on another
/// item, in one transaction ([`Store::transition`]). Campaign recipients move through their states
/// with it, so a counter moves exactly when its recipient's state does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transition {
    pub pk: String,
    /// Each attribute must hold exactly this value; a `null` value: the attribute must be absent.
    pub expect: serde_json::Map<String, Value>,
    /// Attributes written when the condition holds.
    pub set: serde_json::Map<String, Value>,
    /// Attributes removed when the condition holds.
    pub remove: Vec<String>,
    /// The item whose numeric attributes `add` are added to (created when absent), in the same
    /// transaction; nothing when `None` or `add` is empty.
    pub counter_pk: Option<String>,
    pub add: Vec<(String, i64)>,
}

/// A page request: at most `limit` items after the position `cursor` names.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

/// One page of results, newest first, and the token of the next page when there may be one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Encodes a store's position as an opaque, URL-safe token.
pub fn encode_cursor(position: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position.to_string())
}

/// Decodes a token made by [`encode_cursor`].
///
/// # Errors
/// [`StoreError::BadCursor`] when the token is not one of ours.
pub fn decode_cursor(token: &str) -> Result<Value, StoreError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| StoreError::BadCursor("not a token issued by this API".into()))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| StoreError::BadCursor("not a token issued by this API".into()))
}

/// What the application needs from the single table.
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores a message once and threads it into its conversation: a message delivered many
    /// times is stored once. An item that a status created before its message arrived is
    /// completed, keeping its status. The conversation's merge is idempotent and commutative
    /// (the newest message by [`crate::rules::order::Position`] wins; `lastInboundAt` only grows), so the two
    /// writes need no transaction: a store may issue them concurrently, and a redelivery after
    /// a crash between them completes the conversation. Unread counts are derived on read.
    async fn record_message(
        &self,
        message: &MessageItem,
        touch: &ConversationTouch,
    ) -> Result<Recorded, StoreError>;

    /// Applies an edit, deletion or reaction to its message ([`crate::rules::lifecycle::annotate`]):
    /// the message after it, or `None` when it changed nothing (a duplicate, an older reaction).
    /// A change whose message has not arrived yet waits on an item without `type`, and is applied
    /// when the message is recorded.
    async fn annotate_message(
        &self,
        change: &Annotation,
    ) -> Result<Option<MessageItem>, StoreError>;

    /// A conversation event that is not a message ([`crate::rules::lifecycle::apply_event`]):
    /// a chat opened with `request_welcome`, or the activity of an edit, deletion or reaction.
    /// True when the conversation changed.
    async fn apply_conversation_event(&self, event: &ConversationEvent)
    -> Result<bool, StoreError>;

    /// A customer's number change: the conversation `link.pk` follows the new number, and each
    /// of `link.aliases` leads to it from then on. A conversation already started under an
    /// alias (its messages arrived before the change) is moved into `link.pk`.
    async fn link_customer(&self, link: &CustomerLink) -> Result<(), StoreError>;

    /// Moves a message's status forward (creating the item when the message is unknown).
    async fn apply_status(&self, update: &StatusUpdate) -> Result<StatusApplied, StoreError>;

    /// Writes an audit or kept webhook item (overwrites one with the same pk).
    async fn put_webhook_event(&self, item: &WebhookEventItem) -> Result<(), StoreError>;

    /// Sets a template's status unless a newer one is stored. Returns false when older.
    async fn put_template_status(&self, item: &TemplateItem) -> Result<bool, StoreError>;

    /// Sets a phone's quality unless a newer event is stored. Returns false when older.
    async fn put_quality(&self, item: &QualityItem) -> Result<bool, StoreError>;

    async fn get_message(&self, wa_message_id: &str) -> Result<Option<MessageItem>, StoreError>;

    /// Messages of one conversation, newest first.
    async fn list_messages(
        &self,
        conversation_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError>;

    /// One conversation, with its unread count. A pk that a number change made an alias
    /// ([`crate::model::ConversationAliasItem`]) gives the conversation it leads to.
    async fn get_conversation(&self, pk: &str) -> Result<Option<ConversationItem>, StoreError>;

    /// Conversations of one `gsi-inbox` partition, most recent message first, with their unread
    /// counts.
    async fn list_conversations(
        &self,
        inbox_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError>;

    /// Marks the conversation read up to its newest message ([`crate::rules::mark_read`]): its
    /// unread count becomes 0 until a newer inbound message arrives. `None` when the
    /// conversation does not exist.
    async fn mark_conversation_read(
        &self,
        pk: &str,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError>;

    /// Moves a conversation in or out of its phone's archived inbox partition.
    async fn set_archived(
        &self,
        pk: &str,
        archived: bool,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError>;

    /// Replaces a stored message's media part (after its bytes were copied). False when the
    /// message does not exist.
    async fn set_message_media(
        &self,
        wa_message_id: &str,
        media: &MediaPart,
        now: &str,
    ) -> Result<bool, StoreError>;

    /// Writes (or overwrites) an item given as JSON with its `pk` (MEDIA_DOWNLOAD, MEDIA_UPLOAD).
    /// Callers with a typed item use [`put_item`].
    async fn put_record(&self, item: &Value) -> Result<(), StoreError>;

    /// Writes an item given as JSON with its `pk` only when no item has that pk: true when it
    /// was written, false when one already existed (which is left as it was). The conditional
    /// write that claims a send's idempotency key.
    async fn create_record(&self, item: &Value) -> Result<bool, StoreError>;

    /// Any item by its pk, as JSON (templates, quality, webhook events). Callers that know the
    /// item's type use [`get_item_as`].
    async fn get_item(&self, pk: &str) -> Result<Option<Value>, StoreError>;

    /// Merges attributes into the item `pk`, creating it when absent. Every attribute of `set`
    /// (a JSON object) is written, except `createdAt`, which an existing item keeps; the
    /// attributes of `forward` only when the stored `forward.rank_attr` is absent or lower than
    /// `forward.rank` (an older or equal state changes nothing). Each part is idempotent and the
    /// parts commute, so a redelivery or an out-of-order event never moves the item backwards.
    /// Returns true when `forward` was applied (false when none was given or it was older).
    async fn merge_record(
        &self,
        pk: &str,
        set: &Value,
        forward: Option<&Forward>,
    ) -> Result<bool, StoreError>;

    /// Items of one `gsi-itemType` partition, newest first.
    async fn list_by_item_type(
        &self,
        item_type_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<Value>, StoreError>;

    /// The business phones (Meta phone number ids) that have conversations, open or archived:
    /// distinct, sorted, at most `limit` of them. For the inbox's phone picker, which needs
    /// nothing configured to show what has arrived.
    async fn list_inbox_phones(&self, limit: usize) -> Result<Vec<String>, StoreError>;

    /// Applies `t` when its item exists and holds every expected value: the change and the
    /// counter additions together or neither (one transaction). False when the condition failed
    /// (a concurrent writer moved the item first; re-read and decide again).
    async fn transition(&self, t: &Transition) -> Result<bool, StoreError>;

    /// Writes (or overwrites) many items, each given as JSON with its `pk`, in as few requests
    /// as the store allows (DynamoDB: `BatchWriteItem` of 25). Not atomic: a failure may leave
    /// some written; writing them again is harmless.
    async fn put_records(&self, items: &[Value]) -> Result<(), StoreError> {
        for item in items {
            self.put_record(item).await?;
        }
        Ok(())
    }

    /// Cheap check that the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// A short name for logs (`dynamodb:table`, `embedded:/path`).
    fn describe(&self) -> String;

    /// As [`Store::apply_status`], and says which status the message had before, so that a
    /// counter can follow the transition exactly (analytics): `previous` is `None` when the
    /// status was stale or the message had no status yet.
    async fn apply_status_change(&self, update: &StatusUpdate) -> Result<StatusChange, StoreError>;

    /// Adds each of `counts` (attribute name, amount) to the number stored under that attribute
    /// of the item `pk`, creating the item and the attributes at 0 when absent, and sets the
    /// attributes of `set` (a JSON object; `createdAt` only when absent). Atomic per item: two
    /// concurrent calls both count (analytics counter shards).
    async fn add_counts(
        &self,
        pk: &str,
        set: &Value,
        counts: &[(String, i64)],
    ) -> Result<(), StoreError>;

    /// Deletes the item `pk` and returns it as it was; `None` when there was none. Of two
    /// concurrent calls only one gets the item (a first reply claiming the wait it ends, a
    /// deleted automation).
    async fn take_record(&self, pk: &str) -> Result<Option<Value>, StoreError>;

    /// Claims the item `lease.pk` for `lease.holder` until `lease.until` (epoch seconds): it is
    /// written (with `lease.attrs`) when absent, when its `until` is not after `lease.now`, or
    /// when the same holder claimed it (a redelivery). True when the claim was written.
    async fn claim_lease(&self, lease: &Lease) -> Result<bool, StoreError>;
}

/// Writes (or overwrites) a typed item through [`Store::put_record`], so that no caller builds
/// an item's JSON by hand.
///
/// # Errors
/// [`StoreError::Rejected`] when the item does not serialize; the store's own errors.
pub async fn put_item<T: Serialize + ?Sized>(
    store: &dyn Store,
    item: &T,
) -> Result<(), StoreError> {
    let value = serde_json::to_value(item).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })?;
    store.put_record(&value).await
}

/// Reads an item by its pk as type `T` through [`Store::get_item`].
///
/// # Errors
/// [`StoreError::Corrupt`] when the stored item is not a `T`; the store's own errors.
pub async fn get_item_as<T: DeserializeOwned>(
    store: &dyn Store,
    pk: &str,
) -> Result<Option<T>, StoreError> {
    store
        .get_item(pk)
        .await?
        .map(|value| {
            serde_json::from_value(value).map_err(|e| StoreError::Corrupt {
                pk: pk.to_string(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let pos = serde_json::json!({"pk": "MSG#1", "receivedAt": "2026"});
        assert_eq!(decode_cursor(&encode_cursor(&pos)).unwrap(), pos);
        assert!(matches!(
            decode_cursor("%%%"),
            Err(StoreError::BadCursor(_))
        ));
    }
}
