//! `payment_configuration_update` (Payments API India and Brazil): the WABA's payment
//! configuration and its gateway, `PAYMENT_CONFIG#{wabaId}#{configurationName}` (listed per WABA
//! on `gsi-itemType`), merged forward by Meta's `updated_timestamp` so a late update never
//! undoes a newer one. The status is kept as Meta's text (`Active`, `Needs_Connecting`,
//! `Needs_Testing`, or whatever Meta adds).

use serde_json::json;

use super::{FieldChange, FieldOutcome, meta_time, secs_of, text, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::store::{Forward, StoreError};

pub const ITEM_TYPE: &str = "PAYMENT_CONFIG";

/// Stores one configuration update; one without `configuration_name` is poison (it names no
/// configuration).
pub(super) async fn record(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<FieldOutcome, StoreError> {
    let mut outcome = FieldOutcome::default();
    let v = change.value;
    let Some(name) = text(v, "configuration_name") else {
        outcome.poison.push(format!(
            "changes[{}] (payment_configuration_update): needs configuration_name",
            change.index
        ));
        return Ok(outcome);
    };
    let updated = meta_time(v.get("updated_timestamp"));
    let (at, rank) = match &updated {
        Some((iso, secs)) => (iso.clone(), secs * 1000),
        None => (change.event_at.to_string(), secs_of(change.event_at) * 1000),
    };
    let set = json!({
        "itemType": ITEM_TYPE,
        "itemTypePk": keys::item_type::payment_configurations(change.waba_id),
        "wabaId": change.waba_id,
        "configurationName": name,
        "createdAt": change.now,
        "updatedAt": change.now,
    });
    let forward = Forward {
        rank_attr: "statusRank",
        rank,
        attrs: json!({
            "status": text(v, "status"),
            "statusAt": at,
            "providerName": text(v, "provider_name"),
            "providerMid": text(v, "provider_mid"),
            "createdTimestamp": meta_time(v.get("created_timestamp")).map(|t| t.0),
            "lastUpdate": v,
        }),
    };
    let pk = keys::payment_configuration(change.waba_id, &name);
    if tolerate(
        ctx.store().merge_record(&pk, &set, Some(&forward)).await,
        "payment configuration",
        &mut outcome,
    )?
    .is_some()
    {
        outcome.items += 1;
    }
    Ok(outcome)
}
