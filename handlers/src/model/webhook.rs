//! Meta's WhatsApp webhook payloads as EUM Social relays them, decoded in typed layers:
//! EUM envelope (`context`, `whatsAppWebhookEntry`, ...) → Meta `entry` → `changes[]`.

use serde::Deserialize;
use serde_json::Value;

/// Why a record cannot be processed however often it is retried.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PoisonError {
    #[error("record body is not JSON: {0}")]
    NotJson(String),
    #[error("record body is not an EUM Social event: {0}")]
    NotEnvelope(String),
    #[error("whatsAppWebhookEntry is not a WhatsApp webhook entry: {0}")]
    BadEntry(String),
}

/// The EUM Social event header around one Meta webhook entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub context: EumContext,
    /// Meta's `entry` object; EUM sends it as a JSON string (an object in some captures).
    #[serde(rename = "whatsAppWebhookEntry")]
    pub entry_raw: Value,
    #[serde(default)]
    pub aws_account_id: Option<String>,
    #[serde(default)]
    pub message_timestamp: Option<String>,
    #[serde(default, rename = "messageId")]
    pub message_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EumContext {
    #[serde(default, rename = "MetaWabaIds")]
    pub meta_waba_ids: Vec<WabaRef>,
    #[serde(default, rename = "MetaPhoneNumberIds")]
    pub meta_phone_number_ids: Vec<PhoneRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WabaRef {
    #[serde(rename = "wabaId")]
    pub waba_id: String,
    #[serde(default)]
    pub arn: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PhoneRef {
    #[serde(rename = "metaPhoneNumberId")]
    pub meta_phone_number_id: String,
    #[serde(default)]
    pub arn: Option<String>,
}

/// Meta's webhook `entry`: the WABA id and its changes.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub id: String,
    /// Unix seconds of an account-level event (template, quality, account updates).
    #[serde(default)]
    pub time: Option<Value>,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One change of an entry. A change is read leniently, so that one Meta cannot be read (no
/// `field`) never takes its siblings down: it keeps itself whole in `unreadable`.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Value")]
pub struct Change {
    /// Meta's field name; empty when the change has none.
    pub field: String,
    pub value: Value,
    /// The whole change as it came, when it has no `field` (or one that is not text).
    pub unreadable: Option<Value>,
}

impl From<Value> for Change {
    fn from(raw: Value) -> Self {
        match raw.get("field").and_then(Value::as_str) {
            Some(field) => Change {
                field: field.to_string(),
                value: raw.get("value").cloned().unwrap_or(Value::Null),
                unreadable: None,
            },
            None => Change {
                field: String::new(),
                value: Value::Null,
                unreadable: Some(raw),
            },
        }
    }
}

/// The `value` of a `messages` change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessagesValue {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Kept untyped here: each message is decoded on its own so one odd message cannot poison
    /// the others of the same change.
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
    #[serde(default)]
    pub errors: Vec<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub wa_id: Option<String>,
    /// Business-scoped user id (BSUID).
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// One entry of `statuses[]`.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub timestamp: Option<Value>,
    #[serde(default)]
    pub recipient_id: Option<String>,
    #[serde(default)]
    pub recipient_user_id: Option<String>,
    #[serde(default)]
    pub conversation: Option<Value>,
    #[serde(default)]
    pub pricing: Option<Value>,
    #[serde(default)]
    pub errors: Vec<RawMetaError>,
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
}

/// Meta's error object as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawMetaError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

impl From<&RawMetaError> for crate::model::MetaError {
    fn from(e: &RawMetaError) -> Self {
        crate::model::MetaError {
            code: e.code,
            title: e.title.clone(),
            message: e.message.clone(),
            details: e.error_data.as_ref().and_then(|d| d.details.clone()),
        }
    }
}

impl Envelope {
    /// Decodes an SNS `Message` (or raw SQS body) into the EUM envelope.
    ///
    /// # Errors
    /// [`PoisonError`] when the text is not JSON or not an EUM Social event.
    pub fn parse(message: &str) -> Result<Self, PoisonError> {
        let value: Value =
            serde_json::from_str(message).map_err(|e| PoisonError::NotJson(e.to_string()))?;
        if value.get("whatsAppWebhookEntry").is_none() {
            let keys = match &value {
                Value::Object(map) => map.keys().cloned().collect::<Vec<_>>().join(", "),
                other => format!("a JSON {}", json_kind(other)),
            };
            return Err(PoisonError::NotEnvelope(format!(
                "no whatsAppWebhookEntry (saw: {keys})"
            )));
        }
        serde_json::from_value(value).map_err(|e| PoisonError::NotEnvelope(e.to_string()))
    }

    /// Meta's entry, whether EUM sent it as a JSON string or as an object.
    ///
    /// # Errors
    /// [`PoisonError::BadEntry`] when it is neither a JSON string of an entry nor an entry.
    pub fn entry(&self) -> Result<Entry, PoisonError> {
        let parsed = match &self.entry_raw {
            Value::String(s) => serde_json::from_str::<Entry>(s),
            Value::Object(_) => serde_json::from_value::<Entry>(self.entry_raw.clone()),
            other => {
                return Err(PoisonError::BadEntry(format!(
                    "expected a JSON string or object, got {}",
                    json_kind(other)
                )));
            }
        };
        parsed.map_err(|e| PoisonError::BadEntry(e.to_string()))
    }

    /// The WABA id, from the context or else from the entry.
    pub fn waba_id(&self, entry: &Entry) -> String {
        self.context
            .meta_waba_ids
            .first()
            .map(|w| w.waba_id.clone())
            .unwrap_or_else(|| entry.id.clone())
    }
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_is_accepted_as_string_or_object() {
        let inner = r#"{"id":"1","changes":[{"field":"messages","value":{}}]}"#;
        let as_string =
            serde_json::json!({"context":{}, "whatsAppWebhookEntry": inner}).to_string();
        let as_object = format!(r#"{{"context":{{}},"whatsAppWebhookEntry":{inner}}}"#);
        for body in [as_string, as_object] {
            let env = Envelope::parse(&body).unwrap();
            assert_eq!(env.entry().unwrap().changes[0].field, "messages");
        }
    }

    #[test]
    fn non_envelope_names_what_was_seen() {
        let err = Envelope::parse(r#"{"hello":1}"#).unwrap_err();
        assert_eq!(
            err,
            PoisonError::NotEnvelope("no whatsAppWebhookEntry (saw: hello)".into())
        );
        assert!(matches!(
            Envelope::parse("not json"),
            Err(PoisonError::NotJson(_))
        ));
    }
}
