//! `statuses[]` of a messages change: each status moves its message forward, never back. A
//! status of one of our sends carries its idempotency tag in `biz_opaque_callback_data`: the
//! tag is stripped (the caller's own data is stored) and a pending send intent is completed.

use serde_json::Value;
use tracing::debug;

use super::{RecordReport, push_lag, tolerate};
use crate::keys;
use crate::model::{MessageStatus, Status};
use crate::outbound;
use crate::store::{StatusApplied, StatusUpdate, Store, StoreError};
use crate::time;

/// The `type` of a status that is not a message's nor a payment's (a kind Meta added): it is
/// kept whole rather than applied to a message of that id.
pub(super) fn foreign_type(raw: &Value) -> Option<&str> {
    raw.get("type")
        .and_then(Value::as_str)
        .filter(|t| !matches!(*t, "message" | "payment"))
}

/// Applies each status of one messages change; a status that does not decode is poison.
pub(super) async fn apply_statuses(
    store: &dyn Store,
    statuses: &[Value],
    phone_number_id: &str,
    waba_id: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    for raw in statuses {
        // commerce: a payment status (`type: payment`) moves its PAYMENT item, not a message
        if crate::commerce::payments::is_payment(raw) {
            apply_payment(store, raw, phone_number_id, waba_id, now, report).await?;
            continue;
        }
        let mut status: Status = match serde_json::from_value(raw.clone()) {
            Ok(s) => s,
            Err(e) => {
                report.counts.poison += 1;
                report.errors.push(format!("status: {e}"));
                continue;
            }
        };
        if let Err(reason) = check_ids(&status) {
            report.counts.poison += 1;
            report.errors.push(reason);
            continue;
        }
        let tag = status
            .biz_opaque_callback_data
            .as_deref()
            .and_then(outbound::parse_tag);
        if let Some((intent_id, caller_data)) = tag {
            status.biz_opaque_callback_data = caller_data;
            let what = format!("send intent of {}", status.id);
            tolerate(
                outbound::reconcile(store, &intent_id, &status.id, now).await,
                &what,
                report,
            )?;
        }
        let update = status_update(&status, phone_number_id, waba_id, now);
        let what = format!("status {} of {}", update.status, update.wa_message_id);
        let Some(change) = tolerate(store.apply_status_change(&update).await, &what, report)?
        else {
            continue;
        };
        // analytics (issue 9): the transition the store reports, counted once
        let counted = crate::analytics::on_status(store, &update, &change).await;
        crate::analytics::counters::tolerate(counted, &update.wa_message_id, report);
        let outcome = change.applied;
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

/// The status's ids that become parts of keys (`MSG#{id}`, its recipient's conversation).
fn check_ids(status: &Status) -> Result<(), String> {
    use crate::params::ids::IdKind;
    IdKind::WaMessageId.check_part("status id", &status.id)?;
    if let Some(recipient) = &status.recipient_id {
        IdKind::CustomerId.check_part("status recipient_id", recipient)?;
    }
    Ok(())
}

async fn apply_payment(
    store: &dyn Store,
    raw: &Value,
    phone_number_id: &str,
    waba_id: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    use crate::commerce::payments::{PaymentApplied, apply_webhook};
    let applied = apply_webhook(store, raw, phone_number_id, waba_id, now).await;
    match tolerate(applied, "payment status", report)? {
        Some(PaymentApplied::Applied { .. }) => report.counts.typed += 1,
        Some(PaymentApplied::Stale) => report.counts.stale_statuses += 1,
        Some(PaymentApplied::Invalid(reason)) => {
            report.counts.poison += 1;
            report.errors.push(reason);
        }
        None => {}
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
        status: MessageStatus::from(status.status.clone()),
        conversation_pk: customer
            .as_deref()
            .map(|c| keys::conversation(phone_number_id, c)),
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
