//! The closed (or mostly closed) vocabularies of the table: item types, directions, message
//! statuses and outcomes. Each is an enum whose serde form is exactly the text stored before the
//! enums existed, so items written by an older version read back unchanged and vice versa.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::attr;

/// The `itemType` attribute: which kind of item a `pk` holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemType {
    #[default]
    Message,
    Conversation,
    ConversationAlias,
    WebhookEvent,
    Template,
    Quality,
    MediaDownload,
    MediaUpload,
    /// The intent of one send under its idempotency key (`SEND#{key}`).
    Send,
    /// A WhatsApp Flow (`FLOW#{waba}#{flowId}`).
    Flow,
    /// The flow a sent flow message opened (`FLOW_MESSAGE#{waMessageId}`).
    FlowMessage,
}

impl ItemType {
    /// The stored text (`MESSAGE`, `CONVERSATION`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Message => "MESSAGE",
            ItemType::Conversation => "CONVERSATION",
            ItemType::ConversationAlias => "CONVERSATION_ALIAS",
            ItemType::WebhookEvent => "WEBHOOK_EVENT",
            ItemType::Template => "TEMPLATE",
            ItemType::Quality => "QUALITY",
            ItemType::MediaDownload => "MEDIA_DOWNLOAD",
            ItemType::MediaUpload => "MEDIA_UPLOAD",
            ItemType::Send => "SEND",
            ItemType::Flow => "FLOW",
            ItemType::FlowMessage => "FLOW_MESSAGE",
        }
    }
}

/// Which way a message went: from the customer (`INBOUND`) or from the business (`OUTBOUND`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Direction {
    #[default]
    Inbound,
    Outbound,
}

impl Direction {
    /// The stored text (`INBOUND`, `OUTBOUND`), also used inside `gsi-direction` partition keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "INBOUND",
            Direction::Outbound => "OUTBOUND",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message's delivery status. Statuses only concern outbound messages; an inbound message is
/// stored as `received`.
///
/// Meta adds statuses from time to time: one this version does not know is kept as
/// [`MessageStatus::Other`] with its own text, stored and read back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum MessageStatus {
    /// EUM Social took the send; no status from Meta yet.
    #[default]
    Accepted,
    /// An inbound message.
    Received,
    Sent,
    Delivered,
    Read,
    /// A voice message was played.
    Played,
    Failed,
    /// A status Meta added after this version.
    Other(String),
}

impl MessageStatus {
    /// The stored text (`sent`, `delivered`, ..., or the unknown status as Meta sent it).
    pub fn as_str(&self) -> &str {
        match self {
            MessageStatus::Accepted => "accepted",
            MessageStatus::Received => "received",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Played => "played",
            MessageStatus::Failed => "failed",
            MessageStatus::Other(s) => s,
        }
    }

    /// Ordering of statuses: a status is applied only when its rank is above the stored one.
    /// `failed` is terminal; an unknown status ranks just above `accepted` so it is kept but
    /// never hides a real delivery state.
    pub fn rank(&self) -> u8 {
        match self {
            MessageStatus::Accepted | MessageStatus::Received => 0,
            MessageStatus::Other(_) => 1,
            MessageStatus::Sent => 2,
            MessageStatus::Delivered => 3,
            MessageStatus::Read => 4,
            MessageStatus::Played => 5,
            MessageStatus::Failed => 9,
        }
    }

    /// The attribute that keeps this status's own time (`sentAt`, `deliveredAt`, ...), for the
    /// statuses that have one.
    pub fn time_attribute(&self) -> Option<&'static str> {
        match self {
            MessageStatus::Sent => Some(attr::SENT_AT),
            MessageStatus::Delivered => Some(attr::DELIVERED_AT),
            MessageStatus::Read => Some(attr::READ_AT),
            MessageStatus::Played => Some(attr::PLAYED_AT),
            MessageStatus::Failed => Some(attr::FAILED_AT),
            MessageStatus::Accepted | MessageStatus::Received | MessageStatus::Other(_) => None,
        }
    }
}

impl From<String> for MessageStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "accepted" => MessageStatus::Accepted,
            "received" => MessageStatus::Received,
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "played" => MessageStatus::Played,
            "failed" => MessageStatus::Failed,
            _ => MessageStatus::Other(s),
        }
    }
}

impl From<&str> for MessageStatus {
    fn from(s: &str) -> Self {
        MessageStatus::from(s.to_string())
    }
}

impl From<MessageStatus> for String {
    fn from(s: MessageStatus) -> Self {
        match s {
            MessageStatus::Other(s) => s,
            known => known.as_str().to_string(),
        }
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one send under an idempotency key stands (the `SEND#…` item's `state`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendState {
    /// Claimed: the send is in flight, or its process stopped between EUM Social's answer and
    /// the store write. Completed by the send itself or by the message's first status webhook.
    #[default]
    Pending,
    /// EUM Social accepted it: `waMessageId` is known.
    Sent,
    /// EUM Social refused or failed it: nothing reached the customer, and the key may be
    /// retried (the retry is the next attempt).
    Failed,
}

impl SendState {
    /// The stored text (`pending`, `sent`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Pending => "pending",
            SendState::Sent => "sent",
            SendState::Failed => "failed",
        }
    }
}

impl fmt::Display for SendState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one delivered record (the audit item's `outcome`), or `kept` for a webhook
/// field stored as is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordOutcome {
    /// Every part was stored.
    #[default]
    Processed,
    /// Some parts were poison and skipped.
    Partial,
    /// The whole record was poison.
    Failed,
    /// A webhook field this version does not process, stored as Meta sent it.
    Kept,
}

impl RecordOutcome {
    /// The stored text (`processed`, `partial`, `failed`, `kept`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordOutcome::Processed => "processed",
            RecordOutcome::Partial => "partial",
            RecordOutcome::Failed => "failed",
            RecordOutcome::Kept => "kept",
        }
    }
}

impl fmt::Display for RecordOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `kind` of a WEBHOOK_EVENT item: the transport of an audited record, or the name of a
/// kept webhook field. Read from the stored text, a field that happens to be named like a
/// transport reads back as the transport; no webhook field is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum EventKind {
    /// The audit of a record delivered by SNS.
    #[default]
    Sns,
    /// The audit of a record delivered by SQS.
    Sqs,
    /// The audit of a record played back by the sandbox (`simulate_status`).
    Sandbox,
    /// A kept webhook field (`account_update`, `messages.errors`, ...).
    Field(String),
}

impl EventKind {
    /// The stored text.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Sns => "sns",
            EventKind::Sqs => "sqs",
            EventKind::Sandbox => "sandbox",
            EventKind::Field(f) => f,
        }
    }
}

impl From<String> for EventKind {
    fn from(s: String) -> Self {
        match s.as_str() {
            "sns" => EventKind::Sns,
            "sqs" => EventKind::Sqs,
            "sandbox" => EventKind::Sandbox,
            _ => EventKind::Field(s),
        }
    }
}

impl From<EventKind> for String {
    fn from(k: EventKind) -> Self {
        match k {
            EventKind::Field(f) => f,
            known => known.as_str().to_string(),
        }
    }
}

/// Whether copying an inbound media file into the media store worked (a MEDIA_DOWNLOAD's
/// `outcome`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DownloadOutcome {
    #[default]
    Downloaded,
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_rank_forward_and_failed_is_terminal() {
        let order = ["accepted", "sent", "delivered", "read", "failed"].map(MessageStatus::from);
        for pair in order.windows(2) {
            assert!(pair[0].rank() < pair[1].rank(), "{pair:?}");
        }
        let unknown = MessageStatus::from("some_new_status");
        assert!(MessageStatus::Accepted.rank() < unknown.rank());
        assert!(unknown.rank() < MessageStatus::Sent.rank());
    }

    #[test]
    fn every_state_is_stored_as_its_old_text() {
        let statuses = [
            "accepted",
            "received",
            "sent",
            "delivered",
            "read",
            "played",
            "failed",
            "some_new_status",
        ];
        for s in statuses {
            let status = MessageStatus::from(s);
            assert_eq!(serde_json::to_value(&status).unwrap(), json!(s));
            assert_eq!(
                serde_json::from_value::<MessageStatus>(json!(s)).unwrap(),
                status
            );
        }
        assert_eq!(
            serde_json::to_value(MessageStatus::Other("x".into())).unwrap(),
            json!("x")
        );
        let types = [
            (ItemType::Message, "MESSAGE"),
            (ItemType::Conversation, "CONVERSATION"),
            (ItemType::ConversationAlias, "CONVERSATION_ALIAS"),
            (ItemType::WebhookEvent, "WEBHOOK_EVENT"),
            (ItemType::Template, "TEMPLATE"),
            (ItemType::Quality, "QUALITY"),
            (ItemType::MediaDownload, "MEDIA_DOWNLOAD"),
            (ItemType::MediaUpload, "MEDIA_UPLOAD"),
            (ItemType::Send, "SEND"),
        ];
        for (t, text) in types {
            assert_eq!(serde_json::to_value(t).unwrap(), json!(text));
            assert_eq!(t.as_str(), text);
        }
        for d in [Direction::Inbound, Direction::Outbound] {
            assert_eq!(serde_json::to_value(d).unwrap(), json!(d.as_str()));
        }
        for o in [
            RecordOutcome::Processed,
            RecordOutcome::Partial,
            RecordOutcome::Failed,
            RecordOutcome::Kept,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), json!(o.as_str()));
        }
        for (k, text) in [
            (EventKind::Sns, "sns"),
            (EventKind::Sqs, "sqs"),
            (EventKind::Sandbox, "sandbox"),
            (EventKind::Field("account_update".into()), "account_update"),
        ] {
            assert_eq!(serde_json::to_value(&k).unwrap(), json!(text));
            assert_eq!(EventKind::from(text.to_string()), k);
        }
        assert_eq!(
            serde_json::to_value(DownloadOutcome::Downloaded).unwrap(),
            json!("downloaded")
        );
        assert_eq!(
            serde_json::to_value(DownloadOutcome::Failed).unwrap(),
            json!("failed")
        );
    }
}
