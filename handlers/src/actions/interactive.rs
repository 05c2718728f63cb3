//! What the interactive sends share (not an action): header, body and footer with Meta's limits.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::HandlerError;
use crate::outbound::Outgoing;
use crate::params::{check_len, non_empty};

/// Body (required, ≤1024), header text (≤60) and footer (≤60).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    /// The message body, at most 1024 characters.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    #[serde(alias = "text")]
    pub body: String,
    /// A text header (at most 60 characters), or a Meta header object
    /// (`{"type": "image", "image": {...}}`).
    #[schemars(extend("maxLength" = crate::params::bounds::HEADER_TEXT))]
    #[serde(default)]
    pub header: Option<Value>,
    /// At most 60 characters.
    #[schemars(length(max = crate::params::bounds::FOOTER))]
    #[serde(default)]
    pub footer: Option<String>,
}

impl Frame {
    /// The `interactive` object of `kind` with this frame and the given `action`.
    pub fn build(&self, kind: &str, action: Value) -> Result<Value, HandlerError> {
        non_empty("body", &self.body)?;
        check_len("body", &self.body, 1024)?;
        let mut interactive = Map::new();
        interactive.insert("type".into(), json!(kind));
        match &self.header {
            None => {}
            Some(Value::String(text)) => {
                check_len("header", text, 60)?;
                interactive.insert("header".into(), json!({"type": "text", "text": text}));
            }
            Some(object @ Value::Object(_)) => {
                if let Some(text) = object.get("text").and_then(Value::as_str) {
                    check_len("header.text", text, 60)?;
                }
                interactive.insert("header".into(), object.clone());
            }
            Some(_) => {
                return Err(HandlerError::invalid(
                    "header",
                    "must be a text or a Meta header object",
                ));
            }
        }
        interactive.insert("body".into(), json!({"text": self.body}));
        if let Some(footer) = &self.footer {
            check_len("footer", footer, 60)?;
            interactive.insert("footer".into(), json!({"text": footer}));
        }
        interactive.insert("action".into(), action);
        Ok(Value::Object(interactive))
    }

    /// The outgoing `interactive` message of `kind` with this frame and `action`.
    pub fn outgoing(&self, kind: &str, action: Value) -> Result<Outgoing, HandlerError> {
        Ok(Outgoing {
            kind: "interactive",
            body: self.build(kind, action)?,
            free_form: true,
            text: Some(self.body.clone()),
            preview: format!("[interactive] {}", self.body),
            media: None,
        })
    }
}
