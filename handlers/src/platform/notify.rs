//! Notifications: what is worth a person's attention, published through the
//! [`crate::ports::notify::Notifier`] when one is configured. Publishing never fails nor holds
//! up the record or request it comes from: a failed publish is retried once, then logged and
//! reported to the notifier (which meters it).

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::ports::notify::Notification;
use crate::time;

/// The longest subject SNS accepts for e-mail.
pub const MAX_SUBJECT: usize = 100;

/// Builds a notification (subject cut to [`MAX_SUBJECT`] characters).
pub fn notification(
    kind: &'static str,
    severity: &'static str,
    phone: Option<&str>,
    waba_id: Option<&str>,
    summary: impl Into<String>,
    detail: Value,
) -> Notification {
    let summary = summary.into();
    let subject: String = format!("WhatsApp {severity}: {summary}")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_SUBJECT)
        .collect();
    Notification {
        kind,
        severity,
        phone_number_id: phone.map(str::to_string),
        waba_id: waba_id.map(str::to_string),
        subject,
        summary,
        detail,
        at: time::now_iso(),
    }
}

/// Publishes `n` when a notifier is configured: retried once, never an error to the caller.
pub async fn publish(ctx: &Ctx, n: Notification) {
    let Some(notifier) = ctx.platform().notifier.as_ref() else {
        return;
    };
    let first = match notifier.publish(&n).await {
        Ok(()) => return,
        Err(e) => e,
    };
    tracing::warn!(kind = n.kind, error = %crate::error::chain(&first), "notification failed; retrying once");
    if let Err(e) = notifier.publish(&n).await {
        tracing::error!(kind = n.kind, severity = n.severity, error = %crate::error::chain(&e), "notification lost");
        notifier.lost(&n);
    }
}

/// A quality or messaging-limit change worth telling (`phone_number_quality_update`): a
/// downgrade, a flag, or any change of the limit.
pub fn quality(value: &Value, waba_id: &str) -> Option<Notification> {
    let s = |k: &str| value.get(k).and_then(Value::as_str);
    let event = s("event").unwrap_or_default();
    let limit_changed = s("old_limit").is_some() && s("old_limit") != s("current_limit");
    let severity = match event {
        "DOWNGRADE" | "FLAGGED" => "WARNING",
        "UPGRADE" | "UNFLAGGED" if limit_changed => "INFO",
        _ if limit_changed => "INFO",
        _ => return None,
    };
    let display = s("display_phone_number");
    Some(notification(
        "quality",
        severity,
        display,
        Some(waba_id),
        format!(
            "phone {} quality {event}, limit {}",
            display.unwrap_or("?"),
            s("current_limit").unwrap_or("unchanged")
        ),
        value.clone(),
    ))
}

/// A template rejected, paused, disabled (`message_template_status_update`) or recategorised
/// (`template_category_update`).
pub fn template(field: &str, value: &Value, waba_id: &str) -> Option<Notification> {
    let s = |k: &str| match value.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let name = s("message_template_name").unwrap_or_default();
    let (severity, what) = match field {
        "message_template_status_update" => match s("event").as_deref() {
            Some(e @ ("REJECTED" | "DISABLED")) => ("CRITICAL", e.to_string()),
            Some(e @ ("PAUSED" | "FLAGGED")) => ("WARNING", e.to_string()),
            _ => return None,
        },
        "template_category_update" => (
            "WARNING",
            format!(
                "recategorised {} → {}",
                s("previous_category").unwrap_or_default(),
                s("new_category")
                    .or_else(|| s("correct_category"))
                    .unwrap_or_default()
            ),
        ),
        _ => return None,
    };
    Some(notification(
        "template",
        severity,
        None,
        Some(waba_id),
        format!("template {name} {what}"),
        value.clone(),
    ))
}

/// A failed send (a `failed` status webhook, or a send EUM Social refused), with Meta's code.
pub fn send_failed(
    phone: Option<&str>,
    wa_message_id: &str,
    code: Option<i64>,
    title: Option<&str>,
) -> Notification {
    notification(
        "send_failed",
        "WARNING",
        phone,
        None,
        format!(
            "message {wa_message_id} failed ({}{})",
            code.map(|c| c.to_string())
                .unwrap_or_else(|| "no code".into()),
            title.map(|t| format!(": {t}")).unwrap_or_default()
        ),
        json!({"waMessageId": wa_message_id, "errorCode": code, "errorTitle": title}),
    )
}

/// A record that can never be processed (kept for replay).
pub fn poison(delivery_id: &str, errors: &[String]) -> Notification {
    notification(
        "poison_record",
        "WARNING",
        None,
        None,
        format!("webhook record {delivery_id} could not be processed"),
        json!({"deliveryId": delivery_id, "errors": errors}),
    )
}

/// A new inbound message, for downstream consumers (`NOTIFY_INBOUND_MESSAGES`).
pub fn inbound_message(
    phone: &str,
    customer: &str,
    wa_message_id: &str,
    kind: Option<&str>,
) -> Notification {
    notification(
        "inbound_message",
        "INFO",
        Some(phone),
        None,
        format!("new {} message", kind.unwrap_or("unknown")),
        json!({"waMessageId": wa_message_id, "customerId": customer, "type": kind}),
    )
}

/// Notifies a template or quality change a record just stored (the caller checked it was new).
pub async fn on_field(ctx: &Ctx, field: &str, value: &Value, waba_id: &str) {
    let n = match field {
        "phone_number_quality_update" => quality(value, waba_id),
        _ => template(field, value, waba_id),
    };
    if let Some(n) = n {
        publish(ctx, n).await;
    }
}

/// Notifies each `failed` status of a messages change, when the change applied a failed status
/// (`applied_before`: how many statuses the record had applied before this change).
pub async fn failed_statuses(
    ctx: &Ctx,
    value: &crate::model::MessagesValue,
    applied_before: usize,
    report: &crate::inbound::RecordReport,
) {
    if ctx.platform().notifier.is_none() {
        return;
    }
    let applied_failed = report.applied_statuses
        [applied_before.min(report.applied_statuses.len())..]
        .contains(&crate::model::MessageStatus::Failed);
    if !applied_failed {
        return;
    }
    for status in value.statuses.iter().filter(|s| s["status"] == "failed") {
        let error = status["errors"].get(0);
        let n = send_failed(
            value.metadata.phone_number_id.as_deref(),
            status["id"].as_str().unwrap_or_default(),
            error.and_then(|e| e["code"].as_i64()),
            error.and_then(|e| e["title"].as_str()),
        );
        publish(ctx, n).await;
    }
}

/// Notifies a new inbound message when `NOTIFY_INBOUND_MESSAGES` is on.
pub async fn new_inbound(ctx: &Ctx, item: &crate::model::MessageItem, customer_id: &str) {
    if !ctx.platform().notify_inbound {
        return;
    }
    let n = inbound_message(
        item.phone_number_id.as_deref().unwrap_or_default(),
        customer_id,
        &item.wa_message_id,
        item.kind.as_deref(),
    );
    publish(ctx, n).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_short_and_single_line() {
        let n = notification(
            "security",
            "CRITICAL",
            None,
            None,
            "x\n".repeat(200),
            json!({}),
        );
        assert!(n.subject.chars().count() <= MAX_SUBJECT);
        assert!(!n.subject.contains('\n'));
    }

    #[test]
    fn only_downgrades_and_limit_changes_are_told() {
        let down = json!({"display_phone_number": "15550783881", "event": "DOWNGRADE", "current_limit": "TIER_1K"});
        assert_eq!(quality(&down, "1").unwrap().severity, "WARNING");
        let same =
            json!({"display_phone_number": "1", "event": "UPGRADE", "current_limit": "TIER_1K"});
        assert!(quality(&same, "1").is_none());
        let limit = json!({"display_phone_number": "1", "event": "ONBOARDING", "old_limit": "TIER_1K", "current_limit": "TIER_10K"});
        assert_eq!(quality(&limit, "1").unwrap().severity, "INFO");
        let rejected = json!({"event": "REJECTED", "message_template_name": "promo", "message_template_id": 42});
        let n = template("message_template_status_update", &rejected, "w").unwrap();
        assert_eq!((n.kind, n.severity), ("template", "CRITICAL"));
        assert!(n.subject.contains("promo REJECTED"));
        assert!(
            template(
                "message_template_status_update",
                &json!({"event": "APPROVED"}),
                "w"
            )
            .is_none()
        );
    }
}
