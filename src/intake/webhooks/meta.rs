//! `GET /webhooks/meta`: the subscription handshake (`hub.challenge` as `text/plain`, 403 for
//! a wrong token). `POST /webhooks/meta`: `X-Hub-Signature-256` over the raw body (decoded
//! first when API Gateway base64-encoded it), the optional replay window, then
//! [`handlers::webhooks::process_meta_payload`]. A refused request (401) processes nothing and
//! leaves a `WebhooksRefused` metric and a warning.

use base64::Engine;
use handlers::Ctx;
use handlers::webhooks::{
    HandshakeError, Refusal, SIGNATURE_HEADER, check_replay, handshake, process_meta_payload,
    verify_signature,
};
use serde_json::{Value, json};
use tracing::Instrument;
use tracing::{error, info_span, warn};

use super::{WebhookRequest, WebhookResponse};

/// The metric and log name of this source.
const SOURCE: &str = "meta";

pub(super) async fn handle(ctx: &Ctx, request: &WebhookRequest) -> WebhookResponse {
    let keys = &ctx.settings().meta_webhooks;
    match request.method.as_str() {
        "GET" => {
            let query: Vec<(String, String)> = form_urlencoded::parse(request.query.as_bytes())
                .into_owned()
                .collect();
            let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            match handshake(
                keys,
                q("hub.mode"),
                q("hub.verify_token"),
                q("hub.challenge"),
            ) {
                Ok(challenge) => WebhookResponse::text(200, &challenge),
                Err(e @ (HandshakeError::NotSubscribe | HandshakeError::NoChallenge)) => {
                    WebhookResponse::json(400, &json!({"statusCode": 400, "error": e.to_string()}))
                }
                Err(e) => {
                    warn!(source = SOURCE, error = %e, "webhook handshake refused");
                    crate::metrics::webhook_refused(SOURCE, "handshake");
                    WebhookResponse::json(403, &json!({"statusCode": 403, "error": e.to_string()}))
                }
            }
        }
        "POST" => post(ctx, request).await,
        _ => WebhookResponse::json(
            405,
            &json!({"statusCode": 405, "error": "the Meta webhook takes GET (handshake) and POST (events)"}),
        ),
    }
}

fn refuse(refusal: &Refusal) -> WebhookResponse {
    warn!(source = SOURCE, reason = refusal.reason(), error = %refusal, "webhook refused: nothing processed");
    crate::metrics::webhook_refused(SOURCE, refusal.reason());
    WebhookResponse::json(
        401,
        &json!({"statusCode": 401, "error": refusal.to_string()}),
    )
}

async fn post(ctx: &Ctx, request: &WebhookRequest) -> WebhookResponse {
    let keys = &ctx.settings().meta_webhooks;
    let raw = request.raw_body.as_deref().unwrap_or_default();
    // The bytes Meta signed: API Gateway's base64 is undone, nothing else is touched.
    let bytes = if request.is_base64_encoded {
        match base64::engine::general_purpose::STANDARD.decode(raw.trim()) {
            Ok(bytes) => bytes,
            Err(_) => return refuse(&Refusal::BadBase64),
        }
    } else {
        raw.as_bytes().to_vec()
    };
    let header = request
        .headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Err(refusal) = verify_signature(&keys.app_secrets, header, &bytes) {
        return refuse(&refusal);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return WebhookResponse::json(
            400,
            &json!({"statusCode": 400, "error": "the body is not UTF-8 text"}),
        );
    };
    if let Some(window) = keys.replay_window_secs {
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        if let Err(refusal) = check_replay(&body, window, chrono::Utc::now().timestamp()) {
            return refuse(&refusal);
        }
    }
    // Fast acknowledgement (FAST_ACK_QUEUE_URL): verified, queued as it arrived, answered now;
    // the queue's consumer processes it (`consume`), with retries and the DLQ.
    if ctx.ingress().settings.fast_ack {
        let webhook = handlers::ports::queue::QueuedWebhook::new(
            SOURCE,
            text,
            Default::default(),
            handlers::time::now_iso(),
        );
        return match super::fastack::enqueue(ctx, &webhook).await {
            Ok(()) => WebhookResponse::json(200, &json!({"statusCode": 200, "queued": true})),
            Err(answer) => answer,
        };
    }
    let span = info_span!("webhook", source = SOURCE);
    let started = std::time::Instant::now();
    match process_meta_payload(ctx, &text).instrument(span).await {
        Ok(outcome) => {
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            for report in &outcome.reports {
                crate::metrics::record(report, elapsed);
            }
            WebhookResponse::json(
                200,
                &json!({"statusCode": 200, "operation": "process_meta_webhook", "data": outcome}),
            )
        }
        // Not the payload's fault: Meta delivers it again on a 5xx; every write is idempotent.
        Err(e) => {
            crate::metrics::failure(&e);
            error!(source = SOURCE, error = %e, chain = %handlers::error::chain(&e), "webhook not stored: Meta will deliver it again");
            WebhookResponse::json(
                500,
                &json!({"statusCode": 500, "error": "the webhook could not be stored; it will be delivered again"}),
            )
        }
    }
}

/// Processes a Meta webhook taken from the fast-ack queue (verified when it arrived): the
/// reports of its entries as one.
///
/// # Errors
/// The store's error when it is not the payload's fault (the message is retried).
pub async fn consume(
    ctx: &Ctx,
    webhook: &handlers::ports::queue::QueuedWebhook,
    queue_id: &str,
) -> Result<handlers::inbound::RecordReport, handlers::StoreError> {
    let outcome = process_meta_payload(ctx, &webhook.body).await?;
    let poison = outcome.poison();
    let mut report = super::fastack::report(
        queue_id,
        (poison > 0).then(|| format!("{poison} part(s) of the Meta webhook were poison")),
    );
    for part in &outcome.reports {
        report.message_ids.extend(part.message_ids.iter().cloned());
        report.phones.extend(part.phones.iter().cloned());
        report.counts.messages += part.counts.messages;
        report.counts.duplicates += part.counts.duplicates;
        report.counts.statuses += part.counts.statuses;
        report.counts.changes += part.counts.changes;
    }
    Ok(report)
}
