//! The rule for every typed webhook field, table-driven over the console events: a field we
//! know carrying a value or shape we do not is stored with what is known and the raw value,
//! never poison. For each `events/inbound/` file, each enum-valued member of its change is
//! replaced by a value Meta has not sent yet, and each optional member is dropped, one at a
//! time; the record must not be poison, and the new value must be stored on a typed item.

use std::sync::Arc;

use serde_json::Value;
use whatsapp_lambda::intake;

use crate::helpers::*;

/// A value no version of Meta's documentation has.
const NEW: &str = "X_META_ADDED_LATER";

/// One typed field: its enum-valued members, and the members Meta documents as always present
/// that say what is stored, what it applies to, or when (never dropped: without them there is
/// nothing to key, apply or order, and the change is poison or kept whole as a generic event).
/// `*` is every element of an array.
struct Rule {
    field: &'static str,
    enums: &'static [&'static str],
    required: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule {
        field: "messages",
        enums: &[
            "/messages/*/type",
            "/messages/*/system/type",
            "/messages/*/interactive/type",
            "/messages/*/referral/source_type",
            "/messages/*/referral/media_type",
            "/statuses/*/status",
            "/statuses/*/type",
            "/statuses/*/pricing/category",
            "/statuses/*/pricing/pricing_model",
            "/statuses/*/conversation/origin/type",
        ],
        required: &[
            "/messages",
            "/statuses",
            "/messages/*/id",
            "/messages/*/from",
            "/messages/*/edit",
            "/messages/*/edit/original_message_id",
            "/messages/*/revoke",
            "/messages/*/revoke/original_message_id",
            "/messages/*/reaction",
            "/messages/*/reaction/message_id",
            "/statuses/*/id",
            "/statuses/*/status",
            "/statuses/*/payment",
            "/statuses/*/payment/reference_id",
        ],
    },
    Rule {
        field: "smb_message_echoes",
        enums: &["/message_echoes/*/type"],
        required: &[
            "/message_echoes",
            "/message_echoes/*/id",
            "/message_echoes/*/to",
            "/message_echoes/*/edit",
            "/message_echoes/*/edit/original_message_id",
            "/metadata",
            "/metadata/phone_number_id",
        ],
    },
    Rule {
        field: "message_template_status_update",
        enums: &["/event", "/reason", "/message_template_category"],
        required: &["/message_template_name", "/message_template_language"],
    },
    Rule {
        field: "message_template_quality_update",
        enums: &["/new_quality_score", "/previous_quality_score"],
        required: &["/message_template_name", "/message_template_language"],
    },
    Rule {
        field: "template_category_update",
        enums: &["/new_category", "/previous_category", "/correct_category"],
        required: &["/message_template_name", "/message_template_language"],
    },
    Rule {
        field: "message_template_components_update",
        enums: &["/message_template_buttons/*/message_template_button_type"],
        required: &["/message_template_name", "/message_template_language"],
    },
    Rule {
        field: "flows",
        enums: &["/event", "/old_status", "/new_status", "/alert_state"],
        required: &["/flow_id"],
    },
    Rule {
        field: "phone_number_quality_update",
        enums: &["/event", "/current_limit", "/old_limit"],
        required: &["/display_phone_number"],
    },
    Rule {
        field: "calls",
        enums: &[
            "/calls/*/event",
            "/calls/*/direction",
            "/calls/*/status",
            "/statuses/*/status",
        ],
        required: &[
            "/calls",
            "/statuses",
            "/calls/*/id",
            "/calls/*/event",
            "/calls/*/timestamp",
            "/statuses/*/id",
            "/statuses/*/status",
            "/statuses/*/timestamp",
            "/metadata",
            "/metadata/phone_number_id",
        ],
    },
    Rule {
        field: "user_preferences",
        enums: &["/user_preferences/*/value", "/user_preferences/*/category"],
        required: &["/user_preferences", "/user_preferences/*/wa_id"],
    },
    Rule {
        field: "group_lifecycle_update",
        enums: &["/groups/*/type", "/groups/*/join_approval_mode"],
        required: &[
            "/groups",
            "/groups/*/group_id",
            "/groups/*/type",
            "/groups/*/timestamp",
        ],
    },
    Rule {
        field: "group_participants_update",
        enums: &["/groups/*/type", "/groups/*/initiated_by"],
        required: &[
            "/groups",
            "/groups/*/group_id",
            "/groups/*/type",
            "/groups/*/timestamp",
        ],
    },
    Rule {
        field: "group_settings_update",
        enums: &["/groups/*/type"],
        required: &[
            "/groups",
            "/groups/*/group_id",
            "/groups/*/type",
            "/groups/*/timestamp",
        ],
    },
    Rule {
        field: "group_status_update",
        enums: &["/groups/*/type"],
        required: &[
            "/groups",
            "/groups/*/group_id",
            "/groups/*/type",
            "/groups/*/timestamp",
        ],
    },
    Rule {
        field: "account_alerts",
        enums: &[
            "/entity_type",
            "/alert_info/alert_severity",
            "/alert_info/alert_status",
            "/alert_info/alert_type",
        ],
        required: &["/alert_info"],
    },
    Rule {
        field: "account_update",
        enums: &[
            "/event",
            "/ban_info/waba_ban_state",
            "/violation_info/violation_type",
        ],
        required: &["/event"],
    },
    Rule {
        field: "account_review_update",
        enums: &["/decision"],
        required: &["/decision"],
    },
    Rule {
        field: "business_capability_update",
        enums: &[],
        required: &[],
    },
    Rule {
        field: "phone_number_name_update",
        enums: &["/decision"],
        required: &["/display_phone_number", "/decision"],
    },
    Rule {
        field: "security",
        enums: &["/event"],
        required: &["/event"],
    },
    Rule {
        field: "smb_app_state_sync",
        enums: &["/state_sync/*/type", "/state_sync/*/action"],
        required: &[
            "/state_sync",
            "/state_sync/*/contact",
            "/state_sync/*/contact/phone_number",
            "/state_sync/*/action",
            "/state_sync/*/metadata",
            "/state_sync/*/metadata/timestamp",
            "/metadata",
            "/metadata/phone_number_id",
        ],
    },
    Rule {
        field: "automatic_events",
        enums: &["/automatic_events/*/event_name"],
        required: &["/automatic_events", "/automatic_events/*/id"],
    },
    Rule {
        field: "payment_configuration_update",
        enums: &["/status"],
        required: &["/configuration_name"],
    },
];

/// Every concrete pointer a pattern names in `value`.
fn expand(value: &Value, pattern: &str) -> Vec<String> {
    let mut out = vec![(String::new(), value)];
    for part in pattern.split('/').skip(1) {
        let mut next = Vec::new();
        for (path, v) in out {
            if part == "*" {
                for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                    next.push((format!("{path}/{i}"), x));
                }
            } else if let Some(x) = v.get(part) {
                next.push((format!("{path}/{part}"), x));
            }
        }
        out = next;
    }
    out.into_iter().map(|(p, _)| p).collect()
}

/// Every member of every object under `value`, as pointers.
fn members(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{path}/{k}");
                out.push(p.clone());
                members(v, &p, out);
            }
        }
        Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                members(v, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// True when `pointer` is named by `pattern` (`*` matches an array index).
fn matches(pattern: &str, pointer: &str) -> bool {
    let (a, b): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), pointer.split('/').collect());
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(p, s)| p == s || (*p == "*" && s.parse::<usize>().is_ok()))
}

/// The event with change `index`'s value replaced.
fn with_value(event: &Value, index: usize, value: &Value) -> Value {
    let mut event = event.clone();
    let sns = &mut event["Records"][0]["Sns"];
    let mut message: Value = serde_json::from_str(sns["Message"].as_str().unwrap()).unwrap();
    let mut entry: Value = match &message["whatsAppWebhookEntry"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    entry["changes"][index]["value"] = value.clone();
    message["whatsAppWebhookEntry"] = Value::String(entry.to_string());
    sns["Message"] = Value::String(message.to_string());
    event
}

/// Runs `event` on a fresh store; the poison count and every item written but the audit.
async fn stored(event: Value) -> (u64, Vec<Value>) {
    let store = Arc::new(RecordingStore::recording(embedded_store()));
    let ctx = ctx(store.clone());
    let answer = intake::handle(&ctx, event).await.unwrap();
    let poison = answer["data"]["poison"].as_u64().unwrap_or(u64::MAX);
    let mut items = Vec::new();
    for pk in store.hooks.written() {
        if let Some(item) = store.inner.get_item(&pk).await.unwrap() {
            items.push(item);
        }
    }
    (poison, items)
}

/// Items that are not only a kept blob or an audit: what a typed field wrote.
fn typed(items: &[Value]) -> Vec<&Value> {
    items
        .iter()
        .filter(|i| i["itemType"] != "WEBHOOK_EVENT")
        .collect()
}

#[tokio::test]
async fn every_typed_field_stores_new_values_and_missing_members() {
    let dir = format!("{}/events/inbound", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut variants = 0;
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let event = load(&format!("events/inbound/{name}.json"));
        let message: Value =
            serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
        let entry: Value = match &message["whatsAppWebhookEntry"] {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            other => other.clone(),
        };
        for (index, change) in entry["changes"].as_array().unwrap().iter().enumerate() {
            let field = change["field"].as_str().unwrap();
            let rule = RULES
                .iter()
                .find(|r| r.field == field)
                .unwrap_or_else(|| panic!("{name}: no rule for field {field}"));
            let value = &change["value"];
            for pattern in rule.enums {
                for pointer in expand(value, pattern) {
                    if !value.pointer(&pointer).is_some_and(Value::is_string) {
                        continue;
                    }
                    variants += 1;
                    let mut mutated = value.clone();
                    *mutated.pointer_mut(&pointer).unwrap() = Value::String(NEW.into());
                    let (poison, items) = stored(with_value(&event, index, &mutated)).await;
                    // on a typed item, or on the change kept whole because it did not fit
                    let kept = items
                        .iter()
                        .filter(|i| i["itemType"] != "WEBHOOK_EVENT" || i["error"].is_string())
                        // some states are stored lower case (a payment's `captured`)
                        .any(|i| i.to_string().to_uppercase().contains(NEW));
                    if poison != 0 || !kept {
                        failures.push(format!(
                            "{name}: {field}{pointer} = {NEW}: poison {poison}, stored {kept}"
                        ));
                    }
                }
            }
            let mut all = Vec::new();
            members(value, "", &mut all);
            for pointer in all {
                if rule.required.iter().any(|p| matches(p, &pointer)) {
                    continue;
                }
                variants += 1;
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                let mut dropped = value.clone();
                let Some(Value::Object(map)) = dropped.pointer_mut(parent) else {
                    continue;
                };
                map.remove(key);
                let (poison, items) = stored(with_value(&event, index, &dropped)).await;
                if poison != 0 || typed(&items).is_empty() {
                    failures.push(format!(
                        "{name}: {field} without {pointer}: poison {poison}, typed items {}",
                        typed(&items).len()
                    ));
                }
            }
        }
    }
    assert!(variants > 100, "only {variants} variants");
    assert!(
        failures.is_empty(),
        "{} of {variants} variants:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
