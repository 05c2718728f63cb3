//! The items of the single table, as stored (attribute names are camelCase).
//!
//! The same structs are written by every store: the DynamoDB store converts them with
//! `serde_dynamo`, the embedded store keeps them as JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::collections::BTreeMap;

use super::parts::{
    ButtonPart, ContextPart, EditVersion, InteractivePart, LocationPart, MediaPart, MetaError,
    OrderPart, ReactionPart, ReactionState, SystemPart,
};
use super::states::{
    Direction, DownloadOutcome, EventKind, ItemType, MessageStatus, RecordOutcome, SendState,
};

/// A WhatsApp message, inbound or outbound: `pk = MSG#{waMessageId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageItem {
    pub pk: String,
    pub item_type: ItemType,
    pub wa_message_id: String,
    pub direction: Direction,
    /// Meta's type string (`text`, `image`, ..., `unsupported`, or a type unknown to us).
    /// Absent only on an item created by a status that arrived before its message.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_pk: Option<String>,
    /// When the message was sent (Meta's timestamp), ISO-8601 UTC.
    pub received_at: String,
    /// When this system learned of it, to the nanosecond (`time::precise_iso`): EUM Social's
    /// receipt of the webhook, or the moment the send was asked for. Orders the messages of one
    /// second of `receivedAt` ([`crate::rules::thread_order`]); absent on items stored before it
    /// existed and on items a status created before its message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<String>,
    /// When we first stored anything about it.
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    pub status: MessageStatus,
    #[serde(default)]
    pub status_rank: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub played_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<String>,
    /// Meta's error for a failed status (or an unsupported inbound message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<MetaError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_conversation: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    /// The text, or the caption of a media message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactive: Option<InteractivePart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button: Option<ButtonPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reaction: Option<ReactionPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPart>,
    /// Click-to-WhatsApp ad referral, as Meta sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral: Option<Value>,
    /// What the message replies to or that it was forwarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextPart>,
    /// The whole message object of a type this version does not model, kept as Meta sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
    /// When the text or caption was last edited (Meta's time of the edit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<String>,
    /// The wamid of the edit that wrote the current text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_id: Option<String>,
    /// Earlier versions of an edited message, oldest first, at most
    /// [`crate::rules::lifecycle::MAX_EDITS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<EditVersion>,
    /// When the sender deleted the message for everyone (Meta's time of the revoke).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Who deleted it: `INBOUND` (the customer) or `OUTBOUND` (the business, from its app).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<Direction>,
    /// True when the content was kept after the deletion (`KEEP_DELETED_CONTENT`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted_content_kept: bool,
    /// The current reaction of each person (by wa_id or BSUID) to this message.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reactions: BTreeMap<String, ReactionState>,
    /// Revision of the edits, deletion and reactions: each change of them is written only if
    /// the item is still at the revision it was read at (DynamoDB's optimistic concurrency).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rev: u64,
    /// `instagram` or `messenger` for a message of those channels (`handlers::social`); absent
    /// on WhatsApp messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Instagram and Messenger attachments as Meta sent them (`[{type, payload: {url, ...}}]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Value>,
    /// An Instagram story this message replies to (`{id, url}`) or mentions (`{url, mention: true}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<Value>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A thread between one business phone and one customer: `pk = CONV#{phone}#{customer}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationItem {
    pub pk: String,
    pub item_type: ItemType,
    pub inbox_pk: String,
    pub phone_number_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    /// The wa_id when known, else the BSUID.
    pub customer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    /// Business-scoped user id (BSUID), when Meta sends one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    pub last_message_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_id: Option<String>,
    /// The newest message's `arrivedAt`: it orders the messages of one second, before the id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_arrived_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_preview: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_direction: Option<Direction>,
    /// Last time the customer wrote: the 24-hour customer-service window starts here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_inbound_at: Option<String>,
    /// The read mark: the conversation's `lastMessageAt` when it was last marked read. Inbound
    /// messages after it are unread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_read_at: Option<String>,
    /// Inbound messages at exactly `lastReadAt` that were stored when the mark was set: they are
    /// read; another one at the same second that arrives later is not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_read_ids: Vec<String>,
    /// Inbound messages after the read mark ([`crate::rules::is_unread`]), counted by the store
    /// when the conversation is read (never stored: a redelivery or a concurrent write cannot
    /// count a message twice). Saturates at [`crate::rules::MAX_UNREAD_COUNT`].
    #[serde(default)]
    pub unread_count: i64,
    #[serde(default)]
    pub archived: bool,
    /// The last reaction, edit or deletion in the conversation (they do not move
    /// `lastMessageAt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity_at: Option<String>,
    /// When the customer first opened the chat (`request_welcome`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub welcome_requested_at: Option<String>,
    /// The customer's earlier phone numbers (wa_ids), sorted: sends to them go to `waId`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_wa_ids: Vec<String>,
    /// Meta's time of the latest number change (orders changes that arrive out of order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_changed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// `instagram` or `messenger` (`handlers::social`); absent on WhatsApp conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// Where a customer id (a later phone number, or a BSUID) of an existing conversation leads:
/// `pk = CONV#{phone}#{other id}`, `aliasOf` = the conversation's pk. It has no `inboxPk`, so it
/// is never listed; messages and reads that name the other id are redirected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAliasItem {
    pub pk: String,
    pub item_type: ItemType,
    pub alias_of: String,
    pub customer_id: String,
    pub created_at: String,
}

/// An audit item of one received record, or a kept webhook field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventItem {
    pub pk: String,
    pub item_type: ItemType,
    /// `sns`, `sqs`, or the kept field's name.
    pub kind: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_type_pk: Option<String>,
    /// `processed`, `partial`, `failed` or `kept`.
    pub outcome: RecordOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eum_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The kept field's value, or the whole body of a failed or partial record (as a string)
    /// when it fits in the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// The media-store key of a failed or partial record's body too large for the item
    /// (`webhook-payloads/{deliveryId}.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_key: Option<String>,
    /// The size in bytes of a failed or partial record's body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_bytes: Option<u64>,
    /// When `replay_webhook_events` last processed this record again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed_at: Option<String>,
    pub created_at: String,
    /// Epoch seconds after which DynamoDB may delete the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
}

/// A message template's state: `pk = TEMPLATE#{waba}#{name}#{language}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateItem {
    pub pk: String,
    pub item_type: ItemType,
    pub item_type_pk: String,
    pub waba_id: String,
    pub name: String,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Meta's time for this status, used so an older event never overwrites a newer one.
    pub status_at: String,
    pub created_at: String,
    pub updated_at: String,
    /// MARKETING, UTILITY or AUTHENTICATION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The category before Meta's last completed change (`template_category_update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_category: Option<String>,
    /// The category Meta says the content belongs to: an impending change, or a template
    /// flagged as miscategorised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct_category: Option<String>,
    /// When an impending category change takes effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_update_at: Option<String>,
    /// Meta's components (HEADER, BODY, FOOTER, BUTTONS), as Meta returns them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<serde_json::Value>,
    /// `positional` or `named`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_format: Option<String>,
    /// GREEN, YELLOW, RED or UNKNOWN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_score: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_quality_score: Option<String>,
    /// `AUTO_GENERATED` for templates Meta made from a sent message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When a sync found the template gone at Meta (its status is then `DELETED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// When the item was last refreshed from EUM Social (a list, a get or a sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<String>,
    /// The last status webhook's `disable_info` as Meta sent it (a disabled template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_info: Option<serde_json::Value>,
    /// `disable_info.disable_date` as ISO-8601 when it is a unix time, else Meta's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_date: Option<String>,
    /// The last status webhook's `other_info` (`title`, `description`: a lock or unlock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_info: Option<serde_json::Value>,
    /// The last status webhook's `rejection_info` (`reason`, `recommendation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_info: Option<serde_json::Value>,
    /// The last value of each template webhook field applied to the item, as Meta sent it
    /// (`{field: value}`): what a value this version does not know meant is never lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_webhooks: Option<serde_json::Value>,
}

/// A WhatsApp Flow's state: `pk = FLOW#{waba}#{flowId}`, from the flow actions and the `flows`
/// webhook field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowItem {
    pub pk: String,
    pub item_type: ItemType,
    pub item_type_pk: String,
    pub waba_id: String,
    pub flow_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// DRAFT, PUBLISHED, DEPRECATED, BLOCKED, THROTTLED or DELETED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// The last `flows` webhook event (FLOW_STATUS_CHANGE, ENDPOINT_ERROR_RATE, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event: Option<serde_json::Value>,
    /// Endpoint alerts by event name, each the last value Meta sent for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<serde_json::Value>,
    /// The latest completed-flow reply (`nfm_reply`) linked to this flow, and its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reply_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reply_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A phone number's quality and messaging limit: `pk = QUALITY#{display phone number}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityItem {
    pub pk: String,
    pub item_type: ItemType,
    pub item_type_pk: String,
    pub display_phone_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_rating: Option<String>,
    pub status_at: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An inbound media file copied (or not) into the media store: `pk = MEDIA_DOWNLOAD#{mediaId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaDownloadItem {
    pub pk: String,
    pub item_type: ItemType,
    pub media_id: String,
    pub wa_message_id: String,
    pub outcome: DownloadOutcome,
    pub created_at: String,
    /// Where the copy went; only when it was downloaded.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub copy: Option<MediaCopy>,
    /// Why the copy failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The media-store object of a downloaded file. `mimeType` and `size` are stored as null when
/// unknown (as they always were).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaCopy {
    pub key: String,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    /// The media store's description (`s3://bucket`, a local directory).
    pub store: String,
}

/// A file uploaded to WhatsApp with `PostWhatsAppMessageMedia`: `pk = MEDIA_UPLOAD#{mediaId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaUploadItem {
    pub pk: String,
    pub item_type: ItemType,
    pub media_id: String,
    /// The media-store object uploaded.
    pub key: String,
    /// Stored as null when unknown.
    pub size: Option<u64>,
    /// Stored as null when unknown.
    pub mime_type: Option<String>,
    /// The EUM phone that uploaded it, and so can delete it.
    pub origination_phone_number_id: String,
    pub created_at: String,
    /// Set by `delete_media`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Set by `delete_media`: whether the media-store object was deleted too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_object_deleted: Option<bool>,
}

/// One attempt of a send under its idempotency key: `pk = SEND#{key}` (first attempt) or
/// `SEND#{key}#{n}` (attempt `n`, after attempt `n - 1` failed). Created with a conditional
/// write before EUM Social is called, so two requests with one key never both send. It holds
/// what the MESSAGE item needs, so that a status webhook can record the message when the send
/// itself could not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendIntentItem {
    pub pk: String,
    pub item_type: ItemType,
    /// The caller's `idempotencyKey`, or the derived `auto:…` key.
    pub idempotency_key: String,
    /// `caller` or `derived`.
    pub key_source: String,
    /// 1 for the first attempt; a failed attempt lets the next one send.
    pub attempt: u32,
    /// SHA-256 (hex) of the request as sent (phones, recipient, message), without the
    /// idempotency tag: the same key with another fingerprint is a conflict.
    pub fingerprint: String,
    pub state: SendState,
    /// `SEND#PENDING` while pending, so operators can list stuck sends on `gsi-itemType`;
    /// removed when the intent completes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_type_pk: Option<String>,
    /// The wamid EUM Social returned, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_message_id: Option<String>,
    /// True once the MESSAGE item is stored (by the send or by the status webhook).
    #[serde(default)]
    pub recorded: bool,
    pub phone_number_id: String,
    /// The conversation's pk. Stored as `conversation`, never `conversationPk`: an attribute
    /// named after an index key would put the intent into that index (`gsi-conversation`).
    #[serde(rename = "conversation")]
    pub conversation_pk: String,
    /// The customer id of the conversation (wa_id, else BSUID).
    pub customer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Meta's message type.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub preview: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The caller's own `bizOpaqueCallbackData` (without the idempotency tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    /// Meta's `/messages` JSON as sent (with the idempotency tag).
    pub message: Value,
    /// Why the attempt failed (EUM Social's words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The local `failed.…` id its failed MESSAGE was recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_message_id: Option<String>,
    pub created_at: String,
    /// When the send was asked for, to the nanosecond: its MESSAGE's `arrivedAt`, which orders
    /// it among the messages of its second. Absent on intents stored before it existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
    pub updated_at: String,
    /// Epoch seconds after which DynamoDB may delete the item (and the key may send again).
    pub ttl: i64,
}
