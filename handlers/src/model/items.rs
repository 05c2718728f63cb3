//! The items of the single table, as stored (attribute names are camelCase).
//!
//! The same structs are written by every store: the DynamoDB store converts them with
//! `serde_dynamo`, the embedded store keeps them as JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const MESSAGE: &str = "MESSAGE";
pub const CONVERSATION: &str = "CONVERSATION";
pub const WEBHOOK_EVENT: &str = "WEBHOOK_EVENT";
pub const TEMPLATE: &str = "TEMPLATE";
pub const QUALITY: &str = "QUALITY";

pub const INBOUND: &str = "INBOUND";
pub const OUTBOUND: &str = "OUTBOUND";

/// Status of an inbound message when stored (statuses only concern outbound messages).
pub const STATUS_RECEIVED: &str = "received";

/// A WhatsApp message, inbound or outbound: `pk = MSG#{waMessageId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageItem {
    pub pk: String,
    pub item_type: String,
    pub wa_message_id: String,
    pub direction: String,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction_pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_pk: Option<String>,
    /// When the message was sent (Meta's timestamp), ISO-8601 UTC.
    pub received_at: String,
    /// When we first stored anything about it.
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    pub status: String,
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
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
    /// Where the bytes were copied to in S3 (for the media download path, not built yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationPart {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractivePart {
    /// `button_reply`, `list_reply`, `nfm_reply` or what Meta sent.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Flow (`nfm_reply`) name and body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_body: Option<String>,
    /// `response_json` parsed; kept as a string when it is not valid JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_response: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ButtonPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReactionPart {
    /// The message reacted to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Absent when the customer removed the reaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    #[serde(default)]
    pub removed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub product_items: Vec<OrderItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_retailer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemPart {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_wa_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextPart {
    /// The message this one replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub frequently_forwarded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referred_product: Option<Value>,
}

/// Meta's error object, reduced to what an operator needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// A thread between one business phone and one customer: `pk = CONV#{phone}#{customer}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationItem {
    pub pk: String,
    pub item_type: String,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_preview: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_direction: Option<String>,
    /// Last time the customer wrote: the 24-hour customer-service window starts here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_inbound_at: Option<String>,
    #[serde(default)]
    pub unread_count: i64,
    #[serde(default)]
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// An audit item of one received record, or a kept webhook field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventItem {
    pub pk: String,
    pub item_type: String,
    /// `sns`, `sqs`, or the kept field's name.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_type_pk: Option<String>,
    /// `processed`, `partial`, `failed` or `kept`.
    pub outcome: String,
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
    /// The kept field's value, or the start of a poison record's body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
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
    pub item_type: String,
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
}

/// A phone number's quality and messaging limit: `pk = QUALITY#{display phone number}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityItem {
    pub pk: String,
    pub item_type: String,
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
