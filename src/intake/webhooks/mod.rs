//! Webhooks posted straight to the function through API Gateway (or `serve`): `POST
//! /webhooks/{source}`. Each source verifies its own signature, then either processes the
//! request at once or, with `FAST_ACK_QUEUE_URL`, puts it on the queue and answers at once
//! ([`fastack`]); the same binary consumes the queue (`super::records`).
//!
//! - `meta`: `GET|POST`: Meta's WhatsApp Cloud API, Instagram and Messenger webhooks ([`meta`]).
//! - `twilio`: Twilio WhatsApp messages and status callbacks ([`twilio`]).
//! - `wix`: Wix eCommerce order events ([`wix`]).

pub mod fastack;
pub mod meta;
mod request;
pub mod twilio;
pub mod wix;

pub use request::{WebhookRequest, WebhookResponse};

use handlers::Ctx;

/// The source a path routes to: the last two segments are `webhooks/{source}` (a stage or base
/// path may come before them).
pub fn route(path: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    ["meta", "twilio", "wix"]
        .into_iter()
        .find(|source| path.ends_with(&format!("/webhooks/{source}")))
}

/// The receipt handle and `ApproximateReceiveCount` of an SQS record (for the retry delay).
pub(super) fn fastack_retry_info(record: &serde_json::Value) -> (Option<String>, u32) {
    let handle = record
        .get("receiptHandle")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    let count = record
        .pointer("/attributes/ApproximateReceiveCount")
        .and_then(serde_json::Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    (handle, count)
}

/// Answers a webhook request for `source`.
pub async fn handle(ctx: &Ctx, source: &str, request: &WebhookRequest) -> WebhookResponse {
    crate::prom::received(source);
    match source {
        "meta" => meta::handle(ctx, request).await,
        "twilio" => twilio::handle(ctx, request).await,
        "wix" => wix::handle(ctx, request).await,
        other => WebhookResponse::text(404, &format!("no webhook route for `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_are_found_under_any_stage() {
        assert_eq!(super::route("/webhooks/twilio"), Some("twilio"));
        assert_eq!(super::route("/prod/webhooks/wix/"), Some("wix"));
        assert_eq!(super::route("/webhooks/other"), None);
        assert_eq!(super::route("/"), None);
    }
}
