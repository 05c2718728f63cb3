//! Account-level webhook fields: template status and phone quality updates (newest wins), and
//! every other field kept as it came.

use serde_json::Value;

use super::{Delivery, RecordReport, tolerate};
use crate::keys;
use crate::model::{
    EventKind, ItemType, QualityItem, RecordOutcome, TemplateItem, WebhookEventItem,
};
use crate::store::{Store, StoreError};

/// Stores a template's new status, unless a newer one is stored; a change without the
/// template's name, language and event is poison.
pub(super) async fn record_template(
    store: &dyn Store,
    value: &Value,
    index: usize,
    waba_id: &str,
    event_at: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let Some(item) = template_item(value, waba_id, event_at, now) else {
        poison(
            report,
            index,
            "message_template_status_update",
            "message_template_name, message_template_language and event",
        );
        return Ok(());
    };
    let written = tolerate(
        store.put_template_status(&item).await,
        "template status",
        report,
    )?;
    if written == Some(true) {
        report.counts.templates += 1;
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
        item_type: ItemType::Template,
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
    let item = WebhookEventItem {
        pk: keys::webhook_field_event(waba_id, field, delivery.id, index),
        item_type: ItemType::WebhookEvent,
        kind: EventKind::Field(field.to_string()),
        item_type_pk: Some(keys::item_type::webhook_field(field)),
        outcome: RecordOutcome::Kept,
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
