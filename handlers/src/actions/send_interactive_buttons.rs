//! `send_interactive_buttons`: up to three reply buttons.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::interactive::Frame;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_interactive_buttons";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    "Sends a message with up to 3 reply buttons (title ≤20, id ≤256)."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Button {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    #[serde(flatten)]
    pub frame: Frame,
    /// 1-3 of {"id", "title"}.
    pub buttons: Vec<Button>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    if p.buttons.is_empty() || p.buttons.len() > 3 {
        return Err(HandlerError::invalid(
            "buttons",
            format!("has {} buttons; WhatsApp allows 1 to 3", p.buttons.len()),
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, b) in p.buttons.iter().enumerate() {
        non_empty(&format!("buttons[{i}].id"), &b.id)?;
        check_len(&format!("buttons[{i}].id"), &b.id, 256)?;
        non_empty(&format!("buttons[{i}].title"), &b.title)?;
        check_len(&format!("buttons[{i}].title"), &b.title, 20)?;
        if !ids.insert(b.id.as_str()) {
            return Err(HandlerError::invalid(
                &format!("buttons[{i}].id"),
                "button ids must be unique",
            ));
        }
    }
    let buttons: Vec<_> = p
        .buttons
        .iter()
        .map(|b| json!({"type": "reply", "reply": {"id": b.id, "title": b.title}}))
        .collect();
    let out = p.frame.outgoing("button", json!({"buttons": buttons}))?;
    outbound::send(ctx, &p.common, out).await
}
