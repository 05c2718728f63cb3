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
    Send,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};
    use serde_json::json;

    fn request(buttons: serde_json::Value) -> Params {
        params(send_request(
            json!({"body": "Pick one", "buttons": buttons}),
        ))
    }

    #[tokio::test]
    async fn sends_meta_reply_buttons() {
        let out = run(
            &ctx(),
            request(json!([{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}])),
        )
        .await
        .unwrap();
        assert_eq!(out.message["type"], "interactive");
        assert_eq!(out.message["interactive"]["type"], "button");
        assert_eq!(
            out.message["interactive"]["body"],
            json!({"text": "Pick one"})
        );
        assert_eq!(
            out.message["interactive"]["action"]["buttons"][1],
            json!({"type": "reply", "reply": {"id": "no", "title": "No"}})
        );
    }

    #[tokio::test]
    async fn refuses_what_whatsapp_would() {
        let four = json!([{"id": "a", "title": "A"}, {"id": "b", "title": "B"}, {"id": "c", "title": "C"}, {"id": "d", "title": "D"}]);
        let err = run(&ctx(), request(four)).await.unwrap_err();
        assert!(err.to_string().contains("has 4 buttons"), "{err}");
        let twice = json!([{"id": "a", "title": "A"}, {"id": "a", "title": "B"}]);
        let err = run(&ctx(), request(twice)).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("`buttons[1].id`: button ids must be unique"),
            "{err}"
        );
        let long = json!([{"id": "a", "title": "x".repeat(21)}]);
        let err = run(&ctx(), request(long)).await.unwrap_err();
        assert!(err.to_string().contains("`buttons[0].title`"), "{err}");
        assert_eq!(err.status(), 400);
    }
}
