//! The account side of WhatsApp: webhook fields other than messages and templates, each into
//! an item of its own or an update to one (calls, customer preferences, groups, account
//! alerts and reviews, capabilities, display names, security, Business app contacts), the
//! click-to-WhatsApp referrals of customers, the linked-phone cache, and notifications.
//!
//! # Layout
//! - this module: which field goes where ([`record_field`]), shared readers of Meta's values;
//! - `calls`: the `calls` field → `CALL#{callId}` items, and the call log queries;
//! - `customers`: `user_preferences` → `CUSTOMER#…`, CTWA referrals, the marketing check;
//! - `groups`: the four group fields → `GROUP#…` and their participants;
//! - `account`: account alerts, updates, reviews, capabilities, names, security, contacts;
//! - `conversions`: `automatic_events` (leads and purchases of click-to-WhatsApp chats);
//! - `payment_config`: `payment_configuration_update` → `PAYMENT_CONFIG#…`;
//! - `quality`: every quality webhook kept as history, and notified when it moved the state;
//! - `phones`: linked WABAs and phones cached by `get_config`, and naming a phone by any id;
//! - `notify`: what is notified, and publishing with one retry.

pub mod account;
pub mod calls;
pub mod conversions;
pub mod customers;
pub mod groups;
pub mod notify;
pub mod payment_config;
pub mod phones;
pub mod quality;

use serde_json::Value;

use crate::ctx::Ctx;
use crate::store::StoreError;

/// One change of a webhook entry.
#[derive(Debug, Clone, Copy)]
pub struct FieldChange<'a> {
    pub delivery_id: &'a str,
    pub waba_id: &'a str,
    pub field: &'a str,
    pub index: usize,
    pub value: &'a Value,
    /// Meta's `entry.time` (else EUM's timestamp, else now), ISO-8601.
    pub event_at: &'a str,
    pub now: &'a str,
}

/// What a typed field wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldOutcome {
    /// Items written or updated.
    pub items: u32,
    /// Parts that could never be stored (what they lacked).
    pub poison: Vec<String>,
    /// Why the change does not fit its field, when it does not (in whole or in part): the
    /// caller keeps the whole change as a generic event with these reasons, never as poison.
    pub keep: Vec<String>,
}

/// The fields [`record_field`] types.
pub const FIELDS: &[&str] = &[
    "calls",
    "user_preferences",
    "group_lifecycle_update",
    "group_participants_update",
    "group_settings_update",
    "group_status_update",
    "account_alerts",
    "account_update",
    "account_review_update",
    "business_capability_update",
    "phone_number_name_update",
    "security",
    "smb_app_state_sync",
    "automatic_events",
    "payment_configuration_update",
];

/// Stores a field this module types; `Ok(None)` for any other field (the caller keeps it whole).
///
/// # Errors
/// The store's errors that are not the payload's fault.
pub async fn record_field(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<Option<FieldOutcome>, StoreError> {
    let outcome = match change.field {
        "calls" => calls::record(ctx, change).await?,
        "user_preferences" => customers::record_preferences(ctx, change).await?,
        "group_lifecycle_update"
        | "group_participants_update"
        | "group_settings_update"
        | "group_status_update" => groups::record(ctx, change).await?,
        "smb_app_state_sync" => account::record_contacts(ctx, change).await?,
        "automatic_events" => conversions::record(ctx, change).await?,
        "payment_configuration_update" => payment_config::record(ctx, change).await?,
        "account_alerts"
        | "account_update"
        | "account_review_update"
        | "business_capability_update"
        | "phone_number_name_update"
        | "security" => account::record(ctx, change).await?,
        _ => return Ok(None),
    };
    Ok(Some(outcome))
}

/// [`record_field`] for the inbound path: `(delivery id, waba id, field, change index, value,
/// event time, now)`; counts what it wrote (`typed`) and its poison parts in the report. `None`
/// when the field is not one of ours (the caller keeps it whole); else why the change should
/// also be kept whole (empty when it was read completely).
///
/// # Errors
/// The store's errors that are not the payload's fault.
pub(crate) async fn record_typed(
    ctx: &Ctx,
    (delivery_id, waba_id, field, index, value, event_at, now): (
        &str,
        &str,
        &str,
        usize,
        &Value,
        &str,
        &str,
    ),
    report: &mut crate::inbound::RecordReport,
) -> Result<Option<Vec<String>>, StoreError> {
    let change = FieldChange {
        delivery_id,
        waba_id,
        field,
        index,
        value,
        event_at,
        now,
    };
    let Some(outcome) = record_field(ctx, &change).await? else {
        return Ok(None);
    };
    report.counts.typed += outcome.items;
    report.counts.poison += outcome.poison.len() as u32;
    report.errors.extend(outcome.poison);
    Ok(Some(outcome.keep))
}

/// A string or number of `value` as text.
pub(crate) fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Meta's unix `timestamp` as (ISO-8601, seconds).
pub(crate) fn meta_time(value: Option<&Value>) -> Option<(String, i64)> {
    let v = value?;
    let secs = match v {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Some((crate::time::from_meta_timestamp(&Value::from(secs))?, secs))
}

/// Seconds of an ISO-8601 time (0 when it does not parse).
pub(crate) fn secs_of(iso: &str) -> i64 {
    crate::time::parse_iso(iso).map_or(0, |t| t.timestamp())
}

/// The business phone of a change with `metadata` (Meta's phone number id).
pub(crate) fn business_phone(value: &Value) -> Option<String> {
    value
        .get("metadata")
        .and_then(|m| text(m, "phone_number_id"))
}

/// Keeps going after the store refused one part for its content (poison for that part).
pub(crate) fn tolerate<T>(
    result: Result<T, StoreError>,
    what: &str,
    outcome: &mut FieldOutcome,
) -> Result<Option<T>, StoreError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_poison() => {
            outcome.poison.push(format!("{what}: {e}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
