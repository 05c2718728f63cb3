//! Fast acknowledgement through SQS: a verified webhook is put on the queue as it arrived
//! ([`enqueue`]) and answered at once; the same binary consumes the queue ([`consume`], called
//! by `super::super::records` for every SQS record whose body is a [`QueuedWebhook`]).
//!
//! A record that fails (the store is unavailable or misconfigured) is listed in
//! `batchItemFailures` and its next attempt delayed by [`retry_later`]: the visibility timeout
//! is set from `ApproximateReceiveCount` (2 s doubling up to 30 s). Each failed attempt writes
//! `QUEUE_FAILURE#{messageId}` (the reason, the attempt) when the store takes it, which
//! `list_dlq` shows; after `FAST_ACK_MAX_RECEIVES` receives the queue's redrive policy moves the
//! message to the DLQ. Poison (a body that can never be processed) is audited and acknowledged,
//! never retried.
//!
//! A new source is one arm in [`consume`] and one `enqueue` call after its verification.

use handlers::Ctx;
use handlers::inbound::{Counts, RecordReport};
use handlers::model::RecordOutcome;
use handlers::ports::queue::{QueuedWebhook, backoff_secs};
use serde_json::json;
use tracing::{error, warn};

use super::WebhookResponse;

/// Puts a verified webhook on the fast-ack queue.
///
/// # Errors
/// The answer to give when the queue did not take it (503: the sender retries).
pub async fn enqueue(ctx: &Ctx, webhook: &QueuedWebhook) -> Result<(), WebhookResponse> {
    match ctx.ingress().queue.enqueue(webhook).await {
        Ok(id) => {
            tracing::debug!(source = %webhook.source, queue_message_id = %id, "webhook queued");
            crate::prom::queued(&webhook.source);
            Ok(())
        }
        Err(e) => {
            error!(source = %webhook.source, error = %e, "webhook not queued: answered 503 so the sender retries");
            Err(WebhookResponse::text(
                503,
                "the queue is unavailable; retry later",
            ))
        }
    }
}

/// A report for a queued webhook that needed no inbound processing, or was poison.
pub fn report(id: &str, poison: Option<String>) -> RecordReport {
    let failed = poison.is_some();
    RecordReport {
        delivery_id: id.to_string(),
        outcome: if failed {
            RecordOutcome::Failed
        } else {
            RecordOutcome::Processed
        },
        counts: Counts {
            poison: u32::from(failed),
            ..Default::default()
        },
        errors: poison.into_iter().collect(),
        ..Default::default()
    }
}

/// Processes one queued webhook by its source.
///
/// # Errors
/// The store's error when it is not the payload's fault (the record is retried).
pub async fn consume(
    ctx: &Ctx,
    webhook: &QueuedWebhook,
    queue_id: &str,
) -> Result<RecordReport, handlers::StoreError> {
    match webhook.source.as_str() {
        "twilio" => super::twilio::consume(ctx, webhook, queue_id).await,
        "wix" => super::wix::consume(ctx, webhook, queue_id).await,
        "meta" => super::meta::consume(ctx, webhook, queue_id).await,
        other => {
            warn!(
                source = other,
                queue_message_id = queue_id,
                "queued webhook of an unknown source: acknowledged as poison"
            );
            Ok(report(
                queue_id,
                Some(format!("unknown webhook source `{other}`")),
            ))
        }
    }
}

/// After a failed attempt: delays the next one (2 s doubling to 30 s from the receive count) and
/// records why, for `list_dlq`. Neither may fail the batch: a failure here is logged.
pub async fn retry_later(
    ctx: &Ctx,
    queue_id: &str,
    receipt_handle: Option<&str>,
    receive_count: u32,
    source: &str,
    reason: &str,
) {
    let ingress = ctx.ingress();
    let delay = backoff_secs(receive_count);
    if let Some(handle) = receipt_handle
        && let Err(e) = ingress.queue.retry_later(handle, delay).await
    {
        warn!(queue_message_id = queue_id, error = %e, "retry delay not set; the queue's visibility timeout applies");
    }
    let now = handlers::time::now_iso();
    let last = receive_count >= ingress.settings.max_receives;
    let item = json!({
        "pk": handlers::keys::queue_failure(queue_id),
        "itemType": "QUEUE_FAILURE",
        "source": source,
        "reason": reason,
        "attempts": receive_count,
        "lastAttempt": last,
        "nextAttemptInSeconds": if last { None } else { Some(delay) },
        "failedAt": now,
        "createdAt": now,
        "ttl": chrono::Utc::now().timestamp() + 14 * 86_400,
    });
    if let Err(e) = ctx.store().put_record(&item).await {
        warn!(queue_message_id = queue_id, error = %e, "failure reason not recorded");
    }
    if last {
        error!(
            queue_message_id = queue_id,
            source,
            attempts = receive_count,
            reason,
            "webhook failed its last attempt: the queue's redrive policy moves it to the DLQ (list_dlq, redrive_dlq)"
        );
    }
}
