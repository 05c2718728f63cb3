//! The `calls` webhook field → `CALL#{callId}` items, merged forward only.
//!
//! Meta sends a call's life in several webhooks: `calls[]` with `event: connect` (the offer,
//! with its SDP), `event: terminate` (start and end times, duration, `COMPLETED` or `FAILED`),
//! and for business-initiated calls `statuses[]` with `type: call` (`RINGING`, `ACCEPTED`,
//! `REJECTED`). Each webhook is one [`crate::store::Store::merge_record`]: its facts are set
//! (idempotent), and the call's `status` moves only forward by rank, so redeliveries and any
//! order of arrival leave the same item. Each call is written twice: `CALL#{id}`, listed under
//! its business phone, and `CALL#{id}#CUSTOMER`, listed under its customer (both on
//! `gsi-itemType`, by the call's time), so the logs are queries, never a scan.

use serde_json::{Map, Value, json};

use super::{FieldChange, FieldOutcome, business_phone, meta_time, text, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::store::{Forward, Page, PageRequest, StoreError};

/// The item type of a call.
pub const ITEM_TYPE: &str = "CALL";

/// The rank of a call state: a later state never gives way to an earlier one.
pub fn rank(status: &str) -> i64 {
    match status {
        "CONNECT" => 1,
        "RINGING" => 2,
        "ACCEPTED" | "REJECTED" => 3,
        // terminate: COMPLETED, FAILED, or whatever Meta names the end
        _ => 9,
    }
}

/// One call event, read from a `calls[]` or `statuses[]` element.
#[derive(Debug, Clone, PartialEq)]
struct CallEvent {
    call_id: String,
    customer: Option<String>,
    direction: Option<String>,
    status: String,
    at: String,
    facts: Map<String, Value>,
}

fn from_call(call: &Value, business: Option<&str>) -> Option<CallEvent> {
    let call_id = text(call, "id")?;
    let event = text(call, "event")?;
    let (at, _) = meta_time(call.get("timestamp"))?;
    let direction = text(call, "direction");
    let (from, to) = (text(call, "from"), text(call, "to"));
    // The customer is the other side: the caller of a user-initiated call, else the callee.
    let customer = match direction.as_deref() {
        Some("BUSINESS_INITIATED") => to.clone(),
        Some(_) => from.clone(),
        None => [from.clone(), to.clone()]
            .into_iter()
            .flatten()
            .find(|n| Some(n.as_str()) != business),
    };
    let mut facts = Map::new();
    for (k, v) in [("from", &from), ("to", &to)] {
        if let Some(v) = v {
            facts.insert(k.into(), json!(v));
        }
    }
    if let Some(data) = text(call, "biz_opaque_callback_data") {
        facts.insert("bizOpaqueCallbackData".into(), json!(data));
    }
    let status = match event.as_str() {
        "connect" => {
            facts.insert("connectAt".into(), json!(at));
            if let Some(sdp_type) = call.get("session").and_then(|s| text(s, "sdp_type")) {
                facts.insert("sdpType".into(), json!(sdp_type));
            }
            "CONNECT".to_string()
        }
        "terminate" => {
            facts.insert("terminateAt".into(), json!(at));
            if let Some((start, _)) = meta_time(call.get("start_time")) {
                facts.insert("startTime".into(), json!(start));
            }
            if let Some((end, _)) = meta_time(call.get("end_time")) {
                facts.insert("endTime".into(), json!(end));
            }
            if let Some(d) = call.get("duration").and_then(|d| match d {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }) {
                facts.insert("durationSeconds".into(), json!(d));
            }
            if let Some(errors) = call.get("errors").filter(|e| e.is_array()) {
                facts.insert("errors".into(), errors.clone());
            }
            // Meta's outcome (`COMPLETED`, `FAILED`); its sample once showed a list.
            let outcome = match call.get("status") {
                Some(Value::String(s)) => s.to_uppercase(),
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .next()
                    .unwrap_or("TERMINATED")
                    .to_uppercase(),
                _ => "TERMINATED".into(),
            };
            facts.insert("outcome".into(), json!(outcome));
            outcome
        }
        other => other.to_uppercase(),
    };
    Some(CallEvent {
        call_id,
        customer,
        direction,
        status,
        at,
        facts,
    })
}

fn from_status(status: &Value) -> Option<CallEvent> {
    let call_id = text(status, "id")?;
    let state = text(status, "status")?.to_uppercase();
    let (at, _) = meta_time(status.get("timestamp"))?;
    let mut facts = Map::new();
    facts.insert(format!("{}At", state.to_lowercase()), json!(at));
    if let Some(data) = text(status, "biz_opaque_callback_data") {
        facts.insert("bizOpaqueCallbackData".into(), json!(data));
    }
    Some(CallEvent {
        call_id,
        customer: text(status, "recipient_id").or_else(|| text(status, "recipient_user_id")),
        // Only business-initiated calls have statuses.
        direction: Some("BUSINESS_INITIATED".into()),
        status: state,
        at,
        facts,
    })
}

/// Stores each call event of a `calls` change.
pub(super) async fn record(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<FieldOutcome, StoreError> {
    let mut outcome = FieldOutcome::default();
    let value = change.value;
    let Some(phone) = business_phone(value) else {
        outcome.poison.push(format!(
            "changes[{}] (calls): needs metadata.phone_number_id",
            change.index
        ));
        return Ok(outcome);
    };
    let mut events = Vec::new();
    for (i, call) in value
        .get("calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match from_call(
            call,
            value
                .get("metadata")
                .and_then(|m| text(m, "display_phone_number"))
                .as_deref(),
        ) {
            Some(e) => events.push(e),
            None => outcome.poison.push(format!(
                "changes[{}] (calls): calls[{i}] needs id, event and timestamp",
                change.index
            )),
        }
    }
    for (i, status) in value
        .get("statuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match from_status(status) {
            Some(e) => events.push(e),
            None => outcome.poison.push(format!(
                "changes[{}] (calls): statuses[{i}] needs id, status and timestamp",
                change.index
            )),
        }
    }
    for event in events {
        let mut set = event.facts.clone();
        set.insert("itemType".into(), json!(ITEM_TYPE));
        set.insert("callId".into(), json!(event.call_id));
        set.insert("phoneNumberId".into(), json!(phone));
        set.insert("wabaId".into(), json!(change.waba_id));
        set.insert("createdAt".into(), json!(event.at));
        set.insert("updatedAt".into(), json!(change.now));
        if let Some(d) = &event.direction {
            set.insert("direction".into(), json!(d));
        }
        if let Some(c) = &event.customer {
            set.insert("customerId".into(), json!(c));
        }
        let forward = Forward {
            rank_attr: "statusRank",
            rank: rank(&event.status),
            attrs: json!({"status": event.status, "statusAt": event.at}),
        };
        let mut by_phone = set.clone();
        by_phone.insert(
            "itemTypePk".into(),
            json!(keys::item_type::calls_of_phone(&phone)),
        );
        let written = tolerate(
            ctx.store()
                .merge_record(
                    &keys::call(&event.call_id),
                    &Value::Object(by_phone),
                    Some(&forward),
                )
                .await,
            "call",
            &mut outcome,
        )?;
        if let Some(customer) = &event.customer {
            let mut by_customer = set;
            by_customer.insert(
                "itemTypePk".into(),
                json!(keys::item_type::calls_of_customer(&phone, customer)),
            );
            tolerate(
                ctx.store()
                    .merge_record(
                        &keys::call_of_customer(&event.call_id),
                        &Value::Object(by_customer),
                        Some(&forward),
                    )
                    .await,
                "call (by customer)",
                &mut outcome,
            )?;
        }
        if written.is_some() {
            outcome.items += 1;
        }
    }
    Ok(outcome)
}

/// A page of calls of a phone (or of one customer of it), newest first, within `[from, to]`
/// (ISO-8601, either bound optional). Items newer than `to` are skipped; the listing stops at
/// the first call older than `from` (so its `next_cursor` is then none).
///
/// # Errors
/// The store's errors.
pub async fn list(
    ctx: &Ctx,
    phone: &str,
    customer: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Value>, StoreError> {
    let partition = match customer {
        Some(c) => keys::item_type::calls_of_customer(phone, c),
        None => keys::item_type::calls_of_phone(phone),
    };
    let found = ctx.store().list_by_item_type(&partition, page).await?;
    let mut items = Vec::new();
    let mut past_range = false;
    for mut item in found.items {
        let at = item["createdAt"].as_str().unwrap_or_default().to_string();
        if to.is_some_and(|to| at.as_str() > to) {
            continue;
        }
        if from.is_some_and(|from| at.as_str() < from) {
            past_range = true;
            break;
        }
        if let Some(map) = item.as_object_mut() {
            // The customer copy is the same call: answer with the call's own key.
            if let Some(id) = map.get("callId").and_then(Value::as_str) {
                let pk = keys::call(id);
                map.insert("pk".into(), json!(pk));
            }
            map.remove("itemTypePk");
        }
        items.push(item);
    }
    Ok(Page {
        items,
        next_cursor: if past_range { None } else { found.next_cursor },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminate_carries_times_duration_and_outcome() {
        let call = json!({
            "id": "wacid.1", "from": "13175551399", "to": "16315553601", "event": "terminate",
            "direction": "USER_INITIATED", "timestamp": "1749197480", "status": "Completed",
            "start_time": "1749197000", "end_time": "1749197480", "duration": 480
        });
        let e = from_call(&call, None).unwrap();
        assert_eq!(e.status, "COMPLETED");
        assert_eq!(e.customer.as_deref(), Some("13175551399"));
        assert_eq!(e.facts["durationSeconds"], 480);
        assert_eq!(e.facts["startTime"], "2025-06-06T08:03:20Z");
        assert_eq!(rank(&e.status), 9);
        let status = json!({"id": "wacid.2", "timestamp": "1749197000", "type": "call", "status": "RINGING", "recipient_id": "16315553601"});
        let s = from_status(&status).unwrap();
        assert_eq!(
            (s.status.as_str(), s.customer.as_deref()),
            ("RINGING", Some("16315553601"))
        );
        assert!(s.facts.contains_key("ringingAt"));
        assert!(rank("ACCEPTED") > rank("RINGING") && rank("COMPLETED") > rank("ACCEPTED"));
    }
}
