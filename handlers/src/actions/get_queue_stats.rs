//! `get_queue_stats`: depths of the fast-ack queue and its dead-letter queue.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::ports::queue::QueueStats;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_queue_stats";

pub const SPEC: ActionSpec = crate::action_spec!(
    Operations,
    Read,
    "Fast-ack queue and DLQ: waiting, in flight, delayed, DLQ depth and its oldest message's age."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    #[serde(flatten)]
    pub stats: QueueStats,
    /// True when webhooks go through the queue (`FAST_ACK_QUEUE_URL` is set).
    pub fast_ack: bool,
    /// The queue's `maxReceiveCount`: attempts before a message goes to the DLQ.
    pub max_receives: u32,
    /// Where the main queue's oldest age is: SQS does not report it as an attribute.
    pub oldest_age_note: &'static str,
}

pub async fn run(ctx: &Ctx, _params: Params) -> Result<Output, HandlerError> {
    let ingress = ctx.ingress();
    Ok(Output {
        stats: ingress.queue.stats().await?,
        fast_ack: ingress.settings.fast_ack,
        max_receives: ingress.settings.max_receives,
        oldest_age_note: "dlqOldestAgeSeconds is from a peek of the DLQ (SentTimestamp); the main queue's oldest age is the CloudWatch metric ApproximateAgeOfOldestMessage (alarm fast-ack-age), because peeking the main queue would count as a receive",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_queue_reports_its_dlq() {
        let ctx = crate::testing::ctx();
        let out = run(&ctx, Params {}).await.unwrap();
        assert_eq!(out.stats.dlq.as_deref(), Some("local-dlq"));
        assert_eq!(out.stats.dlq_visible, 0);
        assert!(!out.fast_ack);
    }
}
