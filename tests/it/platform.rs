//! The account side: typed webhook fields (both stores), the config actions against the EUM
//! stand-in with the exact requests asserted, and the error mapping of the account operations.

use std::sync::Arc;

use handlers::ctx::Platform;
use handlers::{Ctx, REGISTRY, Store};
use serde_json::{Value, json};
use whatsapp_lambda::eum::EumAccount;
use whatsapp_lambda::intake;

use crate::helpers::{
    CUSTOMER, ORIGINATION, PHONE, WABA, ctx, embedded_store, envelope, sns_event,
};
use crate::standin::{self, Failure, StandIn};

pub use crate::platform_standin::{EUM_WABA, PHONE2, PHONE2_ARN, PHONE2_EUM, blob, query_id};

/// A context whose account port is the real SDK pointed at a stand-in.
pub async fn platform_ctx(store: Arc<dyn Store>, max_attempts: u32) -> (Ctx, StandIn) {
    let standin = StandIn::start(None).await;
    let account = EumAccount::new(standin.client(max_attempts).await);
    let ctx = ctx(store).with_platform(Platform {
        account: Arc::new(account),
        default_waba_id: Some(WABA.into()),
        ..Default::default()
    });
    (ctx, standin)
}

pub async fn dispatch(ctx: &Ctx, request: Value) -> Value {
    REGISTRY.dispatch(ctx.clone(), request).await
}

/// The item a typed webhook field wrote (used by `events.rs` for every inbound event file).
pub async fn assert_typed_item(store: &dyn Store, field: &str, value: &Value) {
    let get = |pk: String| async move {
        store
            .get_item(&pk)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{field}: no {pk}"))
    };
    match field {
        "calls" => {
            for c in value["calls"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(value["statuses"].as_array().into_iter().flatten())
            {
                let item = get(handlers::keys::call(c["id"].as_str().unwrap())).await;
                assert_eq!(item["callId"], c["id"], "{field}");
                assert!(item["status"].is_string(), "{field}: {item}");
            }
        }
        "user_preferences" => {
            for p in value["user_preferences"].as_array().unwrap() {
                let item = get(handlers::keys::customer(p["wa_id"].as_str().unwrap())).await;
                assert_eq!(
                    item["marketingOptOut"],
                    p["value"] == "stop",
                    "{field}: {item}"
                );
            }
        }
        "automatic_events" => {
            for e in value["automatic_events"].as_array().unwrap() {
                let item = get(handlers::keys::ctwa_event(
                    e["id"].as_str().unwrap(),
                    e["event_name"].as_str().unwrap(),
                ))
                .await;
                assert_eq!(item["ctwaClid"], e["ctwa_clid"], "{field}: {item}");
            }
        }
        "payment_configuration_update" => {
            let item = get(handlers::keys::payment_configuration(
                WABA,
                value["configuration_name"].as_str().unwrap(),
            ))
            .await;
            assert_eq!(item["status"], value["status"], "{field}: {item}");
        }
        f if f.starts_with("group_") => {
            for g in value["groups"].as_array().unwrap() {
                let item = get(handlers::keys::group(g["group_id"].as_str().unwrap())).await;
                assert_eq!(item["itemType"], "GROUP");
            }
        }
        "smb_app_state_sync" => {
            for s in value["state_sync"].as_array().unwrap() {
                let item = get(handlers::keys::contact(
                    PHONE,
                    s["contact"]["phone_number"].as_str().unwrap(),
                ))
                .await;
                assert_eq!(item["action"], s["action"]);
            }
        }
        "phone_number_name_update" => {
            let item = get(handlers::keys::phone_name(
                value["display_phone_number"].as_str().unwrap(),
            ))
            .await;
            assert_eq!(item["decision"], value["decision"]);
        }
        _ => {
            let events = store
                .list_by_item_type(
                    &handlers::keys::item_type::account_events(WABA),
                    &handlers::store::PageRequest {
                        limit: 100,
                        cursor: None,
                    },
                )
                .await
                .unwrap();
            assert!(
                events
                    .items
                    .iter()
                    .any(|e| e["kind"] == field && e["payload"] == *value),
                "{field}: no typed account event"
            );
        }
    }
}

#[tokio::test]
async fn get_config_reads_every_page_caches_and_a_send_names_its_phone_by_display_number() {
    let (ctx, standin) = platform_ctx(embedded_store(), 1).await;
    let answer = dispatch(&ctx, json!({"action": "get_config"})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = standin.seen();
    let requests: Vec<(String, String, String)> = seen
        .iter()
        .map(|s| (s.method.clone(), s.path.clone(), s.query.clone()))
        .collect();
    assert_eq!(
        requests,
        vec![
            (
                "GET".into(),
                "/v1/whatsapp/waba/list".into(),
                "maxResults=100".into()
            ),
            (
                "GET".into(),
                "/v1/whatsapp/waba/list".into(),
                "nextToken=page-2&maxResults=100".into()
            ),
            (
                "GET".into(),
                "/v1/whatsapp/waba/details".into(),
                format!("id={EUM_WABA}")
            ),
            (
                "GET".into(),
                "/v1/whatsapp/waba/details".into(),
                "id=waba-0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f".into()
            ),
        ]
    );
    let data = &answer["data"];
    assert_eq!(data["source"], "eum");
    assert_eq!(data["accounts"].as_array().unwrap().len(), 2);
    assert_eq!(data["accounts"][0]["wabaId"], WABA);
    assert_eq!(data["accounts"][0]["datasetId"], "1234567890123456");
    assert_eq!(
        data["accounts"][0]["marketingMessagesOnboardingStatus"],
        "ONBOARDED"
    );
    assert_eq!(data["accounts"][0]["linkDate"], "2025-11-20T00:53:20Z");
    assert_eq!(
        data["accounts"][0]["phoneNumbers"][0]["phoneNumberId"],
        PHONE2_EUM
    );

    // WHEN a send names its phone by display number, EUM id or ARN
    for name in ["+1 555-010-2233", PHONE2_EUM, PHONE2_ARN] {
        standin.clear();
        let sent = dispatch(
            &ctx,
            json!({"action": "send_template", "to": CUSTOMER, "name": "order_update", "phoneNumberId": name, "skipTemplateCheck": true}),
        )
        .await;
        assert_eq!(sent["statusCode"], 200, "{name}: {sent}");
        // THEN it goes from that phone (the sandbox sender answers; the phone is the cached one)
        assert_eq!(sent["data"]["phoneNumberId"], PHONE2, "{name}");
        assert_eq!(
            sent["data"]["conversationPk"],
            format!("CONV#{PHONE2}#{CUSTOMER}")
        );
    }
}

#[tokio::test]
async fn phone_number_webhook_registration_and_call_settings_send_the_exact_requests() {
    let (ctx, standin) = platform_ctx(embedded_store(), 1).await;
    // get_phone_number: the configured origination is the phone to ask about
    let answer = dispatch(&ctx, json!({"action": "get_phone_number"})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = standin.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("GET", "/v1/whatsapp/waba/phone/details")
    );
    assert_eq!(query_id(&seen.query), ORIGINATION);
    assert_eq!(answer["data"]["phoneNumber"]["qualityRating"], "GREEN");
    assert_eq!(
        answer["data"]["callSettings"]["callHours"]["weeklyOperatingHours"][0]["closeTime"],
        json!({"hours": 17, "minutes": 30})
    );
    assert_eq!(answer["data"]["linkedWabaId"], EUM_WABA);

    // register_webhook: the WABA by EUM id, topic and role
    let topic = "arn:aws:sns:us-east-1:123456789012:whatsapp-events";
    let role = "arn:aws:iam::123456789012:role/eum-publish";
    let answer = dispatch(&ctx, json!({"action": "register_webhook", "wabaId": EUM_WABA, "topicArn": topic, "roleArn": role})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = standin.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("PUT", "/v1/whatsapp/waba/eventdestinations")
    );
    assert_eq!(
        seen.body,
        json!({"id": EUM_WABA, "eventDestinations": [{"eventDestinationArn": topic, "roleArn": role}]})
    );
    let refused = dispatch(
        &ctx,
        json!({"action": "register_webhook", "topicArn": "my-topic"}),
    )
    .await;
    assert_eq!(refused["statusCode"], 400, "{refused}");

    // update_call_settings
    let settings = json!({"callEnabled": true, "callIconVisibility": "DEFAULT", "callbackPermissionStatus": "ENABLED",
        "callHours": {"enabled": true, "timezone": "Europe/London", "weeklyOperatingHours": [
            {"dayOfWeek": "MONDAY", "openTime": {"hours": 9, "minutes": 0}, "closeTime": {"hours": 18, "minutes": 0}}],
            "holidaySchedule": [{"date": "2026-12-25", "startTime": {"hours": 0, "minutes": 0}, "endTime": {"hours": 23, "minutes": 59}}]}});
    let answer = dispatch(&ctx, json!({"action": "update_call_settings", "phoneNumberId": PHONE2_EUM, "callSettings": settings})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = standin.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("PUT", "/v1/whatsapp/waba/phone")
    );
    assert_eq!(query_id(&seen.query), PHONE2_EUM);
    assert_eq!(seen.body, json!({"callSettings": settings}));
    // EUM Social requires a holiday's times: refused before it is asked
    let untimed = dispatch(&ctx, json!({"action": "update_call_settings", "callSettings": {"callEnabled": true,
        "callHours": {"enabled": true, "timezone": "UTC", "holidaySchedule": [{"date": "2026-12-25"}]}}})).await;
    assert_eq!(untimed["statusCode"], 400, "{untimed}");
    assert!(
        untimed["error"]
            .as_str()
            .unwrap()
            .contains("holidaySchedule[0].startTime"),
        "{untimed}"
    );
    let bad = dispatch(&ctx, json!({"action": "update_call_settings", "callSettings": {"callEnabled": true,
        "callHours": {"enabled": true, "timezone": "UTC", "weeklyOperatingHours": [{"dayOfWeek": "FUNDAY"}]}}})).await;
    assert_eq!(bad["statusCode"], 400, "{bad}");
    assert!(
        bad["error"].as_str().unwrap().contains("dayOfWeek"),
        "{bad}"
    );
}

const DEPENDENCY: Failure = Failure {
    status: 424,
    kind: "DependencyException",
    message: "Meta is unavailable",
};
const DENIED_BY_META: Failure = Failure {
    status: 403,
    kind: "AccessDeniedByMetaException",
    message: "Meta refused the request",
};

#[tokio::test]
async fn account_errors_map_like_sends() {
    let (ctx, standin) = platform_ctx(embedded_store(), 1).await;
    for (failure, status) in [
        (standin::THROTTLED, 429),
        (standin::INVALID, 400),
        (standin::NOT_FOUND, 404),
        (standin::DENIED, 403),
        (DENIED_BY_META, 403),
        (DEPENDENCY, 502),
    ] {
        standin.fail_next(std::slice::from_ref(&failure));
        let answer = dispatch(
            &ctx,
            json!({"action": "create_dataset", "wabaId": EUM_WABA}),
        )
        .await;
        assert_eq!(answer["statusCode"], status, "{failure:?}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(failure.message),
            "{answer}"
        );
    }
    let answer = dispatch(&ctx, json!({"action": "create_dataset"})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(
        standin.last().body,
        json!({"id": EUM_WABA}),
        "the default WABA (Meta id) is found in the linked list"
    );
    assert_eq!(
        answer["data"],
        json!({"id": EUM_WABA, "datasetId": "1234567890123456"})
    );
}

#[tokio::test]
async fn without_list_permission_get_config_reads_the_configured_waba() {
    let (ctx, standin) = platform_ctx(embedded_store(), 1).await;
    let ctx = ctx.with_platform(Platform {
        account: Arc::new(EumAccount::new(standin.client(1).await)),
        default_waba_id: Some(EUM_WABA.into()),
        ..Default::default()
    });
    standin.fail_next(&[standin::DENIED]);
    let answer = dispatch(&ctx, json!({"action": "get_config"})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let paths: Vec<String> = standin
        .seen()
        .iter()
        .map(|s| format!("{} {}?{}", s.method, s.path, s.query))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /v1/whatsapp/waba/list?maxResults=100".to_string(),
            format!("GET /v1/whatsapp/waba/details?id={EUM_WABA}"),
        ]
    );
    assert_eq!(answer["data"]["accounts"][0]["id"], EUM_WABA);
}

#[tokio::test]
async fn local_mode_answers_from_configuration_or_says_it_cannot() {
    let ctx = ctx(embedded_store());
    let config = dispatch(&ctx, json!({"action": "get_config"})).await;
    assert_eq!(config["statusCode"], 200, "{config}");
    assert_eq!(config["data"]["source"], "configuration");
    assert_eq!(
        config["data"]["configured"]["originationPhoneNumberId"],
        ORIGINATION
    );
    let phone = dispatch(&ctx, json!({"action": "get_phone_number"})).await;
    assert_eq!(phone["statusCode"], 400, "{phone}");
    assert!(
        phone["error"]
            .as_str()
            .unwrap()
            .contains("not available in local mode"),
        "{phone}"
    );
}

/// Runs one inbound event file.
pub async fn ingest(ctx: &Ctx, event: Value) -> Value {
    let answer = intake::handle(ctx, event).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    answer
}

/// An SNS event of one Meta change.
pub fn change_event(sns_id: &str, field: &str, value: Value) -> Value {
    sns_event(&[(sns_id, envelope(json!([{"field": field, "value": value}])))])
}

#[tokio::test]
async fn help_and_list_actions_show_the_account_categories() {
    let ctx = ctx(embedded_store());
    let list = dispatch(&ctx, json!({"action": "list_actions"})).await;
    let categories = &list["data"]["categories"];
    assert_eq!(
        categories["calling"],
        json!([
            "get_call_logs",
            "get_call_permission",
            "request_call_permission",
            "send_call_event"
        ])
    );
    assert_eq!(
        categories["conversions"],
        json!(["create_dataset", "send_conversion_event"])
    );
    assert_eq!(
        categories["customers"],
        json!(["get_customer", "set_customer_preferences"])
    );
    for name in [
        "get_config",
        "get_phone_number",
        "get_quality",
        "register_webhook",
        "update_call_settings",
    ] {
        assert!(
            categories["config"]
                .as_array()
                .unwrap()
                .contains(&json!(name)),
            "{name}: {list}"
        );
    }
    let help = dispatch(&ctx, json!({"action": "help", "topic": "send_call_event"})).await;
    assert_eq!(help["data"]["actions"][0]["category"], "calling", "{help}");
    assert_eq!(help["data"]["actions"][0]["scope"], "send");
}
