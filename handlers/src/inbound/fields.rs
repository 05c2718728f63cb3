//! Account-level webhook fields: template status and phone quality updates (newest wins), and
//! every other field kept as it came.

use serde_json::Value;

use super::{Delivery, RecordReport, tolerate};
use crate::keys;
use crate::model::{EventKind, ItemType, QualityItem, RecordOutcome, WebhookEventItem};
use crate::store::{Store, StoreError};

/// Applies a template webhook change ([`crate::templates::webhook::FIELDS`]) to the
/// template's cached item ([`crate::templates::webhook::apply`]); a change that names no
/// template is poison.
#[allow(clippy::too_many_arguments)]
pub(super) async fn record_template(
    store: &dyn Store,
    field: &str,
    value: &Value,
    index: usize,
    waba_id: &str,
    event_at: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    use crate::templates::webhook::{Applied, apply};
    let applied = apply(store, field, value, waba_id, event_at, now).await;
    match tolerate(applied, "template", report)? {
        Some(Ok(Applied::Written)) => report.counts.templates += 1,
        Some(Err(needs)) => poison(report, index, field, needs),
        _ => {}
    }
    Ok(())
}

/// Applies a `flows` webhook change (status change or endpoint alert) to the flow's item; a
/// change without `flow_id` is poison.
pub(super) async fn record_flow(
    store: &dyn Store,
    value: &Value,
    index: usize,
    waba_id: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let applied = crate::templates::flows::apply_webhook(store, value, waba_id, now).await;
    match tolerate(applied, "flow", report)? {
        Some(true) => report.counts.kept += 1,
        Some(false) => poison(report, index, "flows", "flow_id"),
        None => {}
    }
    Ok(())
}

/// Counts a change that lacks what its item needs as poison, naming what was missing.
fn poison(report: &mut RecordReport, index: usize, field: &str, needs: &str) {
    report.counts.poison += 1;
    report
        .errors
        .push(format!("changes[{index}] ({field}): needs {needs}"));
}

/// Stores a phone's new quality, unless a newer event is stored; a change without the display
/// phone number is poison.
pub(super) async fn record_quality(
    store: &dyn Store,
    value: &Value,
    index: usize,
    waba_id: &str,
    event_at: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let Some(item) = quality_item(value, waba_id, event_at, now) else {
        poison(
            report,
            index,
            "phone_number_quality_update",
            "display_phone_number",
        );
        return Ok(());
    };
    let written = tolerate(store.put_quality(&item).await, "quality", report)?;
    if written == Some(true) {
        report.counts.quality += 1;
    }
    Ok(())
}

fn quality_item(value: &Value, waba_id: &str, event_at: &str, now: &str) -> Option<QualityItem> {
    let s = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    let display = s("display_phone_number")?;
    Some(QualityItem {
        pk: keys::quality(&display),
        item_type: ItemType::Quality,
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

/// Stores a webhook field this version does not process, as Meta sent it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn keep_field(
    store: &dyn Store,
    delivery: &Delivery<'_>,
    waba_id: &str,
    field: &str,
    index: usize,
    value: &Value,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let kept = Kept {
        field,
        index,
        value,
        error: None,
    };
    keep(store, delivery, waba_id, &kept, now, report).await
}

/// Keeps the statuses of a messages change whose `type` this version does not know (field
/// `messages.statuses`), with their types as the reason.
#[allow(clippy::too_many_arguments)]
pub(super) async fn keep_foreign_statuses(
    store: &dyn Store,
    delivery: &Delivery<'_>,
    waba_id: &str,
    index: usize,
    statuses: &[Value],
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let types: Vec<&str> = statuses
        .iter()
        .filter_map(|s| s.get("type").and_then(Value::as_str))
        .collect();
    let value = Value::Array(statuses.to_vec());
    let kept = Kept {
        field: "messages.statuses",
        index,
        value: &value,
        error: Some(format!(
            "changes[{index}] (messages): statuses of type {} are not a message's",
            types.join(", ")
        )),
    };
    keep(store, delivery, waba_id, &kept, now, report).await
}

/// A change kept whole as a generic event.
pub(super) struct Kept<'a> {
    pub field: &'a str,
    pub index: usize,
    pub value: &'a Value,
    /// Why it could not be read as its field, when it could not.
    pub error: Option<String>,
}

/// Keeps a change whole as a generic event (`WEBHOOK_EVENT#{waba}#{field}#…`, listed under
/// `WEBHOOK_EVENT#{field}`), with why it could not be read when it could not: a change that
/// does not fit its field is stored, never poison for it or its siblings.
pub(super) async fn keep(
    store: &dyn Store,
    delivery: &Delivery<'_>,
    waba_id: &str,
    kept: &Kept<'_>,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    if let Some(error) = &kept.error {
        tracing::warn!(
            delivery_id = delivery.id,
            field = kept.field,
            index = kept.index,
            error = %error,
            "webhook change kept whole: it does not fit its field"
        );
    }
    let item = WebhookEventItem {
        pk: keys::webhook_field_event(waba_id, kept.field, delivery.id, kept.index),
        item_type: ItemType::WebhookEvent,
        kind: EventKind::Field(kept.field.to_string()),
        item_type_pk: Some(keys::item_type::webhook_field(kept.field)),
        outcome: RecordOutcome::Kept,
        delivery_id: Some(delivery.id.to_string()),
        waba_id: Some(waba_id.to_string()),
        fields: vec![kept.field.to_string()],
        error: kept.error.clone(),
        payload: Some(kept.value.clone()),
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
