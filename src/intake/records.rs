//! SNS and SQS records → [`handlers::inbound::process_delivery`].

use aws_lambda_events::event::sns::SnsRecord;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};
use handlers::Ctx;
use handlers::inbound::{Delivery, RecordReport, process_delivery};
use serde_json::{Value, json};
use tracing::{Instrument, error, info_span, warn};

use super::RetryableFailure;

/// The SNS `MessageId` and `Message` of a record. Typed with `aws_lambda_events` when the record
/// is complete; hand-edited console events often lack signature fields, so the two fields we
/// need are also read leniently.
fn sns_parts(record: &Value) -> Option<(String, String)> {
    if let Ok(typed) = serde_json::from_value::<SnsRecord>(record.clone()) {
        return Some((typed.sns.message_id, typed.sns.message));
    }
    let sns = record.get("Sns")?;
    let message = sns.get("Message")?.as_str()?.to_string();
    let id = sns
        .get("MessageId")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    Some((id, message))
}

/// The SQS `messageId` and `body` of a record. Typed with `aws_lambda_events` when the record
/// parses; a record that does not (a malformed attribute, say) is read leniently, so that it is
/// still processed with the body that arrived. A record without a body is processed as poison
/// whose payload is the whole record, so the audit item keeps what came.
fn sqs_parts(record: &Value, index: usize) -> (String, String) {
    let (id, body) = match serde_json::from_value::<SqsMessage>(record.clone()) {
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

pub async fn handle_sns(ctx: &Ctx, event: Value) -> Result<Value, RetryableFailure> {
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut reports = Vec::with_capacity(records.len());
    let mut first_failure = None;
    let mut failed = 0;
    for (index, record) in records.iter().enumerate() {
        let (id, body) = sns_parts(record).unwrap_or_else(|| {
            // Processed as poison below: the body is not an EUM event.
            let body = record.to_string();
            (content_id(&format!("sns-record-{index}"), &body), body)
        });
        match process(ctx, "sns", &id, &body).await {
            Ok(report) => reports.push(report),
            Err(e) => {
                failed += 1;
                first_failure.get_or_insert(e);
            }
        }
    }
    if let Some(source) = first_failure {
        return Err(RetryableFailure { failed, source });
    }
    Ok(json!({"statusCode": 200, "operation": "process_webhook", "data": summary(&reports)}))
}

pub async fn handle_sqs(ctx: &Ctx, event: Value) -> Value {
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut response = SqsBatchResponse::default();
    for (index, record) in records.iter().enumerate() {
        let (sqs_id, body) = sqs_parts(record, index);
        let (id, body) = unwrap_sns_notification(&body).unwrap_or((sqs_id.clone(), body));
        if process(ctx, "sqs", &id, &body).await.is_err() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = sqs_id;
            response.batch_item_failures.push(failure);
        }
    }
    serde_json::to_value(response).unwrap_or_else(|_| json!({"batchItemFailures": []}))
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

async fn process(
    ctx: &Ctx,
    source: &'static str,
    id: &str,
    body: &str,
) -> Result<RecordReport, handlers::StoreError> {
    let delivery = Delivery { source, id, body };
    let span = info_span!("record", source, delivery_id = id);
    let started = std::time::Instant::now();
    let result = process_delivery(ctx, &delivery).instrument(span).await;
    if let Ok(report) = &result {
        crate::metrics::record(report, started.elapsed().as_secs_f64() * 1000.0);
    }
    match &result {
        Err(e @ handlers::StoreError::Fault { .. }) => {
            crate::metrics::failure(e);
            error!(source, delivery_id = id, error = %e, chain = %handlers::error::chain(e), "infrastructure fault (access, table or key schema): record will be delivered again; fix the deployment");
        }
        Err(e) => {
            crate::metrics::failure(e);
            error!(source, delivery_id = id, error = %e, "transient fault: record will be retried");
        }
        Ok(_) => {}
    }
    result
}

fn summary(reports: &[RecordReport]) -> Value {
    json!({
        "records": reports.len(),
        "messages": reports.iter().map(|r| r.counts.messages).sum::<u32>(),
        "duplicates": reports.iter().map(|r| r.counts.duplicates).sum::<u32>(),
        "statuses": reports.iter().map(|r| r.counts.statuses).sum::<u32>(),
        "staleStatuses": reports.iter().map(|r| r.counts.stale_statuses).sum::<u32>(),
        "poison": reports.iter().map(|r| r.counts.poison).sum::<u32>(),
        "reports": reports,
    })
}
