//! The inbound path: one delivered record (an SNS message or SQS body holding an EUM Social
//! event) → typed model → store, with an audit item per failed or partial record (and per
//! processed one when `AUDIT_PROCESSED_RECORDS` is on). The records of one invocation go through
//! [`process_batch`]: concurrently, in delivery order within a conversation.
//!
//! A record that can never be processed because of its payload (poison) is audited as failed
//! with its whole body (so it can be replayed) and reported, never retried. Any other failure (a
//! store that is unavailable, or a fault of the deployment such as access denied) is returned
//! as an error so that the caller lets Lambda redeliver the record; every write is idempotent,
//! so a redelivery or a replay neither loses nor doubles.

//!
//! # Layout
//! - this module: the record's journey (parse, dispatch each change, audit) and its report;
//! - `messages`: `messages[]` of a messages change → MESSAGE items threaded into conversations;
//! - `echoes`: `smb_message_echoes`, what the business sent from the WhatsApp Business app;
//! - `lifecycle`: the elements of `messages[]` that change a message or the conversation
//!   (edits, deletions, reactions, `request_welcome`, number changes);
//! - `statuses`: `statuses[]` of a messages change → status updates;
//! - `fields`: template and quality updates, and webhook fields kept as they came;
//! - `audit`: the audit item of each record, and the whole body of a failed or partial one;
//! - `batch`: the records of one invocation, grouped by conversation and message, concurrently.

mod audit;
mod batch;
mod echoes;
mod fields;
mod lifecycle;
mod messages;
mod statuses;

use serde::Serialize;
use serde_json::json;
use tracing::{debug, info, warn};

use crate::ctx::Ctx;
use crate::model::{Entry, Envelope, MessageStatus, MessagesValue, RecordOutcome};
use crate::store::StoreError;
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
pub use batch::{
    DEFAULT_CONCURRENCY, MAX_CONCURRENCY, Skipped, groups, ordering_keys, process_batch,
    process_batch_with, skipped,
};

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
    /// The business phones (Meta phone number ids) the record concerns, for live updates.
    #[serde(skip)]
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub messages: u32,
    pub duplicates: u32,
    /// Edits, deletions, reactions and chat openings applied (not messages).
    pub changes: u32,
    pub statuses: u32,
    pub stale_statuses: u32,
    pub templates: u32,
    pub quality: u32,
    pub kept: u32,
    pub poison: u32,
    /// Items written or updated from typed account fields (calls, customers, groups, alerts, …).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub typed: u32,
    pub media_fetched: u32,
    pub media_failed: u32,
    /// Automation replies sent (or replayed) for this record's messages.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub automations_fired: u32,
    /// Automation rules that failed (logged; the record is not failed for it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub automation_failures: u32,
    /// Analytics counter writes that failed (logged; the record is not failed for it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub analytics_failures: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Bodies up to this many bytes are kept whole in the audit item of a failed or partial record;
/// a larger body goes to the media store (`webhook-payloads/{deliveryId}.json`) and the item
/// points at it. DynamoDB items are limited to 400 KB; the rest of the audit item fits in the
/// margin.
pub const MAX_INLINE_PAYLOAD: usize = 350 * 1024;

/// Processes one delivered record.
///
/// # Errors
/// A [`StoreError`] that is not the payload's fault: `Unavailable` (retry) or `Fault` (the
/// deployment is wrong). Either way the record must be delivered again, so the caller fails the
/// invocation (SNS) or lists the record (SQS) and the DLQ keeps it. Poison (the payload's own
/// fault) is reported in the [`RecordReport`] and audited with its whole body, never retried.
pub async fn process_delivery(
    ctx: &Ctx,
    delivery: &Delivery<'_>,
) -> Result<RecordReport, StoreError> {
    let report = process(ctx, delivery, None).await?;
    if report.counts.poison > 0 {
        crate::platform::notify::publish(
            ctx,
            crate::platform::notify::poison(delivery.id, &report.errors),
        )
        .await;
    }
    Ok(report)
}

/// Processes a stored failed or partial record again (`replay_webhook_events`). As
/// [`process_delivery`]; the audit item keeps `received_at` as its `createdAt` and records when
/// it was replayed. Every write is idempotent, so what was stored the first time is not stored
/// twice.
///
/// # Errors
/// As [`process_delivery`].
pub async fn replay_delivery(
    ctx: &Ctx,
    delivery: &Delivery<'_>,
    received_at: &str,
) -> Result<RecordReport, StoreError> {
    process(ctx, delivery, Some(received_at)).await
}

async fn process(
    ctx: &Ctx,
    delivery: &Delivery<'_>,
    replay_of: Option<&str>,
) -> Result<RecordReport, StoreError> {
    let store = ctx.store();
    let settings = &ctx.settings().inbound;
    let now = time::now_iso();
    let mut report = RecordReport {
        delivery_id: delivery.id.to_string(),
        ..Default::default()
    };
    let audit = |report: &RecordReport, waba_id: Option<&str>, fields: &[String]| {
        let mut item = audit_item(delivery, report, waba_id, fields, &now, settings);
        if let Some(received_at) = replay_of {
            item.created_at = received_at.to_string();
            item.replayed_at = Some(now.clone());
        }
        item
    };
    let parsed = Envelope::parse(delivery.body).and_then(|env| env.entry().map(|e| (env, e)));
    let (envelope, entry) = match parsed {
        Ok(pair) => pair,
        Err(poison) => {
            refuse(&mut report, delivery, poison.to_string());
            let mut item = audit(&report, None, &[]);
            keep_payload(ctx, delivery, &mut item).await?;
            write_audit(store, &item).await?;
            return Ok(report);
        }
    };
    let waba_id = envelope.waba_id(&entry);
    let fields: Vec<String> = entry
        .changes
        .iter()
        .map(|c| match c.unreadable {
            Some(_) => UNREADABLE.to_string(),
            None => c.field.clone(),
        })
        .collect();
    report.phones = entry
        .changes
        .iter()
        .filter_map(|c| c.value.get("metadata")?.get("phone_number_id")?.as_str())
        .map(str::to_string)
        .collect();
    report.phones.dedup();
    if let Some(reason) = foreign_account(&envelope, &entry, settings) {
        refuse(&mut report, delivery, reason);
        let mut item = audit(&report, Some(&waba_id), &fields);
        item.eum_message_id.clone_from(&envelope.message_id);
        keep_payload(ctx, delivery, &mut item).await?;
        write_audit(store, &item).await?;
        return Ok(report);
    }
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
        // The store refused something this record brought (an item over the size limit, say):
        // retrying cannot help, so it is audited like poison.
        Err(e) if e.is_poison() => {
            report.counts.poison += 1;
            report.errors.push(e.to_string());
        }
        // Unavailable or a fault of the deployment: not the payload's fault, redeliver.
        Err(e) => return Err(e),
    }
    report.outcome = if report.errors.is_empty() {
        RecordOutcome::Processed
    } else {
        RecordOutcome::Partial
    };
    // A record processed completely is audited only when asked (`AUDIT_PROCESSED_RECORDS`):
    // that saves a write per record. A replay always writes, so that the record leaves the
    // failed list.
    let audited = report.outcome != RecordOutcome::Processed
        || settings.audit_processed_records
        || replay_of.is_some();
    if audited {
        let mut item = audit(&report, Some(&waba_id), &fields);
        item.eum_message_id.clone_from(&envelope.message_id);
        if report.outcome != RecordOutcome::Processed {
            keep_payload(ctx, delivery, &mut item).await?;
        }
        write_audit(store, &item).await?;
    }
    // An ordinary record logs at DEBUG: its counts are in the metrics line, and logs are billed
    // by the byte. A partial one is worth a line at INFO (its parts were already warned about).
    if report.outcome == RecordOutcome::Processed {
        debug!(
            delivery_id = delivery.id,
            messages = report.counts.messages,
            duplicates = report.counts.duplicates,
            statuses = report.counts.statuses,
            "record processed"
        );
    } else {
        info!(
            delivery_id = delivery.id,
            outcome = %report.outcome,
            messages = report.counts.messages,
            duplicates = report.counts.duplicates,
            statuses = report.counts.statuses,
            "record processed"
        );
    }
    Ok(report)
}

use audit::{audit_item, keep_payload, write_audit};

/// The field name a change without `field` is kept under.
pub const UNREADABLE: &str = "unreadable";

/// Marks the whole record as poison.
fn refuse(report: &mut RecordReport, delivery: &Delivery<'_>, reason: String) {
    warn!(delivery_id = delivery.id, error = %reason, "poison record skipped");
    report.outcome = RecordOutcome::Failed;
    report.counts.poison = 1;
    report.errors.push(reason);
}

/// Why a record is refused when accounts are restricted (`ALLOWED_WABA_IDS`,
/// `ALLOWED_PHONE_NUMBER_IDS`): the first WABA or business phone it names that is not allowed.
fn foreign_account(
    envelope: &Envelope,
    entry: &Entry,
    settings: &InboundSettings,
) -> Option<String> {
    let allowed = |list: &[String], id: &str| list.is_empty() || list.iter().any(|a| a == id);
    let wabas = envelope
        .context
        .meta_waba_ids
        .iter()
        .map(|w| w.waba_id.as_str())
        .chain(std::iter::once(entry.id.as_str()));
    for waba in wabas {
        if !allowed(&settings.allowed_waba_ids, waba) {
            return Some(format!("refused: WABA {waba} is not in ALLOWED_WABA_IDS"));
        }
    }
    let phones = envelope
        .context
        .meta_phone_number_ids
        .iter()
        .map(|p| p.meta_phone_number_id.as_str())
        .chain(
            entry
                .changes
                .iter()
                .filter_map(|c| c.value.get("metadata")?.get("phone_number_id")?.as_str()),
        );
    for phone in phones {
        if !allowed(&settings.allowed_phone_number_ids, phone) {
            return Some(format!(
                "refused: business phone {phone} is not in ALLOWED_PHONE_NUMBER_IDS"
            ));
        }
    }
    None
}

/// Keeps going after the store refused one write because of what the payload brought
/// (recorded as poison for that part); returns any other failure (unavailable, or a fault of
/// the deployment) so the whole record is redelivered.
pub(crate) fn tolerate<T>(
    result: Result<T, StoreError>,
    what: &str,
    report: &mut RecordReport,
) -> Result<Option<T>, StoreError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_poison() => {
            report.counts.poison += 1;
            report.errors.push(format!("{what}: {e}"));
            Ok(None)
        }
        Err(e) => Err(e),
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
        if let Some(raw) = &change.unreadable {
            let kept = fields::Kept {
                field: UNREADABLE,
                index,
                value: raw,
                error: Some(format!("changes[{index}] has no `field`")),
            };
            fields::keep(store, delivery, waba_id, &kept, now, report).await?;
            continue;
        }
        match change.field.as_str() {
            "messages" => {
                let mut value: MessagesValue = match serde_json::from_value(change.value.clone()) {
                    Ok(v) => v,
                    Err(e) => {
                        let kept = fields::Kept {
                            field: "messages",
                            index,
                            value: &change.value,
                            error: Some(format!("changes[{index}] (messages): {e}")),
                        };
                        fields::keep(store, delivery, waba_id, &kept, now, report).await?;
                        continue;
                    }
                };
                let (foreign, ours): (Vec<_>, Vec<_>) = std::mem::take(&mut value.statuses)
                    .into_iter()
                    .partition(|s| statuses::foreign_type(s).is_some());
                value.statuses = ours;
                if !foreign.is_empty() {
                    fields::keep_foreign_statuses(
                        store, delivery, waba_id, index, &foreign, now, report,
                    )
                    .await?;
                }
                let applied_before = report.applied_statuses.len();
                messages::process_messages(ctx, envelope, &value, waba_id, now, report).await?;
                crate::platform::notify::failed_statuses(ctx, &value, applied_before, report).await;
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
            "smb_message_echoes" => {
                let arrived_at = time::arrival(envelope.message_timestamp.as_deref());
                echoes::process_echoes(
                    ctx,
                    &change.value,
                    index,
                    waba_id,
                    now,
                    &arrived_at,
                    report,
                )
                .await?;
            }
            field if crate::templates::webhook::FIELDS.contains(&field) => {
                let before = report.counts.templates;
                fields::record_template(
                    store,
                    field,
                    &change.value,
                    index,
                    waba_id,
                    &event_at,
                    now,
                    report,
                )
                .await?;
                if report.counts.templates > before {
                    crate::platform::notify::on_field(ctx, &change.field, &change.value, waba_id)
                        .await;
                }
            }
            "flows" => {
                fields::record_flow(store, &change.value, index, waba_id, now, report).await?;
            }
            "phone_number_quality_update" => {
                let before = report.counts.quality;
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
                let newest = report.counts.quality > before;
                tolerate(
                    crate::platform::quality::after_update(
                        ctx,
                        delivery.id,
                        index,
                        &change.value,
                        waba_id,
                        &event_at,
                        newest,
                    )
                    .await,
                    "quality history",
                    report,
                )?;
            }
            field => {
                let typed = (
                    delivery.id,
                    waba_id,
                    field,
                    index,
                    &change.value,
                    &*event_at,
                    now,
                );
                match crate::platform::record_typed(ctx, typed, report).await? {
                    Some(reasons) if reasons.is_empty() => continue,
                    Some(reasons) => {
                        let kept = fields::Kept {
                            field,
                            index,
                            value: &change.value,
                            error: Some(reasons.join("; ")),
                        };
                        fields::keep(store, delivery, waba_id, &kept, now, report).await?;
                        continue;
                    }
                    None => {}
                }
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

fn push_lag(report: &mut RecordReport, at: &str, now: &str) {
    if let (Some(a), Some(n)) = (time::parse_iso(at), time::parse_iso(now)) {
        report.lags.push((n - a).num_milliseconds() as f64 / 1000.0);
    }
}
