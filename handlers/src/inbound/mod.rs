//! The inbound path: one delivered record (an SNS message or SQS body holding an EUM Social
//! event) → typed model → store, with an audit item per record.
//!
//! A record that can never be processed (poison) is audited as failed and reported, never
//! retried. A store fault that may pass is returned as an error so that the caller lets Lambda
//! redeliver the record; every write is idempotent, so a redelivery neither loses nor doubles.

//!
//! # Layout
//! - this module: the record's journey (parse, dispatch each change, audit) and its report;
//! - `messages`: `messages[]` of a messages change → MESSAGE items threaded into conversations;
//! - `statuses`: `statuses[]` of a messages change → status updates;
//! - `fields`: template and quality updates, and webhook fields kept as they came.

mod fields;
mod messages;
mod statuses;

use serde::Serialize;
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::ctx::Ctx;
use crate::keys;
use crate::model::{
    Entry, Envelope, EventKind, ItemType, MessageStatus, MessagesValue, RecordOutcome,
    WebhookEventItem,
};
use crate::store::{Store, StoreError};
use crate::time;

/// One record as it reached us.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// `sns` or `sqs`.
    pub source: &'a str,
    /// The SNS MessageId / SQS messageId: stable across redeliveries of the same record.
    pub id: &'a str,
    /// The EUM Social event (SNS `Message`).
    pub body: &'a str,
}

pub use crate::ctx::InboundSettings;

/// What happened to one record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordReport {
    pub delivery_id: String,
    /// `processed`, `partial` (some parts were poison) or `failed` (the whole record was poison).
    pub outcome: RecordOutcome,
    pub counts: Counts,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<String>,
    /// Meta's type of each new message, for metrics.
    #[serde(skip)]
    pub new_types: Vec<String>,
    /// Each applied status, for metrics.
    #[serde(skip)]
    pub applied_statuses: Vec<MessageStatus>,
    /// Seconds between Meta's timestamp and processing, per message/status.
    #[serde(skip)]
    pub lags: Vec<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub messages: u32,
    pub duplicates: u32,
    pub statuses: u32,
    pub stale_statuses: u32,
    pub templates: u32,
    pub quality: u32,
    pub kept: u32,
    pub poison: u32,
    pub media_fetched: u32,
    pub media_failed: u32,
}

/// Processes one delivered record.
///
/// # Errors
/// Only a retryable [`StoreError`]: poison and permanent faults are reported in the
/// [`RecordReport`] and audited, so that the record is not redelivered forever.
pub async fn process_delivery(
    ctx: &Ctx,
    delivery: &Delivery<'_>,
) -> Result<RecordReport, StoreError> {
    let store = ctx.store();
    let settings = &ctx.settings().inbound;
    let now = time::now_iso();
    let mut report = RecordReport {
        delivery_id: delivery.id.to_string(),
        ..Default::default()
    };
    let parsed = Envelope::parse(delivery.body).and_then(|env| env.entry().map(|e| (env, e)));
    let (envelope, entry) = match parsed {
        Ok(pair) => pair,
        Err(poison) => {
            warn!(delivery_id = delivery.id, error = %poison, "poison record skipped");
            report.outcome = RecordOutcome::Failed;
            report.counts.poison = 1;
            report.errors.push(poison.to_string());
            let audit = audit_item(delivery, &report, None, &[], &now, settings);
            let audit = WebhookEventItem {
                payload: Some(Value::String(truncate(delivery.body, 16 * 1024))),
                ..audit
            };
            write_audit(store, &audit).await?;
            return Ok(report);
        }
    };
    let waba_id = envelope.waba_id(&entry);
    let fields: Vec<String> = entry.changes.iter().map(|c| c.field.clone()).collect();
    match process_entry(
        ctx,
        delivery,
        &envelope,
        &entry,
        &waba_id,
        &now,
        &mut report,
    )
    .await
    {
        Ok(()) => {}
        Err(e) if e.is_retryable() => return Err(e),
        // A permanent store refusal for this record (an item over the size limit, say):
        // retrying cannot help, so it is audited like poison.
        Err(e) => {
            report.counts.poison += 1;
            report.errors.push(e.to_string());
        }
    }
    report.outcome = if report.errors.is_empty() {
        RecordOutcome::Processed
    } else {
        RecordOutcome::Partial
    };
    let audit = audit_item(delivery, &report, Some(&waba_id), &fields, &now, settings);
    let audit = WebhookEventItem {
        eum_message_id: envelope.message_id.clone(),
        ..audit
    };
    write_audit(store, &audit).await?;
    info!(
        delivery_id = delivery.id,
        outcome = %report.outcome,
        messages = report.counts.messages,
        duplicates = report.counts.duplicates,
        statuses = report.counts.statuses,
        "record processed"
    );
    Ok(report)
}

/// Writes an audit item. Only a retryable fault is returned: an audit the store refuses must
/// not make Lambda redeliver a record whose data is already stored.
async fn write_audit(store: &dyn Store, audit: &WebhookEventItem) -> Result<(), StoreError> {
    match store.put_webhook_event(audit).await {
        Err(e) if !e.is_retryable() => {
            warn!(pk = %audit.pk, error = %e, "audit item refused");
            Ok(())
        }
        other => other,
    }
}

/// Keeps going after a permanent refusal of one write (recorded as poison for that part);
/// returns a retryable fault so the whole record is redelivered.
fn tolerate<T>(
    result: Result<T, StoreError>,
    what: &str,
    report: &mut RecordReport,
) -> Result<Option<T>, StoreError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_retryable() => Err(e),
        Err(e) => {
            report.counts.poison += 1;
            report.errors.push(format!("{what}: {e}"));
            Ok(None)
        }
    }
}

async fn process_entry(
    ctx: &Ctx,
    delivery: &Delivery<'_>,
    envelope: &Envelope,
    entry: &Entry,
    waba_id: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let store = ctx.store();
    // Meta's time of an account-level event orders template and quality updates.
    let event_at = entry
        .time
        .as_ref()
        .and_then(time::from_meta_timestamp)
        .or_else(|| {
            envelope
                .message_timestamp
                .as_deref()
                .and_then(time::parse_iso)
                .map(time::iso)
        })
        .unwrap_or_else(|| now.to_string());
    for (index, change) in entry.changes.iter().enumerate() {
        match change.field.as_str() {
            "messages" => {
                let value: MessagesValue = match serde_json::from_value(change.value.clone()) {
                    Ok(v) => v,
                    Err(e) => {
                        report.counts.poison += 1;
                        report
                            .errors
                            .push(format!("changes[{index}] (messages): {e}"));
                        continue;
                    }
                };
                messages::process_messages(ctx, envelope, &value, waba_id, now, report).await?;
                if !value.errors.is_empty() {
                    fields::keep_field(
                        store,
                        delivery,
                        waba_id,
                        "messages.errors",
                        index,
                        &json!(value.errors),
                        now,
                        report,
                    )
                    .await?;
                }
            }
            "message_template_status_update" => {
                fields::record_template(
                    store,
                    &change.value,
                    index,
                    waba_id,
                    &event_at,
                    now,
                    report,
                )
                .await?;
            }
            "phone_number_quality_update" => {
                fields::record_quality(
                    store,
                    &change.value,
                    index,
                    waba_id,
                    &event_at,
                    now,
                    report,
                )
                .await?;
            }
            field => {
                fields::keep_field(
                    store,
                    delivery,
                    waba_id,
                    field,
                    index,
                    &change.value,
                    now,
                    report,
                )
                .await?;
            }
        }
    }
    Ok(())
}

fn audit_item(
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

fn push_lag(report: &mut RecordReport, at: &str, now: &str) {
    if let (Some(a), Some(n)) = (time::parse_iso(at), time::parse_iso(now)) {
        report.lags.push((n - a).num_milliseconds() as f64 / 1000.0);
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
