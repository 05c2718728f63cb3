//! What is kept of each record: its audit item, and the whole body of a failed or partial one
//! (in the item, or in the media store beyond [`MAX_INLINE_PAYLOAD`]) so that it can be replayed.

use serde_json::Value;
use tracing::warn;

use super::{Delivery, InboundSettings, MAX_INLINE_PAYLOAD, RecordReport};
use crate::ctx::Ctx;
use crate::keys;
use crate::model::{EventKind, ItemType, RecordOutcome, WebhookEventItem};
use crate::store::{Store, StoreError};
use crate::time;

/// Keeps the whole body of a failed or partial record so that it can be replayed: in the audit
/// item when it fits ([`MAX_INLINE_PAYLOAD`]), else in the media store with the item pointing
/// at it.
///
/// # Errors
/// The media store failed: the record is redelivered rather than kept incomplete (`Fault` when
/// the deployment refuses the media store, [`crate::ports::MediaError::fault`], else `Unavailable`).
pub(super) async fn keep_payload(
    ctx: &Ctx,
    delivery: &Delivery<'_>,
    audit: &mut WebhookEventItem,
) -> Result<(), StoreError> {
    let body = delivery.body;
    audit.payload_bytes = Some(body.len() as u64);
    if body.len() <= MAX_INLINE_PAYLOAD {
        audit.payload = Some(Value::String(body.to_string()));
        return Ok(());
    }
    let key = keys::webhook_payload(delivery.id);
    match ctx
        .media()
        .put(&key, body.as_bytes().to_vec(), "application/json")
        .await
    {
        Ok(_) => {
            audit.payload_key = Some(key);
            Ok(())
        }
        Err(e) => {
            let operation = "keep webhook payload in the media store";
            let fault = e.fault;
            let source = Box::new(e);
            Err(if fault {
                StoreError::Fault { operation, source }
            } else {
                StoreError::Unavailable { operation, source }
            })
        }
    }
}

/// Writes an audit item. A refusal caused by the item's content is only logged: it must not
/// make Lambda redeliver a record whose data is already stored. A store that is down or
/// misconfigured is returned, so the record is delivered again.
pub(super) async fn write_audit(
    store: &dyn Store,
    audit: &WebhookEventItem,
) -> Result<(), StoreError> {
    match store.put_webhook_event(audit).await {
        Err(e) if e.is_poison() => {
            warn!(pk = %audit.pk, error = %e, "audit item refused");
            Ok(())
        }
        other => other,
    }
}

pub(super) fn audit_item(
    delivery: &Delivery<'_>,
    report: &RecordReport,
    waba_id: Option<&str>,
    fields: &[String],
    now: &str,
    settings: &InboundSettings,
) -> WebhookEventItem {
    let failed = report.outcome != RecordOutcome::Processed;
    let ttl = time::parse_iso(now).map(|t| t.timestamp() + settings.audit_ttl_days * 86_400);
    WebhookEventItem {
        pk: keys::webhook_audit(delivery.id),
        item_type: ItemType::WebhookEvent,
        kind: EventKind::from(delivery.source.to_string()),
        item_type_pk: failed.then(|| keys::item_type::FAILED_WEBHOOK_EVENT.to_string()),
        outcome: report.outcome,
        delivery_id: Some(delivery.id.to_string()),
        waba_id: waba_id.map(str::to_string),
        fields: fields.to_vec(),
        message_ids: report.message_ids.iter().take(50).cloned().collect(),
        counts: serde_json::to_value(&report.counts).ok(),
        error: (!report.errors.is_empty()).then(|| truncate(&report.errors.join("; "), 4096)),
        created_at: now.to_string(),
        ttl,
        ..Default::default()
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}
