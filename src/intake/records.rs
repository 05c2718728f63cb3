//! SNS and SQS records → [`handlers::inbound::process_batch_with`]: the records of one
//! invocation concurrently, a conversation's in delivery order.

use aws_lambda_events::event::sns::SnsRecord;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};
use handlers::Ctx;
use handlers::inbound::{Delivery, RecordReport, process_batch_with, process_delivery};
use handlers::model::RecordOutcome;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{Instrument, error, info_span, warn};

use super::RetryableFailure;

/// The SNS `MessageId` and `Message` of a record. Typed with `aws_lambda_events` when the record
/// is complete; hand-edited console events often lack signature fields, so the two fields we
/// need are also read leniently. A record that has neither is processed as poison whose body is
/// the whole record.
fn sns_parts(record: &Value, index: usize) -> (String, String) {
    if let Ok(typed) = SnsRecord::deserialize(record) {
        return (typed.sns.message_id, typed.sns.message);
    }
    let lenient = || {
        let sns = record.get("Sns")?;
        let message = sns.get("Message")?.as_str()?.to_string();
        let id = sns
            .get("MessageId")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string();
        Some((id, message))
    };
    lenient().unwrap_or_else(|| {
        // Processed as poison: the body is not an EUM event.
        let body = record.to_string();
        (content_id(&format!("sns-record-{index}"), &body), body)
    })
}

/// The SQS `messageId` and `body` of a record. Typed with `aws_lambda_events` when the record
/// parses; a record that does not (a malformed attribute, say) is read leniently, so that it is
/// still processed with the body that arrived. A record without a body is processed as poison
/// whose payload is the whole record, so the audit item keeps what came.
fn sqs_parts(record: &Value, index: usize) -> (String, String) {
    let (id, body) = match SqsMessage::deserialize(record) {
        Ok(typed) => (typed.message_id, typed.body),
        Err(e) => {
            warn!(error = %e, "SQS record does not parse as SqsMessage: reading messageId and body leniently");
            let field = |name| record.get(name).and_then(Value::as_str).map(str::to_string);
            (field("messageId"), field("body"))
        }
    };
    let body = body.unwrap_or_else(|| record.to_string());
    let id = id.unwrap_or_else(|| content_id(&format!("sqs-record-{index}"), &body));
    (id, body)
}

/// The event's records, taken out of it (not copied); each record is dropped once its id and
/// body are read.
fn take_records<T>(event: &mut Value, mut parts: impl FnMut(&Value, usize) -> T) -> Vec<T> {
    match event.get_mut("Records").map(Value::take) {
        Some(Value::Array(records)) => records
            .into_iter()
            .enumerate()
            .map(|(index, record)| parts(&record, index))
            .collect(),
        _ => Vec::new(),
    }
}

/// Up to this many records, the answer carries every record's report; above it, only the
/// reports of records not processed completely, unless the event asks for `"detail": true`.
pub const DETAILED_RECORDS: usize = 10;

pub async fn handle_sns(ctx: &Ctx, mut event: Value) -> Result<Value, RetryableFailure> {
    let detail = event.get("detail") == Some(&Value::Bool(true));
    let records = take_records(&mut event, sns_parts);
    drop(event);
    let deliveries: Vec<Delivery<'_>> = records
        .iter()
        .map(|(id, body)| Delivery {
            source: "sns",
            id,
            body,
        })
        .collect();
    let every_report = detail || deliveries.len() <= DETAILED_RECORDS;
    let mut totals = Totals::default();
    let mut reports: Vec<(usize, RecordReport)> = Vec::new();
    let mut first_failure: Option<(usize, handlers::StoreError)> = None;
    let mut failed = 0;
    let mut phones: Vec<String> = Vec::new();
    process_batch_with(
        ctx,
        &deliveries,
        |_, delivery| process(ctx, delivery),
        |index, result| match result {
            Ok(report) => {
                totals.add(&report);
                phones.extend(changed_phones(&report));
                if every_report || report.outcome != RecordOutcome::Processed {
                    reports.push((index, report));
                }
            }
            Err(e) => {
                failed += 1;
                if first_failure.as_ref().is_none_or(|(at, _)| index < *at) {
                    first_failure = Some((index, e));
                }
            }
        },
    )
    .await;
    // What was stored is pushed to open pages even if another record must be retried.
    push_live(ctx, phones).await;
    if let Some((_, source)) = first_failure {
        return Err(RetryableFailure { failed, source });
    }
    reports.sort_by_key(|(index, _)| *index);
    let reports: Vec<RecordReport> = reports.into_iter().map(|(_, r)| r).collect();
    Ok(json!({"statusCode": 200, "operation": "process_webhook", "data": totals.answer(reports)}))
}

pub async fn handle_sqs(ctx: &Ctx, mut event: Value) -> Value {
    // Campaigns (issue 9): a batch of the campaign work queue runs its work items.
    if let Some(answer) = crate::work_queue::handle_work(ctx, &event).await {
        return answer;
    }
    // (SQS messageId, delivery id, body) of each record, and for the fast-ack queue's retries its
    // receipt handle and receive count.
    let mut retry_info: Vec<(Option<String>, u32)> = Vec::new();
    let records = take_records(&mut event, |record, index| {
        retry_info.push(super::webhooks::fastack_retry_info(record));
        let (sqs_id, body) = sqs_parts(record, index);
        match unwrap_sns_notification(&body) {
            Some((id, message)) => (sqs_id, id, message),
            None => (sqs_id.clone(), sqs_id, body),
        }
    });
    drop(event);
    let deliveries: Vec<Delivery<'_>> = records
        .iter()
        .map(|(_, id, body)| Delivery {
            source: "sqs",
            id,
            body,
        })
        .collect();
    let mut failed: Vec<usize> = Vec::new();
    let mut phones: Vec<String> = Vec::new();
    let mut reasons: Vec<(usize, String)> = Vec::new();
    process_batch_with(
        ctx,
        &deliveries,
        |_, delivery| process(ctx, delivery),
        |index, result| match result {
            Ok(report) => phones.extend(changed_phones(&report)),
            Err(e) => {
                failed.push(index);
                reasons.push((index, e.to_string()));
            }
        },
    )
    .await;
    push_live(ctx, phones).await;
    // Fast-ack webhooks that failed: a growing delay before their next attempt (fastack.rs).
    for (index, reason) in reasons {
        if let Some(webhook) = handlers::ports::queue::QueuedWebhook::parse(deliveries[index].body)
        {
            let (handle, receive_count) = &retry_info[index];
            super::webhooks::fastack::retry_later(
                ctx,
                &records[index].0,
                handle.as_deref(),
                *receive_count,
                &webhook.source,
                &reason,
            )
            .await;
        }
    }
    // Exactly the records that were not fully stored (failed, or not attempted because an
    // earlier record of their conversation failed), by their SQS messageId, in batch order.
    failed.sort_unstable();
    let mut response = SqsBatchResponse::default();
    for index in failed {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = records[index].0.clone();
        response.batch_item_failures.push(failure);
    }
    serde_json::to_value(response).unwrap_or_else(|_| json!({"batchItemFailures": []}))
}

/// The phones of a record that changed something a page shows (not a duplicate alone).
fn changed_phones(report: &RecordReport) -> impl Iterator<Item = String> + '_ {
    let c = &report.counts;
    let changed = c.messages + c.statuses + c.changes + c.typed + c.media_fetched > 0;
    report.phones.iter().filter(move |_| changed).cloned()
}

/// Tells deployed pages following these phones that records changed them (no-op without
/// `LIVE_SOCKET_URL`; bounded in time, never fails).
async fn push_live(ctx: &Ctx, mut phones: Vec<String>) {
    let Some(live) = ctx.live() else { return };
    if phones.is_empty() {
        return;
    }
    phones.sort();
    phones.dedup();
    live.changed(
        &phones,
        &serde_json::json!({"source": "events", "phones": phones}),
    )
    .await;
}

/// An id for a record that came without one: stable for the same content, so a redelivery
/// still overwrites its own audit item (FNV-1a, 64 bits).
fn content_id(prefix: &str, body: &str) -> String {
    let hash = body.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{prefix}-{hash:016x}")
}

/// With raw message delivery off, an SQS body is an SNS notification whose `Message` is the
/// EUM event; its SNS `MessageId` stays the same across redeliveries, so it names the record.
fn unwrap_sns_notification(body: &str) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(body).ok()?;
    if value.get("Type").and_then(Value::as_str) != Some("Notification") {
        return None;
    }
    let message = value.get("Message")?.as_str()?.to_string();
    let id = value.get("MessageId").and_then(Value::as_str)?.to_string();
    Some((id, message))
}

pub(super) async fn process(
    ctx: &Ctx,
    delivery: &Delivery<'_>,
) -> Result<RecordReport, handlers::StoreError> {
    let (source, id) = (delivery.source, delivery.id);
    let span = info_span!("record", source, delivery_id = id);
    let started = std::time::Instant::now();
    // A webhook put on the fast-ack queue is processed by its source (webhooks/fastack.rs).
    let result = match handlers::ports::queue::QueuedWebhook::parse(delivery.body) {
        Some(webhook) => {
            super::webhooks::fastack::consume(ctx, &webhook, id)
                .instrument(span)
                .await
        }
        None => process_delivery(ctx, delivery).instrument(span).await,
    };
    if let Ok(report) = &result {
        let elapsed = started.elapsed().as_secs_f64();
        crate::metrics::record(report, elapsed * 1000.0);
        crate::prom::processed(report, elapsed);
    }
    match &result {
        Err(e @ handlers::StoreError::Fault { .. }) => {
            crate::metrics::failure(e);
            error!(source, delivery_id = id, error = %e, chain = %handlers::error::chain(e), "infrastructure fault (access, table or key schema): record will be delivered again; fix the deployment");
        }
        Err(e) => {
            crate::metrics::failure(e);
            crate::prom::failed();
            error!(source, delivery_id = id, error = %e, "transient fault: record will be retried");
        }
        Ok(_) => {}
    }
    result
}

/// The totals of an SNS invocation, summed as each record is through: a report is kept only
/// when it is answered.
#[derive(Default)]
struct Totals {
    records: usize,
    messages: u32,
    duplicates: u32,
    statuses: u32,
    stale_statuses: u32,
    poison: u32,
}

impl Totals {
    fn add(&mut self, report: &RecordReport) {
        self.records += 1;
        self.messages += report.counts.messages;
        self.duplicates += report.counts.duplicates;
        self.statuses += report.counts.statuses;
        self.stale_statuses += report.counts.stale_statuses;
        self.poison += report.counts.poison;
    }

    fn answer(&self, reports: Vec<RecordReport>) -> Value {
        json!({
            "records": self.records,
            "messages": self.messages,
            "duplicates": self.duplicates,
            "statuses": self.statuses,
            "staleStatuses": self.stale_statuses,
            "poison": self.poison,
            "reports": reports,
        })
    }
}
