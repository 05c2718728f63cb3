//! Calls: the `calls` webhook merged into `CALL#…` items forward only (both stores), the call
//! logs by phone, by customer and over a time range, and the calling actions against the
//! stand-in with the exact requests asserted.

use std::sync::Arc;

use handlers::Store;
use serde_json::{Value, json};

use crate::helpers::{CUSTOMER, ORIGINATION, PHONE, embedded_store, load, now_secs, text_event};
use crate::platform::{blob, change_event, dispatch, ingest, platform_ctx};

macro_rules! both_stores {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::embedded_store()).await; })*
        }
        mod dynamodb {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::dynamo_store().await).await; })*
        }
    };
}

both_stores!(
    a_call_is_merged_forward_whatever_the_order,
    call_logs_are_queries_by_phone_customer_and_time
);

const CALL: &str = "wacid.HBgLMTY1MDU1NTEyMzQVAgARGBI3QzM0QkYzRjlCM0VFNTg4QjAA";

fn calls_value(calls: Value, statuses: Value) -> Value {
    json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "calls": calls, "statuses": statuses})
}

fn call(id: &str, event: &str, customer: &str, at: i64, direction: &str) -> Value {
    let mut c = json!({"id": id, "from": customer, "to": "15550783881", "event": event,
        "timestamp": at.to_string(), "direction": direction});
    if direction == "BUSINESS_INITIATED" {
        c["from"] = json!("15550783881");
        c["to"] = json!(customer);
    }
    if event == "terminate" {
        c["status"] = json!("COMPLETED");
        c["start_time"] = json!((at - 65).to_string());
        c["end_time"] = json!(at.to_string());
        c["duration"] = json!(60);
    }
    c
}

async fn a_call_is_merged_forward_whatever_the_order<S: Store + 'static>(store: Arc<S>) {
    let ctx = crate::helpers::ctx(store.clone());
    let t = 1_763_633_400;
    // GIVEN the terminate first, then the connect, then the connect again under another SNS id
    let terminate = change_event(
        "c-term",
        "calls",
        calls_value(
            json!([call(CALL, "terminate", CUSTOMER, t + 70, "USER_INITIATED")]),
            json!([]),
        ),
    );
    let connect = calls_value(
        json!([call(CALL, "connect", CUSTOMER, t, "USER_INITIATED")]),
        json!([]),
    );
    ingest(&ctx, terminate).await;
    ingest(&ctx, change_event("c-conn", "calls", connect.clone())).await;
    ingest(&ctx, change_event("c-conn-again", "calls", connect)).await;
    // THEN the call is COMPLETED with both events' facts, created at the connect
    let item = store
        .get_item(&handlers::keys::call(CALL))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item["status"], "COMPLETED", "{item}");
    assert_eq!(item["outcome"], "COMPLETED");
    assert_eq!(item["durationSeconds"], 60);
    assert_eq!(item["direction"], "USER_INITIATED");
    assert_eq!(item["customerId"], CUSTOMER);
    assert_eq!(item["connectAt"], "2025-11-20T10:10:00Z");
    assert_eq!(item["terminateAt"], "2025-11-20T10:11:10Z");
    assert_eq!(item["startTime"], "2025-11-20T10:10:05Z");
    assert_eq!(
        item["createdAt"], "2025-11-20T10:11:10Z",
        "the first event stored created it"
    );
    // AND a business-initiated call's statuses move forward only: ACCEPTED stays after RINGING
    let bic = "wacid.BUSINESS-1";
    let status = |s: &str, at: i64| json!({"id": bic, "timestamp": at.to_string(), "type": "call", "status": s, "recipient_id": CUSTOMER});
    ingest(
        &ctx,
        change_event(
            "s-acc",
            "calls",
            calls_value(json!([]), json!([status("ACCEPTED", t + 10)])),
        ),
    )
    .await;
    ingest(
        &ctx,
        change_event(
            "s-ring",
            "calls",
            calls_value(json!([]), json!([status("RINGING", t + 5)])),
        ),
    )
    .await;
    let item = store
        .get_item(&handlers::keys::call(bic))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item["status"], "ACCEPTED", "{item}");
    assert_eq!(item["ringingAt"], "2025-11-20T10:10:05Z");
    assert_eq!(item["acceptedAt"], "2025-11-20T10:10:10Z");
    assert_eq!(item["direction"], "BUSINESS_INITIATED");
}

async fn call_logs_are_queries_by_phone_customer_and_time<S: Store + 'static>(store: Arc<S>) {
    let ctx = crate::helpers::ctx(store.clone());
    let t = 1_763_633_400;
    for (i, customer) in ["16505550001", "16505550002", "16505550001"]
        .iter()
        .enumerate()
    {
        let at = t + i as i64 * 3600;
        let id = format!("wacid.LOG{i}");
        ingest(
            &ctx,
            change_event(
                &format!("log-{i}"),
                "calls",
                calls_value(
                    json!([call(&id, "connect", customer, at, "USER_INITIATED")]),
                    json!([]),
                ),
            ),
        )
        .await;
    }
    let logs = dispatch(&ctx, json!({"action": "get_call_logs"})).await;
    assert_eq!(logs["statusCode"], 200, "{logs}");
    let ids: Vec<&str> = logs["data"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["callId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["wacid.LOG2", "wacid.LOG1", "wacid.LOG0"],
        "newest first"
    );
    let mine = dispatch(
        &ctx,
        json!({"action": "get_call_logs", "to": "+1 650 555 0001"}),
    )
    .await;
    let ids: Vec<&str> = mine["data"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["callId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["wacid.LOG2", "wacid.LOG0"], "{mine}");
    assert_eq!(
        mine["data"]["calls"][0]["pk"], "CALL#wacid.LOG2",
        "answered with the call's own key"
    );
    let range = dispatch(&ctx, json!({"action": "get_call_logs", "since": "2025-11-20T10:30:00Z", "until": "2025-11-20T11:30:00Z"})).await;
    let ids: Vec<&str> = range["data"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["callId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["wacid.LOG1"], "{range}");
    assert!(
        range["data"]["nextToken"].is_null(),
        "the listing stops below the range"
    );
    let paged = dispatch(&ctx, json!({"action": "get_call_logs", "limit": 2})).await;
    let token = paged["data"]["nextToken"].as_str().unwrap().to_string();
    let rest = dispatch(
        &ctx,
        json!({"action": "get_call_logs", "limit": 2, "nextToken": token}),
    )
    .await;
    assert_eq!(rest["data"]["calls"][0]["callId"], "wacid.LOG0", "{rest}");
    let bad = dispatch(
        &ctx,
        json!({"action": "get_call_logs", "since": "yesterday"}),
    )
    .await;
    assert_eq!(bad["statusCode"], 400, "{bad}");
}

#[tokio::test]
async fn calling_actions_send_the_exact_requests() {
    let (ctx, standin) = platform_ctx(embedded_store(), 1).await;
    // send_call_event: Meta's JSON as a blob, with the callback data and the API version
    let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n";
    let answer = dispatch(&ctx, json!({"action": "send_call_event", "bizOpaqueCallbackData": "order-1234",
        "callEvent": {"to": CUSTOMER, "action": "connect", "session": {"sdp_type": "offer", "sdp": sdp}}})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = standin.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v1/whatsapp/call/event")
    );
    assert_eq!(seen.body["originationPhoneNumberId"], ORIGINATION);
    assert_eq!(seen.body["metaApiVersion"], "v24.0");
    assert_eq!(
        blob(&seen.body["callEvent"]),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "action": "connect",
        "session": {"sdp_type": "offer", "sdp": sdp}, "biz_opaque_callback_data": "order-1234"})
    );
    assert_eq!(
        answer["data"]["callId"],
        "wacid.HBgLMTY1MDU1NTEyMzQVAgARGBJTVEFORElOQ0FMTAA"
    );
    let accept = dispatch(&ctx, json!({"action": "send_call_event", "callEvent": {"call_id": "wacid.X", "action": "accept", "session": {"sdp_type": "answer", "sdp": sdp}}})).await;
    assert_eq!(accept["data"]["callId"], "wacid.X", "{accept}");
    for bad in [
        json!({"action": "dial"}),
        json!({"action": "accept"}),
        json!({"action": "connect"}),
        json!("connect"),
    ] {
        let answer = dispatch(&ctx, json!({"action": "send_call_event", "callEvent": bad})).await;
        assert_eq!(answer["statusCode"], 400, "{answer}");
    }

    // get_call_permission by phone and by BSUID, with the stored reply
    standin.clear();
    let answer = dispatch(
        &ctx,
        json!({"action": "get_call_permission", "to": "+1 650 555 1234"}),
    )
    .await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(standin.last().path, "/v1/whatsapp/call/permission/get");
    assert_eq!(
        standin.last().body,
        json!({"originationPhoneNumberId": ORIGINATION, "destinationPhoneNumber": "+16505551234"})
    );
    assert_eq!(answer["data"]["permission"]["status"], "granted");
    assert_eq!(
        answer["data"]["permission"]["expirationTime"],
        "2025-11-27T00:00:00Z"
    );
    assert_eq!(
        answer["data"]["permission"]["actions"][0]["limits"][0]["maxAllowed"],
        5
    );
    dispatch(
        &ctx,
        json!({"action": "get_call_permission", "recipient": "US.13491208655302741918"}),
    )
    .await;
    assert_eq!(
        standin.last().body,
        json!({"originationPhoneNumberId": ORIGINATION, "endUserBsuid": "US.13491208655302741918"})
    );

    // request_call_permission: the interactive message, inside the window
    crate::platform::ingest(
        &ctx,
        text_event("w-1", "wamid.WINDOW", CUSTOMER, now_secs(), "call me"),
    )
    .await;
    let answer = dispatch(
        &ctx,
        json!({"action": "request_call_permission", "to": CUSTOMER, "body": "May we call you?"}),
    )
    .await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(
        answer["data"]["message"]["interactive"],
        json!({"type": "call_permission_request",
        "action": {"name": "call_permission_request"}, "body": {"text": "May we call you?"}})
    );
}

#[tokio::test]
async fn the_call_event_files_are_stored() {
    let store = embedded_store();
    let ctx = crate::helpers::ctx(store.clone());
    for name in ["calls_connect", "calls_terminate", "calls_status_ringing"] {
        ingest(&ctx, load(&format!("events/inbound/{name}.json"))).await;
    }
    let logs = dispatch(&ctx, json!({"action": "get_call_logs", "to": CUSTOMER})).await;
    let calls = logs["data"]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{logs}");
    let user = calls
        .iter()
        .find(|c| c["direction"] == "USER_INITIATED")
        .unwrap();
    assert_eq!(
        (user["status"].as_str(), user["durationSeconds"].as_i64()),
        (Some("COMPLETED"), Some(120))
    );
    let business = calls
        .iter()
        .find(|c| c["direction"] == "BUSINESS_INITIATED")
        .unwrap();
    assert_eq!(business["status"], "RINGING");
    assert_eq!(business["bizOpaqueCallbackData"], "order-1234");
}
