//! A phone's quality history: every `phone_number_quality_update` is also kept as a
//! `QUALITY_EVENT#…` item, listed per display number on `gsi-itemType` (newest first), beside
//! the newest state (`QUALITY#{display number}`) the inbound path keeps. A downgrade or a
//! change of the messaging limit is notified once (when the state item moved).

use serde_json::{Value, json};

use super::{notify, text};
use crate::ctx::Ctx;
use crate::store::{Page, PageRequest, StoreError};

/// `gsi-itemType` partition of one display number's quality events.
pub fn partition(display_phone_number: &str) -> String {
    format!("QUALITY_HISTORY#{display_phone_number}")
}

/// Keeps the event and notifies it when it moved the state (`newest`).
///
/// # Errors
/// The store's errors.
pub async fn after_update(
    ctx: &Ctx,
    delivery_id: &str,
    index: usize,
    value: &Value,
    waba_id: &str,
    event_at: &str,
    newest: bool,
) -> Result<(), StoreError> {
    let Some(display) = text(value, "display_phone_number") else {
        return Ok(());
    };
    let mut item = json!({
        "pk": format!("QUALITY_EVENT#{display}#{delivery_id}#{index}"),
        "itemType": "QUALITY_EVENT",
        "itemTypePk": partition(&display),
        "displayPhoneNumber": display,
        "wabaId": waba_id,
        "eventAt": event_at,
        "createdAt": event_at,
    });
    for (k, attr) in [
        ("event", "event"),
        ("current_limit", "currentLimit"),
        ("old_limit", "oldLimit"),
        (
            "max_daily_conversations_per_business",
            "maxDailyConversationsPerBusiness",
        ),
        ("quality_rating", "qualityRating"),
        ("new_quality_score", "newQualityScore"),
    ] {
        if let Some(v) = text(value, k) {
            item[attr] = json!(v);
        }
    }
    ctx.store().put_record(&item).await?;
    if newest {
        notify::on_field(ctx, "phone_number_quality_update", value, waba_id).await;
    }
    Ok(())
}

/// The quality events of a display number, newest first.
///
/// # Errors
/// The store's errors.
pub async fn history(
    ctx: &Ctx,
    display: &str,
    page: &PageRequest,
) -> Result<Page<Value>, StoreError> {
    ctx.store()
        .list_by_item_type(&partition(display), page)
        .await
}
