//! `send_reaction`: react to a message with an emoji; an empty emoji removes the reaction.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::params;
use crate::params::ids::WaMessageId;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_reaction";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Reacts to a message with an emoji; an empty emoji removes the reaction."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The wamid reacted to.
    #[serde(alias = "message_id", alias = "waMessageId")]
    pub message_id: WaMessageId,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};
    use serde_json::json;

    #[tokio::test]
    async fn an_empty_emoji_removes_the_reaction() {
        let p = params(send_request(json!({"messageId": "wamid.A", "emoji": ""})));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["reaction"],
            json!({"message_id": "wamid.A", "emoji": ""})
        );
    }

    #[tokio::test]
    async fn one_emoji_at_most() {
        let p = params(send_request(
            json!({"messageId": "wamid.A", "emoji": "👍".repeat(11)}),
        ));
        let err = run(&ctx(), p).await.unwrap_err();
        assert!(err.to_string().contains("single emoji"), "{err}");
    }
}
