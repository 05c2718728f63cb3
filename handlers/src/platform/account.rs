//! Account webhook fields, typed: each change becomes an `ACCOUNT_EVENT#…` item (listed per
//! WABA on `gsi-itemType`) with the facts Meta sends named, and updates the state it reports:
//! `ACCOUNT#{wabaId}` (review decision, last account event and ban state, capabilities, last
//! alert, last security event) or `PHONE_NAME#{display number}` (display-name review), merged
//! forward by the event's time. Security events, alerts and restrictions are notified once
//! (the event item is created once per delivery and change).
//!
//! `smb_app_state_sync` (WhatsApp Business app contacts) becomes `CONTACT#{phone}#{number}`
//! items, merged by each contact's own timestamp.

use serde_json::{Map, Value, json};

use super::notify;
use super::{FieldChange, FieldOutcome, business_phone, meta_time, secs_of, text, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::store::{Forward, StoreError};

pub const EVENT_ITEM_TYPE: &str = "ACCOUNT_EVENT";
pub const ACCOUNT_ITEM_TYPE: &str = "ACCOUNT";
pub const CONTACT_ITEM_TYPE: &str = "CONTACT";

/// The named facts of one account change, and the state it updates.
struct Typed {
    facts: Map<String, Value>,
    /// (state item pk, rank attribute, attributes)
    state: (String, &'static str, Value),
    /// (severity, summary) when a person should know.
    notify: Option<(&'static str, String)>,
    phone: Option<String>,
}

fn typed(field: &str, v: &Value, waba_id: &str) -> Option<Typed> {
    let s = |k: &str| text(v, k);
    let mut facts = Map::new();
    let mut put = |k: &str, val: Option<String>| {
        if let Some(val) = val {
            facts.insert(k.into(), json!(val));
        }
    };
    let account = keys::account(waba_id);
    let t = match field {
        "account_alerts" => {
            let info = v.get("alert_info")?;
            let a = |k: &str| text(info, k);
            let severity = match a("alert_severity").as_deref() {
                Some("CRITICAL") => "CRITICAL",
                Some("WARNING") => "WARNING",
                _ => "INFO",
            };
            put("entityType", s("entity_type"));
            put("entityId", s("entity_id"));
            put("alertType", a("alert_type"));
            put("alertSeverity", a("alert_severity"));
            put("alertStatus", a("alert_status"));
            put("alertDescription", a("alert_description"));
            let summary = format!(
                "account alert {} ({})",
                a("alert_type").unwrap_or_default(),
                a("alert_description").unwrap_or_default()
            );
            let phone = (s("entity_type").as_deref() == Some("PHONE_NUMBER"))
                .then(|| s("entity_id"))
                .flatten();
            Typed {
                state: (
                    account,
                    "alertRank",
                    json!({"lastAlert": Value::Object(facts.clone())}),
                ),
                facts,
                notify: Some((severity, summary)),
                phone,
            }
        }
        "account_update" => {
            let event = s("event")?;
            put("event", Some(event.clone()));
            put("country", s("country"));
            put(
                "violationType",
                v.get("violation_info")
                    .and_then(|i| text(i, "violation_type")),
            );
            put(
                "banState",
                v.get("ban_info").and_then(|i| text(i, "waba_ban_state")),
            );
            put(
                "banDate",
                v.get("ban_info").and_then(|i| text(i, "waba_ban_date")),
            );
            for k in [
                "waba_info",
                "auth_international_rate_eligibility",
                "partner_client_certification_info",
                "volume_tier_info",
            ] {
                if let Some(x) = v.get(k) {
                    facts.insert(camel(k), x.clone());
                }
            }
            let mut state = json!({"lastAccountEvent": event});
            for k in ["banState", "banDate", "violationType", "country"] {
                if let Some(x) = facts.get(k) {
                    state[k] = x.clone();
                }
            }
            let notify = match event.as_str() {
                "ACCOUNT_VIOLATION" | "DISABLED_UPDATE" | "ACCOUNT_DELETED" | "PARTNER_REMOVED" => {
                    Some((
                        "CRITICAL",
                        format!(
                            "account {event}{}",
                            facts
                                .get("banState")
                                .or_else(|| facts.get("violationType"))
                                .and_then(Value::as_str)
                                .map(|x| format!(" {x}"))
                                .unwrap_or_default()
                        ),
                    ))
                }
                _ => None,
            };
            Typed {
                facts,
                state: (account, "accountUpdateRank", state),
                notify,
                phone: None,
            }
        }
        "account_review_update" => {
            let decision = s("decision")?;
            put("decision", Some(decision.clone()));
            let notify = (decision == "REJECTED")
                .then(|| ("CRITICAL", format!("account review {decision}")));
            Typed {
                facts,
                state: (account, "reviewRank", json!({"reviewDecision": decision})),
                notify,
                phone: None,
            }
        }
        "business_capability_update" => {
            let mut caps = Map::new();
            for (k, x) in v.as_object()? {
                caps.insert(camel(k), x.clone());
            }
            facts.extend(caps.clone());
            Typed {
                facts,
                state: (
                    account,
                    "capabilityRank",
                    json!({"capabilities": Value::Object(caps)}),
                ),
                notify: None,
                phone: None,
            }
        }
        "phone_number_name_update" => {
            let display = s("display_phone_number")?;
            let decision = s("decision")?;
            put("displayPhoneNumber", Some(display.clone()));
            put("decision", Some(decision.clone()));
            put("requestedVerifiedName", s("requested_verified_name"));
            put("rejectionReason", s("rejection_reason"));
            let notify = (decision == "REJECTED").then(|| {
                (
                    "WARNING",
                    format!(
                        "display name of {display} {decision} ({})",
                        s("rejection_reason").unwrap_or_default()
                    ),
                )
            });
            let mut state = facts.clone();
            state.insert("itemType".into(), json!("PHONE_NAME"));
            Typed {
                facts,
                state: (keys::phone_name(&display), "nameRank", Value::Object(state)),
                notify,
                phone: Some(display),
            }
        }
        "security" => {
            let event = s("event")?;
            put("displayPhoneNumber", s("display_phone_number"));
            put("event", Some(event.clone()));
            put("requester", s("requester"));
            let display = s("display_phone_number");
            Typed {
                state: (
                    account,
                    "securityRank",
                    json!({"lastSecurityEvent": Value::Object(facts.clone())}),
                ),
                notify: Some((
                    "CRITICAL",
                    format!(
                        "security {event} on {}",
                        display.as_deref().unwrap_or("a business phone")
                    ),
                )),
                facts,
                phone: display,
            }
        }
        _ => return None,
    };
    Some(t)
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Stores one account change: its typed event item, its state, and its notification.
pub(super) async fn record(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<FieldOutcome, StoreError> {
    let mut outcome = FieldOutcome::default();
    let Some(t) = typed(change.field, change.value, change.waba_id) else {
        outcome.keep.push(format!(
            "changes[{}] ({}): does not have the fields Meta documents for it",
            change.index, change.field
        ));
        return Ok(outcome);
    };
    let mut event = json!({
        "pk": keys::account_event(change.waba_id, change.field, change.delivery_id, change.index),
        "itemType": EVENT_ITEM_TYPE,
        "itemTypePk": keys::item_type::account_events(change.waba_id),
        "kind": change.field,
        "wabaId": change.waba_id,
        "deliveryId": change.delivery_id,
        "eventAt": change.event_at,
        "createdAt": change.event_at,
        "payload": change.value,
    });
    for (k, v) in &t.facts {
        event[k] = v.clone();
    }
    let created = tolerate(
        ctx.store().create_record(&event).await,
        change.field,
        &mut outcome,
    )?;
    let (pk, rank_attr, mut attrs) = t.state;
    attrs[format!("{}At", rank_attr.trim_end_matches("Rank"))] = json!(change.event_at);
    let set = json!({
        "itemType": if pk.starts_with("ACCOUNT#") { ACCOUNT_ITEM_TYPE } else { "PHONE_NAME" },
        "wabaId": change.waba_id,
        "createdAt": change.now,
        "updatedAt": change.now,
    });
    let forward = Forward {
        rank_attr,
        rank: secs_of(change.event_at) * 1000,
        attrs,
    };
    tolerate(
        ctx.store().merge_record(&pk, &set, Some(&forward)).await,
        change.field,
        &mut outcome,
    )?;
    if created.is_some() {
        outcome.items += 1;
    }
    if let (Some(true), Some((severity, summary))) = (created, t.notify) {
        let kind = match change.field {
            "security" => "security",
            "account_alerts" => "account_alert",
            _ => "account_update",
        };
        let n = notify::notification(
            kind,
            severity,
            t.phone.as_deref(),
            Some(change.waba_id),
            summary,
            change.value.clone(),
        );
        notify::publish(ctx, n).await;
    }
    Ok(outcome)
}

/// `smb_app_state_sync`: each contact added, edited or removed in the WhatsApp Business app.
pub(super) async fn record_contacts(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<FieldOutcome, StoreError> {
    let mut outcome = FieldOutcome::default();
    let Some(phone) = business_phone(change.value) else {
        outcome.poison.push(format!(
            "changes[{}] (smb_app_state_sync): needs metadata.phone_number_id",
            change.index
        ));
        return Ok(outcome);
    };
    let list = change.value.get("state_sync").and_then(Value::as_array);
    for (i, entry) in list.into_iter().flatten().enumerate() {
        if let Some(kind) = text(entry, "type").filter(|t| t != "contact") {
            // A kind of state this version does not know: the change is kept whole for it.
            outcome.keep.push(format!(
                "changes[{}] (smb_app_state_sync): state_sync[{i}] of type `{kind}`",
                change.index
            ));
            continue;
        }
        let contact = entry.get("contact");
        let number = contact.and_then(|c| text(c, "phone_number"));
        let time = meta_time(entry.get("metadata").and_then(|m| m.get("timestamp")));
        let (Some(number), Some(action), Some((at, secs))) = (number, text(entry, "action"), time)
        else {
            outcome.poison.push(format!(
                "changes[{}] (smb_app_state_sync): state_sync[{i}] needs contact.phone_number, action and metadata.timestamp",
                change.index
            ));
            continue;
        };
        let set = json!({
            "itemType": CONTACT_ITEM_TYPE,
            "itemTypePk": keys::item_type::contacts_of_phone(&phone),
            "phoneNumberId": phone,
            "wabaId": change.waba_id,
            "phoneNumber": number,
            "createdAt": at,
            "updatedAt": change.now,
        });
        let removed = action == "remove";
        let mut attrs = json!({"action": action, "removed": removed, "syncedAt": at});
        if !removed {
            attrs["fullName"] = json!(contact.and_then(|c| text(c, "full_name")));
            attrs["firstName"] = json!(contact.and_then(|c| text(c, "first_name")));
        }
        let forward = Forward {
            rank_attr: "syncRank",
            rank: secs * 1000,
            attrs,
        };
        if tolerate(
            ctx.store()
                .merge_record(&keys::contact(&phone, &number), &set, Some(&forward))
                .await,
            "contact",
            &mut outcome,
        )?
        .is_some()
        {
            outcome.items += 1;
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_samples_are_typed() {
        let alert = json!({"entity_type": "BUSINESS", "entity_id": "506914307656634", "alert_info": {
            "alert_severity": "WARNING", "alert_status": "ACTIVE",
            "alert_type": "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED", "alert_description": "Limits cannot be increased"}});
        let t = typed("account_alerts", &alert, "102290129340398").unwrap();
        assert_eq!(
            t.facts["alertType"],
            "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED"
        );
        assert_eq!(t.notify.as_ref().unwrap().0, "WARNING");
        let ban = json!({"event": "DISABLED_UPDATE", "ban_info": {"waba_ban_state": "DISABLE", "waba_ban_date": "April 17, 2025"}});
        let t = typed("account_update", &ban, "1").unwrap();
        assert_eq!(t.state.2["banState"], "DISABLE");
        assert_eq!(t.notify.unwrap().0, "CRITICAL");
        let caps = json!({"max_daily_conversations_per_business": "TIER_2K", "max_phone_numbers_per_waba": 25});
        let t = typed("business_capability_update", &caps, "1").unwrap();
        assert_eq!(t.state.2["capabilities"]["maxPhoneNumbersPerWaba"], 25);
        assert!(t.notify.is_none());
        assert!(typed("security", &json!({"display_phone_number": "1"}), "1").is_none());
    }
}
