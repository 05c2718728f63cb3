//! Every console event in `events/` is run, and the action events and the registry are checked
//! against each other.

use std::collections::BTreeSet;
use std::fs;

use handlers::REGISTRY;
use handlers::store::{PageRequest, Store};
use serde_json::Value;
use whatsapp_lambda::intake;

use crate::helpers::*;

fn files(dir: &str) -> Vec<(String, Value)> {
    let full = format!("{}/events/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<_> = fs::read_dir(&full)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let value = serde_json::from_str(&fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_action_has_an_event_and_every_event_names_an_action() {
    let events: BTreeSet<String> = files("actions")
        .into_iter()
        .map(|(_, v)| v["action"].as_str().unwrap().to_string())
        .collect();
    let names: BTreeSet<String> = files("actions").into_iter().map(|(n, _)| n).collect();
    let registered: BTreeSet<String> = REGISTRY
        .actions()
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(events, registered, "events/actions/*.json vs the registry");
    assert_eq!(
        names, registered,
        "each event file is named after its action"
    );
}

/// The Meta payload of an inbound event file.
fn changes(event: &Value) -> Vec<Value> {
    let message: Value =
        serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    let entry = match &message["whatsAppWebhookEntry"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    entry["changes"].as_array().unwrap().clone()
}

async fn run_inbound_events(store: std::sync::Arc<dyn Store>) {
    let ctx = ctx(store.clone());
    for (name, event) in files("inbound") {
        let answer = intake::handle(&ctx, event.clone())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
        assert_eq!(answer["data"]["poison"], 0, "{name}: {answer}");
        for change in changes(&event) {
            let value = &change["value"];
            match change["field"].as_str().unwrap() {
                "messages" => {
                    for m in value["messages"].as_array().into_iter().flatten() {
                        if check_change(store.as_ref(), &name, m).await {
                            continue;
                        }
                        let stored = store
                            .get_message(m["id"].as_str().unwrap())
                            .await
                            .unwrap()
                            .unwrap_or_else(|| panic!("{name}: not stored"));
                        assert_eq!(stored.kind.as_deref(), m["type"].as_str(), "{name}");
                        assert_eq!(stored.direction, handlers::model::Direction::Inbound);
                        let conv = store
                            .get_conversation(stored.conversation_pk.as_deref().unwrap())
                            .await
                            .unwrap();
                        assert!(
                            conv.is_some_and(|c| c.unread_count >= 1),
                            "{name}: threaded"
                        );
                    }
                    for s in value["statuses"].as_array().into_iter().flatten() {
                        if handlers::commerce::payments::is_payment(s) {
                            // commerce: a payment status moves its PAYMENT item
                            let pk = handlers::keys::payment(
                                PHONE,
                                s["payment"]["reference_id"].as_str().unwrap(),
                            );
                            let item = store.get_item(&pk).await.unwrap();
                            let item = item.unwrap_or_else(|| panic!("{name}: no {pk}"));
                            assert_eq!(item["status"], s["status"], "{name}: {item}");
                            continue;
                        }
                        let stored = store
                            .get_message(s["id"].as_str().unwrap())
                            .await
                            .unwrap()
                            .unwrap();
                        assert!(
                            stored.status_rank
                                >= handlers::model::MessageStatus::from(
                                    s["status"].as_str().unwrap()
                                )
                                .rank(),
                            "{name}"
                        );
                        if s["status"] == "failed" {
                            assert!(
                                stored.error.as_ref().and_then(|e| e.code).is_some(),
                                "{name}: keeps the error"
                            );
                        }
                    }
                }
                "smb_message_echoes" => {
                    for echo in value["message_echoes"].as_array().into_iter().flatten() {
                        let mut seen = echo.clone();
                        seen["from"] = echo["to"].clone();
                        if check_change(store.as_ref(), &name, &seen).await {
                            continue;
                        }
                        let stored = store
                            .get_message(echo["id"].as_str().unwrap())
                            .await
                            .unwrap()
                            .unwrap_or_else(|| panic!("{name}: echo not stored"));
                        assert_eq!(stored.direction, handlers::model::Direction::Outbound);
                        assert_eq!(stored.to.as_deref(), echo["to"].as_str(), "{name}");
                    }
                }
                "message_template_status_update" => {
                    let pk = handlers::keys::template(
                        WABA,
                        value["message_template_name"].as_str().unwrap(),
                        value["message_template_language"].as_str().unwrap(),
                    );
                    let item = store
                        .get_item(&pk)
                        .await
                        .unwrap()
                        .unwrap_or_else(|| panic!("{name}: no {pk}"));
                    assert_eq!(item["status"], value["event"]);
                }
                "message_template_components_update" => {
                    let pk = handlers::keys::template(
                        WABA,
                        value["message_template_name"].as_str().unwrap(),
                        value["message_template_language"].as_str().unwrap(),
                    );
                    let item = store.get_item(&pk).await.unwrap().unwrap();
                    let body = item["components"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| c["type"] == "BODY")
                        .unwrap_or_else(|| panic!("{name}: no BODY in {item}"));
                    assert_eq!(body["text"], value["message_template_element"], "{name}");
                }
                "message_template_quality_update" | "template_category_update" => {
                    let pk = handlers::keys::template(
                        WABA,
                        value["message_template_name"].as_str().unwrap(),
                        value["message_template_language"].as_str().unwrap(),
                    );
                    let item = store.get_item(&pk).await.unwrap().unwrap();
                    let (key, attr) = match value.get("new_quality_score") {
                        Some(_) => ("new_quality_score", "qualityScore"),
                        None => ("new_category", "category"),
                    };
                    assert_eq!(item[attr], value[key], "{name}: {item}");
                }
                "flows" => {
                    let pk = handlers::keys::flow(WABA, value["flow_id"].as_str().unwrap());
                    let item = store.get_item(&pk).await.unwrap().unwrap();
                    assert_eq!(item["lastEvent"], *value, "{name}: {item}");
                }
                "phone_number_quality_update" => {
                    let pk =
                        handlers::keys::quality(value["display_phone_number"].as_str().unwrap());
                    assert!(store.get_item(&pk).await.unwrap().is_some(), "{name}");
                }
                field if handlers::platform::FIELDS.contains(&field) => {
                    // typed: its own item or an update, never only a kept blob
                    let typed = &answer["data"]["reports"][0]["counts"]["typed"];
                    assert!(typed.as_u64().unwrap_or(0) >= 1, "{name}: {answer}");
                    let kept = store
                        .list_by_item_type(
                            &handlers::keys::item_type::webhook_field(field),
                            &PageRequest {
                                limit: 10,
                                cursor: None,
                            },
                        )
                        .await
                        .unwrap();
                    assert!(kept.items.is_empty(), "{name}: {field} is typed, not kept");
                    crate::platform::assert_typed_item(store.as_ref(), field, value).await;
                }
                field => {
                    let kept = store
                        .list_by_item_type(
                            &handlers::keys::item_type::webhook_field(field),
                            &PageRequest {
                                limit: 10,
                                cursor: None,
                            },
                        )
                        .await
                        .unwrap();
                    assert_eq!(kept.items.len(), 1, "{name}: the {field} event is kept");
                    assert_eq!(kept.items[0]["payload"], *value);
                }
            }
        }
    }
}

/// An edit, deletion, reaction or chat opening changes what it names instead of being stored
/// as a message (issue 14). True when `m` is one, after checking its effect.
async fn check_change(store: &dyn Store, name: &str, m: &Value) -> bool {
    let target = |pointer: &str| {
        m.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (target, attribute) = match m["type"].as_str().unwrap_or_default() {
        "edit" => (target("/edit/original_message_id"), "editedAt"),
        "revoke" => (target("/revoke/original_message_id"), "deletedAt"),
        "reaction" => (target("/reaction/message_id"), "reactions"),
        "request_welcome" => {
            let pk = handlers::keys::conversation(PHONE, m["from"].as_str().unwrap());
            let conv = store.get_conversation(&pk).await.unwrap();
            assert!(
                conv.is_some_and(|c| c.welcome_requested_at.is_some() && c.unread_count == 0),
                "{name}: opens the conversation, nothing unread"
            );
            return true;
        }
        _ => return false,
    };
    let id = m["id"].as_str().unwrap();
    assert!(
        store.get_message(id).await.unwrap().is_none(),
        "{name}: not a message of its own"
    );
    let changed = store
        .get_message(&target.expect("names its message"))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name}: the change is kept for its message"));
    let changed = serde_json::to_value(changed).unwrap();
    assert!(
        changed.get(attribute).is_some(),
        "{name}: {attribute} in {changed}"
    );
    true
}

#[tokio::test]
async fn every_inbound_event_is_stored_on_the_embedded_store() {
    run_inbound_events(embedded_store()).await;
}

#[tokio::test]
async fn every_inbound_event_is_stored_on_dynamodb() {
    run_inbound_events(dynamo_store().await).await;
}

#[tokio::test]
async fn every_action_event_succeeds_on_a_seeded_store() {
    // the account actions reach EUM Social's stand-in; sends go through the sandbox
    let (ctx, _standin) = crate::platform::platform_ctx(embedded_store(), 1).await;
    // a deployment with the WebSocket API, for create_live_ticket (pushes go nowhere)
    let ctx = ctx.with_live(std::sync::Arc::new(crate::doubles::NoPush));
    // the customer of the events wrote just now (the 24-hour window is open), and sent an image
    intake::handle(&ctx, load("events/inbound/text.json"))
        .await
        .unwrap();
    intake::handle(&ctx, load("events/inbound/image.json"))
        .await
        .unwrap();
    // commerce: the customer's order that the order events name
    intake::handle(&ctx, load("events/inbound/order.json"))
        .await
        .unwrap();
    let fresh = text_event(
        "fresh",
        "wamid.FRESH",
        CUSTOMER,
        now_secs(),
        "are you there?",
    );
    intake::handle(&ctx, fresh).await.unwrap();
    // archive last: it empties the inbox that get_conversations lists; simulate_status after a send
    // two sandbox flows of the events' WABA: one the flow events walk from DRAFT to PUBLISHED
    // to DEPRECATED (publish and deprecate run after the others), one delete_flow deletes
    let mut flow_ids = Vec::new();
    for name in ["Appointment booking", "Old survey"] {
        let flow = handlers::ports::templates::NewFlow {
            name: name.into(),
            categories: vec!["APPOINTMENT_BOOKING".into()],
            ..Default::default()
        };
        let written = ctx
            .templates()
            .create_flow(&format!("waba-{WABA}"), &flow)
            .await
            .unwrap();
        flow_ids.push(written.flow_id);
    }
    let mut events = files("actions");
    events.sort_by_key(|(n, _)| {
        let rank = match n.as_str() {
            "publish_flow" => 1,
            "deprecate_flow" => 2,
            "archive_conversation" | "simulate_status" => 3,
            // the automation events change and delete the rule create_automation made
            "update_automation" => 1,
            "delete_automation" => 2,
            // a campaign's life, after create_template made its template: created, read,
            // started, paused, resumed, cancelled
            "create_campaign" => 4,
            "get_campaign"
            | "get_campaign_stats"
            | "get_funnel"
            | "list_campaigns"
            | "list_campaign_recipients" => 5,
            "start_campaign" => 6,
            "pause_campaign" => 7,
            "resume_campaign" => 8,
            "cancel_campaign" => 9,
            _ => 0,
        };
        (rank, n.clone())
    });
    let mut last_sent = None;
    let mut automation = None;
    for (name, mut event) in events {
        if name == "update_automation" || name == "delete_automation" {
            event["id"] = Value::String(automation.clone().expect("create_automation ran before"));
        }
        if name == "simulate_status" {
            event["waMessageId"] = Value::String(last_sent.clone().expect("a send ran before"));
        }
        if event.get("flowId").is_some() && name != "create_flow" {
            let flow = if name == "delete_flow" {
                &flow_ids[1]
            } else {
                &flow_ids[0]
            };
            event["flowId"] = Value::String(flow.clone());
        }
        let answer = intake::handle(&ctx, event).await.unwrap();
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
        assert_eq!(answer["operation"], name.as_str());
        if name == "create_automation" {
            automation = answer["data"]["id"].as_str().map(str::to_string);
        }
        if name.starts_with("send_") {
            last_sent = answer["data"]["waMessageId"].as_str().map(str::to_string);
        }
        if name == "simulate_status" {
            assert_eq!(answer["data"]["status"], "read", "{answer}");
        }
    }
}
