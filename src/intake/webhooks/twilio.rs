//! `POST /webhooks/twilio`: Twilio WhatsApp messages and status callbacks
//! (`application/x-www-form-urlencoded`), verified by `X-Twilio-Signature` over the public URL
//! and the parameters ([`handlers::twilio::signature`]), converted into the EUM event the
//! inbound path processes ([`handlers::twilio::inbound`]), answered with an empty TwiML
//! `<Response/>`.

use handlers::Ctx;
use handlers::inbound::{Delivery, RecordReport, process_delivery};
use handlers::ports::queue::QueuedWebhook;
use handlers::twilio::{convert, parse_form, verify};
use tracing::warn;

use super::{WebhookRequest, WebhookResponse, fastack};

pub async fn handle(ctx: &Ctx, request: &WebhookRequest) -> WebhookResponse {
    let settings = &ctx.ingress().settings;
    if settings.twilio_auth_tokens.is_empty() {
        warn!("Twilio webhook refused: TWILIO_AUTH_TOKEN is not configured");
        crate::prom::refused("twilio");
        return WebhookResponse::text(
            403,
            "Twilio webhooks are not configured (TWILIO_AUTH_TOKEN)",
        );
    }
    let params = parse_form(&request.body);
    let url = request.public_url(settings.public_base_url.as_deref(), "twilio");
    let signature = request.header("x-twilio-signature").unwrap_or_default();
    if !verify(&settings.twilio_auth_tokens, &url, &params, &signature) {
        crate::prom::refused("twilio");
        warn!(%url, signed = !signature.is_empty(), "Twilio webhook refused: X-Twilio-Signature does not match (check WEBHOOK_BASE_URL: Twilio signs the exact URL it called)");
        return WebhookResponse::text(
            403,
            "X-Twilio-Signature is missing or does not match this URL and body",
        );
    }
    let received = chrono::Utc::now();
    let converted = match convert(&params, received.timestamp()) {
        Ok(c) => c,
        Err(e) => return WebhookResponse::text(400, &e.to_string()),
    };
    if settings.fast_ack {
        let webhook = QueuedWebhook::new(
            "twilio",
            request.body.clone(),
            Default::default(),
            handlers::time::iso(received),
        );
        return match fastack::enqueue(ctx, &webhook).await {
            Ok(()) => WebhookResponse::twiml(),
            Err(answer) => answer,
        };
    }
    let delivery = Delivery {
        source: "twilio",
        id: &converted.delivery_id,
        body: &converted.body,
    };
    match super::super::records::process(ctx, &delivery).await {
        Ok(_) => WebhookResponse::twiml(),
        Err(_) => WebhookResponse::text(503, "the store is unavailable; retry later"),
    }
}

/// Processes a Twilio webhook taken from the queue (verified when it arrived).
///
/// # Errors
/// The store's error when it is not the payload's fault (the message is retried).
pub async fn consume(
    ctx: &Ctx,
    webhook: &QueuedWebhook,
    queue_id: &str,
) -> Result<RecordReport, handlers::StoreError> {
    let received = handlers::time::parse_iso(&webhook.received_at)
        .map_or_else(|| chrono::Utc::now().timestamp(), |t| t.timestamp());
    match convert(&parse_form(&webhook.body), received) {
        Ok(converted) => {
            let delivery = Delivery {
                source: "twilio",
                id: &converted.delivery_id,
                body: &converted.body,
            };
            process_delivery(ctx, &delivery).await
        }
        Err(e) => Ok(fastack::report(queue_id, Some(e.to_string()))),
    }
}
