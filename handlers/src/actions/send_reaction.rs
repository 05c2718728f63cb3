//! `send_reaction`: react to a message with an emoji; an empty emoji removes the reaction.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::params;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_reaction";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    "Reacts to a message with an emoji; an empty emoji removes the reaction."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The wamid reacted to.
    #[serde(alias = "message_id", alias = "waMessageId")]
    pub message_id: String,
    /// One emoji, or "" to remove.
    pub emoji: String,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    params::non_empty("messageId", &p.message_id)?;
    if p.emoji.chars().count() > 10 {
        return Err(HandlerError::invalid(
            "emoji",
            "must be a single emoji (or empty to remove the reaction)",
        ));
    }
    let preview = if p.emoji.is_empty() {
        "removed a reaction".to_string()
    } else {
        format!("reacted {}", p.emoji)
    };
    let out = Outgoing {
        kind: "reaction",
        body: json!({"message_id": p.message_id, "emoji": p.emoji}),
        free_form: true,
        text: None,
        preview,
        media: None,
    };
    outbound::send(ctx, &p.common, out).await
}
