//! `redrive_dlq`: moves dead letters back to the fast-ack queue to be processed again.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::WaMessageId;
use crate::ports::queue::Redriven;
use crate::registry::ActionSpec;

pub const NAME: &str = "redrive_dlq";

pub const SPEC: ActionSpec = crate::action_spec!(
    Operations,
    Admin,
    "Moves DLQ messages back to the fast-ack queue (all, or the given messageIds); processing is idempotent."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// DLQ message ids (as `list_dlq` shows them); without it, every message is moved.
    #[serde(default, alias = "message_ids", alias = "ids")]
    pub message_ids: Option<Vec<WaMessageId>>,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<Redriven, HandlerError> {
    let ids: Option<Vec<String>> = params.message_ids.map(|ids| {
        ids.into_iter()
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .collect()
    });
    if ids.as_ref().is_some_and(Vec::is_empty) {
        return Err(HandlerError::invalid(
            "messageIds",
            "must name at least one message id (leave it out to redrive all)",
        ));
    }
    if ids.as_ref().is_some_and(|ids| ids.len() > 100) {
        return Err(HandlerError::invalid(
            "messageIds",
            "at most 100 ids at once",
        ));
    }
    Ok(ctx.ingress().queue.redrive_dlq(ids.as_deref()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_empty_id_list_is_refused() {
        let ctx = crate::testing::ctx();
        let err = run(
            &ctx,
            Params {
                message_ids: Some(vec![" ".into()]),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 400);
        let all = run(&ctx, Params { message_ids: None }).await.unwrap();
        assert!(all.moved.is_empty());
    }
}
