//! The inbound path: one delivered record (an SNS message or SQS body holding an EUM Social
//! event) → typed model → store, with an audit item per record.
//!
//! A record that can never be processed (poison) is audited as failed and reported, never
//! retried. A store fault that may pass is returned as an error so that the caller lets Lambda
//! redeliver the record; every write is idempotent, so a redelivery neither loses nor doubles.

use serde::Serialize;
use serde_json::{Value, json};
use tracing::{debug, info, warn};

use crate::ctx::Ctx;
use crate::keys;
use crate::model::{
    self, Arrival, Entry, Envelope, MessagesValue, QualityItem, Status, TemplateItem,
    WebhookEventItem,
};
use crate::redact::mask;
use crate::store::{
    ConversationTouch, Recorded, StatusApplied, StatusUpdate, Store, StoreError, status_rank,
};
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
    pub outcome: String,
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
    pub applied_statuses: Vec<String>,
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
            report.outcome = "failed".into();
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
        "processed"
    } else {
        "partial"
    }
    .into();
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
                process_messages(ctx, envelope, &value, waba_id, now, report).await?;
                if !value.errors.is_empty() {
                    keep_field(
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
                match template_item(&change.value, waba_id, &event_at, now) {
                    Some(item) => {
                        let written = tolerate(
                            store.put_template_status(&item).await,
                            "template status",
                            report,
                        )?;
                        if written == Some(true) {
                            report.counts.templates += 1;
                        }
                    }
                    None => {
                        report.counts.poison += 1;
                        report.errors.push(format!(
                            "changes[{index}] (message_template_status_update): needs message_template_name, message_template_language and event"
                        ));
                    }
                }
            }
            "phone_number_quality_update" => {
                match quality_item(&change.value, waba_id, &event_at, now) {
                    Some(item) => {
                        let written = tolerate(store.put_quality(&item).await, "quality", report)?;
                        if written == Some(true) {
                            report.counts.quality += 1;
                        }
                    }
                    None => {
                        report.counts.poison += 1;
                        report.errors.push(format!(
                        "changes[{index}] (phone_number_quality_update): needs display_phone_number"
                    ));
                    }
                }
            }
            field => {
                keep_field(
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

async fn process_messages(
    ctx: &Ctx,
    envelope: &Envelope,
    value: &MessagesValue,
    waba_id: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let store = ctx.store();
    let phone_number_id = value.metadata.phone_number_id.clone().or_else(|| {
        envelope
            .context
            .meta_phone_number_ids
            .first()
            .map(|p| p.meta_phone_number_id.clone())
    });
    let Some(phone_number_id) = phone_number_id else {
        if !value.messages.is_empty() || !value.statuses.is_empty() {
            report.counts.poison += 1;
            report
                .errors
                .push("messages change has no metadata.phone_number_id".into());
        }
        return Ok(());
    };
    let arrival = Arrival {
        phone_number_id: &phone_number_id,
        display_phone_number: value.metadata.display_phone_number.as_deref(),
        waba_id,
        now,
    };

    for raw in &value.messages {
        let (item, customer) = match model::parse_inbound(raw, &arrival, &value.contacts) {
            Ok(parsed) => parsed,
            Err(e) => {
                report.counts.poison += 1;
                report.errors.push(e);
                continue;
            }
        };
        let customer_id = customer.id().unwrap_or_default().to_string();
        let touch = ConversationTouch {
            pk: item.conversation_pk.clone().unwrap_or_default(),
            inbox_pk: keys::inbox(&phone_number_id),
            phone_number_id: phone_number_id.clone(),
            waba_id: Some(waba_id.to_string()),
            customer_id: customer_id.clone(),
            wa_id: customer.wa_id.clone(),
            user_id: customer.user_id.clone(),
            profile_name: customer.profile_name.clone(),
            message_at: item.received_at.clone(),
            message_id: item.wa_message_id.clone(),
            preview: model::preview(&item),
            direction: item.direction.clone(),
            inbound: true,
            now: now.to_string(),
        };
        let what = format!("message {}", item.wa_message_id);
        let Some(outcome) = tolerate(store.record_message(&item, &touch).await, &what, report)?
        else {
            continue;
        };
        debug!(wamid = %item.wa_message_id, customer = %mask(&customer_id), kind = ?item.kind, ?outcome, "inbound message");
        report.message_ids.push(item.wa_message_id.clone());
        push_lag(report, &item.received_at, now);
        match outcome {
            Recorded::New => {
                report.counts.messages += 1;
                report.new_types.push(item.kind.clone().unwrap_or_default());
                if ctx.settings().auto_download_media
                    && item.media.as_ref().is_some_and(|m| m.id.is_some())
                {
                    // EUM names the phone's ARN in the event; that is the origination to fetch with.
                    let arn = envelope
                        .context
                        .meta_phone_number_ids
                        .iter()
                        .find(|p| p.meta_phone_number_id == phone_number_id)
                        .and_then(|p| p.arn.clone());
                    // A failed copy never loses the message: it is recorded as a failed
                    // MEDIA_DOWNLOAD and can be retried with `download_media`.
                    match crate::media::download(ctx, &item.wa_message_id, arn.as_deref()).await {
                        Ok(_) => report.counts.media_fetched += 1,
                        Err(e) => {
                            warn!(wamid = %item.wa_message_id, error = %e, "media not copied; retry with download_media");
                            report.counts.media_failed += 1;
                        }
                    }
                }
            }
            Recorded::Duplicate => report.counts.duplicates += 1,
        }
    }

    for raw in &value.statuses {
        let status: Status = match serde_json::from_value(raw.clone()) {
            Ok(s) => s,
            Err(e) => {
                report.counts.poison += 1;
                report.errors.push(format!("status: {e}"));
                continue;
            }
        };
        let update = status_update(&status, &phone_number_id, waba_id, now);
        let what = format!("status {} of {}", update.status, update.wa_message_id);
        let Some(outcome) = tolerate(store.apply_status(&update).await, &what, report)? else {
            continue;
        };
        debug!(wamid = %update.wa_message_id, status = %update.status, ?outcome, "status");
        push_lag(report, &update.at, now);
        match outcome {
            StatusApplied::Applied => {
                report.counts.statuses += 1;
                report.applied_statuses.push(update.status.clone());
            }
            StatusApplied::Stale => report.counts.stale_statuses += 1,
        }
    }
    Ok(())
}

fn status_update(status: &Status, phone_number_id: &str, waba_id: &str, now: &str) -> StatusUpdate {
    let at = status
        .timestamp
        .as_ref()
        .and_then(time::from_meta_timestamp)
        .unwrap_or_else(|| now.to_string());
    let customer = status
        .recipient_id
        .clone()
        .or_else(|| status.recipient_user_id.clone());
    StatusUpdate {
        wa_message_id: status.id.clone(),
        status: status.status.clone(),
        rank: status_rank(&status.status),
        conversation_pk: customer
            .as_deref()
            .map(|c| keys::conversation(phone_number_id, c)),
        direction_pk: Some(keys::direction(phone_number_id, model::OUTBOUND, &at)),
        at,
        phone_number_id: Some(phone_number_id.to_string()),
        waba_id: Some(waba_id.to_string()),
        to: customer,
        to_user_id: status.recipient_user_id.clone(),
        error: status.errors.first().map(Into::into),
        pricing: status.pricing.clone(),
        billing_conversation: status.conversation.clone(),
        biz_opaque_callback_data: status.biz_opaque_callback_data.clone(),
        now: now.to_string(),
    }
}

fn template_item(value: &Value, waba_id: &str, event_at: &str, now: &str) -> Option<TemplateItem> {
    let s = |k: &str| match value.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let name = s("message_template_name")?;
    let language = s("message_template_language")?;
    let status = s("event")?;
    Some(TemplateItem {
        pk: keys::template(waba_id, &name, &language),
        item_type: model::TEMPLATE.into(),
        item_type_pk: keys::item_type::TEMPLATE.into(),
        waba_id: waba_id.to_string(),
        template_id: s("message_template_id"),
        reason: s("reason").filter(|r| r != "NONE"),
        name,
        language,
        status,
        status_at: event_at.to_string(),
        created_at: now.to_string(),
        updated_at: now.to_string(),
    })
}

fn quality_item(value: &Value, waba_id: &str, event_at: &str, now: &str) -> Option<QualityItem> {
    let s = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    let display = s("display_phone_number")?;
    Some(QualityItem {
        pk: keys::quality(&display),
        item_type: model::QUALITY.into(),
        item_type_pk: keys::item_type::QUALITY.into(),
        display_phone_number: display,
        waba_id: Some(waba_id.to_string()),
        event: s("event"),
        current_limit: s("current_limit"),
        old_limit: s("old_limit"),
        quality_rating: s("quality_rating").or_else(|| s("new_quality_score")),
        status_at: event_at.to_string(),
        created_at: now.to_string(),
        updated_at: now.to_string(),
    })
}

#[allow(clippy::too_many_arguments)]
async fn keep_field(
    store: &dyn Store,
    delivery: &Delivery<'_>,
    waba_id: &str,
    field: &str,
    index: usize,
    value: &Value,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let item = WebhookEventItem {
        pk: keys::webhook_field_event(waba_id, field, delivery.id, index),
        item_type: model::WEBHOOK_EVENT.into(),
        kind: field.to_string(),
        item_type_pk: Some(keys::item_type::webhook_field(field)),
        outcome: "kept".into(),
        delivery_id: Some(delivery.id.to_string()),
        waba_id: Some(waba_id.to_string()),
        fields: vec![field.to_string()],
        payload: Some(value.clone()),
        created_at: now.to_string(),
        ..Default::default()
    };
    if tolerate(
        store.put_webhook_event(&item).await,
        "kept webhook field",
        report,
    )?
    .is_some()
    {
        report.counts.kept += 1;
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
    let failed = report.outcome != "processed";
    let ttl = time::parse_iso(now).map(|t| t.timestamp() + settings.audit_ttl_days * 86_400);
    WebhookEventItem {
        pk: keys::webhook_audit(delivery.id),
        item_type: model::WEBHOOK_EVENT.into(),
        kind: delivery.source.to_string(),
        item_type_pk: failed.then(|| keys::item_type::FAILED_WEBHOOK_EVENT.to_string()),
        outcome: report.outcome.clone(),
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
