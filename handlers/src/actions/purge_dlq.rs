//! `purge_dlq`: deletes every message of the fast-ack DLQ, once confirmed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "purge_dlq";

pub const SPEC: ActionSpec = crate::action_spec!(
    Operations,
    Admin,
    "Deletes every message of the fast-ack DLQ; needs confirm: true or the DLQ's name."
);

/// `true`, or the DLQ's name as `get_queue_stats` shows it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Confirm {
    Flag(bool),
    Name(String),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// `true`, or the DLQ's name: the messages cannot be brought back.
    pub confirm: Confirm,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub dlq: String,
    /// How many messages the DLQ held just before (SQS's approximate count).
    pub purged_approximately: u64,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<Output, HandlerError> {
    let queue = &ctx.ingress().queue;
    let dlq = queue.dlq_name();
    let confirmed = match &params.confirm {
        Confirm::Flag(flag) => *flag,
        Confirm::Name(name) => name.trim() == dlq,
    };
    if !confirmed {
        return Err(HandlerError::invalid(
            "confirm",
            format!(
                "must be true or the DLQ's name `{dlq}`: purging deletes every message for good"
            ),
        ));
    }
    let before = queue.stats().await?.dlq_visible;
    queue.purge_dlq().await?;
    tracing::warn!(dlq = %dlq, before, "DLQ purged");
    Ok(Output {
        dlq,
        purged_approximately: before,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ports::queue::{MemoryQueue, WebhookQueue};

    #[tokio::test]
    async fn purging_needs_a_confirmation() {
        let queue = Arc::new(MemoryQueue::default());
        queue.dead_letter("x");
        let ctx = crate::testing::ctx().with_ingress(crate::ingress::Ingress {
            queue: queue.clone(),
            ..Default::default()
        });
        for wrong in [Confirm::Flag(false), Confirm::Name("other".into())] {
            let err = run(&ctx, Params { confirm: wrong }).await.unwrap_err();
            assert_eq!(err.status(), 400, "{err}");
        }
        let out = run(
            &ctx,
            Params {
                confirm: Confirm::Name("local-dlq".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(out.purged_approximately, 1);
        assert!(queue.peek_dlq(10, false).await.unwrap().is_empty());
    }
}
