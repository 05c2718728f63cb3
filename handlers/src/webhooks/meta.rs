//! A verified Meta webhook body → the store.
//!
//! - `whatsapp_business_account`: each `entry[]` is handed to the EUM inbound path
//!   ([`crate::inbound::process_delivery`]) wrapped as the EUM Social event that carries it
//!   (`{"context": {}, "whatsAppWebhookEntry": entry}`), so a message that arrives directly from
//!   Meta is stored exactly as the same message relayed by EUM Social through SNS. The entries
//!   of one body run as one batch (concurrently, in order per conversation).
//! - `instagram` and `page`: [`crate::social::process_entries`].
//! - anything else (another object, a body that is not JSON): poison, audited with its whole
//!   body by the inbound path, and answered 200 so Meta does not send it again.
//!
//! The same function serves the synchronous webhook route and, later, a queue consumer (the
//! fast-ack path) that gets the raw body back from the queue.

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ctx::Ctx;
use crate::inbound::{Delivery, RecordReport, process_batch_with, process_delivery};
use crate::model::RecordOutcome;
use crate::social::{Channel, process_entries};
use crate::store::StoreError;

/// What a body became.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaOutcome {
    /// The body's `object` (`whatsapp_business_account`, `instagram`, `page`), when it has one.
    pub object: Option<String>,
    /// One report per WhatsApp entry; one for all the events of an Instagram or Messenger body.
    pub reports: Vec<RecordReport>,
}

impl MetaOutcome {
    /// The poison parts of the body (already audited or logged).
    pub fn poison(&self) -> u32 {
        self.reports.iter().map(|r| r.counts.poison).sum()
    }
}

/// The source name deliveries of direct Meta webhooks carry (audit items' `kind`).
pub const SOURCE: &str = "meta";

/// Processes one verified Meta webhook body (the raw text, as signed).
///
/// # Errors
/// A [`StoreError`] that is not the payload's fault (unavailable, or a fault of the
/// deployment): the body must be delivered again (answer 500; Meta retries). Every write is
/// idempotent, so the parts already stored are not stored twice.
pub async fn process_meta_payload(ctx: &Ctx, raw: &str) -> Result<MetaOutcome, StoreError> {
    let id = delivery_id(raw);
    let parsed: Option<Value> = serde_json::from_str(raw).ok();
    let object = parsed
        .as_ref()
        .and_then(|v| v.get("object"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let entries: Vec<Value> = parsed
        .as_ref()
        .and_then(|v| v.get("entry"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut outcome = MetaOutcome {
        object: object.clone(),
        reports: Vec::new(),
    };
    if let Some(channel) = object.as_deref().and_then(Channel::of_object) {
        let mut report = RecordReport {
            delivery_id: id,
            ..Default::default()
        };
        process_entries(ctx, channel, &entries, &mut report).await?;
        report.outcome = match (report.errors.is_empty(), report.counts.poison) {
            (true, _) => RecordOutcome::Processed,
            (false, _) if report.message_ids.is_empty() && report.counts.statuses == 0 => {
                RecordOutcome::Failed
            }
            _ => RecordOutcome::Partial,
        };
        if !report.errors.is_empty() {
            tracing::warn!(delivery_id = %report.delivery_id, errors = ?report.errors, "parts of a Meta webhook could not be processed");
        }
        outcome.reports.push(report);
        return Ok(outcome);
    }
    // WhatsApp entries, each as the EUM event that would carry it. Anything else is handed over
    // whole, so that the inbound path refuses it as poison and audits the body.
    let bodies: Vec<(String, String)> =
        if object.as_deref() == Some("whatsapp_business_account") && !entries.is_empty() {
            entries
                .iter()
                .enumerate()
                .map(|(index, entry)| {
                    let envelope = json!({"context": {}, "whatsAppWebhookEntry": entry});
                    (format!("{id}-{index}"), envelope.to_string())
                })
                .collect()
        } else {
            vec![(id, raw.to_string())]
        };
    let deliveries: Vec<Delivery<'_>> = bodies
        .iter()
        .map(|(id, body)| Delivery {
            source: SOURCE,
            id,
            body,
        })
        .collect();
    let mut results: Vec<(usize, Result<RecordReport, StoreError>)> = Vec::new();
    process_batch_with(
        ctx,
        &deliveries,
        |_, delivery| process_delivery(ctx, delivery),
        |index, result| results.push((index, result)),
    )
    .await;
    results.sort_by_key(|(index, _)| *index);
    for (_, result) in results {
        outcome.reports.push(result?);
    }
    Ok(outcome)
}

/// An id for a body, the same every time Meta delivers it again: `meta-` and the first 16 hex
/// digits of its SHA-256.
pub fn delivery_id(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{SOURCE}-{hex}")
}
