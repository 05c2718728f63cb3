//! `list_dlq`: a peek at the dead-letter queue, with why each message failed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::ports::queue::DeadLetter;
use crate::registry::ActionSpec;

pub const NAME: &str = "list_dlq";

pub const SPEC: ActionSpec = crate::action_spec!(
    Operations,
    Admin,
    "Peeks at the fast-ack DLQ (nothing is taken): source, age, attempts and the last failure of each message."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// How many messages to show, 1 to 100 (default 10). SQS returns a sample of the queue.
    #[serde(default, deserialize_with = "crate::params::lenient::opt_i64")]
    pub limit: Option<i64>,
    /// Also show each raw body (it holds customers' messages and numbers).
    #[serde(
        default,
        alias = "include_body",
        deserialize_with = "crate::params::lenient::bool"
    )]
    pub include_body: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub dlq: String,
    pub count: usize,
    pub messages: Vec<DeadLetter>,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<Output, HandlerError> {
    let limit = params.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(HandlerError::invalid("limit", "must be between 1 and 100"));
    }
    let queue = &ctx.ingress().queue;
    let mut messages = queue
        .peek_dlq(usize::try_from(limit).unwrap_or(10), params.include_body)
        .await?;
    for message in &mut messages {
        message.failure = ctx
            .store()
            .get_item(&keys::queue_failure(&message.message_id))
            .await?
            .map(|mut item| {
                if let Some(map) = item.as_object_mut() {
                    map.retain(|k, _| {
                        matches!(
                            k.as_str(),
                            "reason" | "attempts" | "failedAt" | "source" | "deliveryId"
                        )
                    });
                }
                item
            });
    }
    Ok(Output {
        dlq: queue.dlq_name(),
        count: messages.len(),
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_limit_out_of_range_is_refused() {
        let ctx = crate::testing::ctx();
        let err = run(
            &ctx,
            Params {
                limit: Some(0),
                include_body: false,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `limit`: must be between 1 and 100"
        );
        let out = run(
            &ctx,
            Params {
                limit: None,
                include_body: false,
            },
        )
        .await
        .unwrap();
        assert_eq!((out.dlq.as_str(), out.count), ("local-dlq", 0));
    }
}
