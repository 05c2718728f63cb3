//! Flow actions against the EUM stand-in (exact requests), their state checks, the `flows`
//! webhook field and the link from a completed flow's reply to its flow, on both stores.

use std::sync::Arc;

use handlers::store::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;
use crate::templates::{EUM_WABA, blob, requests, rig};

const FLOW: &str = "1234567890123456";

fn flow(status: &str) -> Value {
    json!({"flowId": FLOW, "flowName": "Appointment booking", "flowStatus": status,
           "categories": ["APPOINTMENT_BOOKING"], "validationErrors": [], "jsonVersion": "7.2",
           "preview": {"previewUrl": "https://business.facebook.com/wa/manage/flows/1234567890123456/preview/?token=abc",
                       "expiresAt": "2026-11-30T10:00:00+0000"},
           "healthStatus": {"canSendMessage": "BLOCKED", "entities": [
               {"entityType": "WABA", "id": WABA, "canSendMessage": "AVAILABLE"},
               {"entityType": "APP", "id": "1050000000000000", "canSendMessage": "BLOCKED"}]}})
}

const GET: &str = "/v1/whatsapp/flow";

#[tokio::test]
async fn create_then_walk_a_flow_through_its_states() {
    let rig = rig(embedded_store()).await;
    let flow_json = json!({"version": "7.2", "screens": [{"id": "WELCOME", "terminal": true, "layout": {"type": "SingleColumnLayout", "children": []}}]});
    let created = action(
        &rig.ctx,
        json!({"action": "create_flow", "name": "Appointment booking",
        "categories": ["APPOINTMENT_BOOKING"], "flowJson": flow_json.to_string()}),
    )
    .await;
    assert_eq!(created["statusCode"], 200, "{created}");
    let sent = rig.standin.last();
    assert_eq!(sent.path, "/v1/whatsapp/flow/create");
    assert_eq!(blob(&sent.body, "flowJson"), flow_json);
    assert_eq!(
        (
            &sent.body["id"],
            &sent.body["flowName"],
            &sent.body["categories"],
            sent.body.get("publish")
        ),
        (
            &json!(EUM_WABA),
            &json!("Appointment booking"),
            &json!(["APPOINTMENT_BOOKING"]),
            None
        )
    );
    assert_eq!(created["data"]["flow"]["status"], "DRAFT");
    let bad = action(
        &rig.ctx,
        json!({"action": "create_flow", "name": "x", "categories": ["GAMES"]}),
    )
    .await;
    assert_eq!(bad["statusCode"], 400, "{bad}");

    // only a DRAFT is published: the state is read first
    rig.standin.clear();
    rig.standin.answer_next("GET", GET, flow("DRAFT"));
    let published = action(&rig.ctx, json!({"action": "publish_flow", "flowId": FLOW})).await;
    assert_eq!(
        (
            &published["data"]["previousStatus"],
            &published["data"]["status"]
        ),
        (&json!("DRAFT"), &json!("PUBLISHED")),
        "{published}"
    );
    assert_eq!(
        requests(&rig.standin),
        [
            format!("GET {GET}?id={EUM_WABA}&flowId={FLOW}"),
            "POST /v1/whatsapp/flow/publish".into()
        ]
    );
    assert_eq!(
        rig.standin.last().body,
        json!({"id": EUM_WABA, "flowId": FLOW})
    );
    for (name, expected) in [
        (
            "publish_flow",
            "flow 1234567890123456 is PUBLISHED: only a DRAFT flow can be published",
        ),
        (
            "delete_flow",
            "flow 1234567890123456 is PUBLISHED: only a DRAFT flow can be deleted",
        ),
        (
            "update_flow_assets",
            "flow 1234567890123456 is PUBLISHED: only a DRAFT flow can be given new Flow JSON",
        ),
    ] {
        rig.standin.clear();
        rig.standin.answer_next("GET", GET, flow("PUBLISHED"));
        let mut request = json!({"action": name, "flowId": FLOW});
        if name == "update_flow_assets" {
            request["flowJson"] = flow_json.clone();
        }
        let refused = action(&rig.ctx, request).await;
        assert_eq!(refused["statusCode"], 400, "{name}: {refused}");
        assert_eq!(
            refused["error"],
            format!("invalid parameter `flowId`: {expected}")
        );
        assert_eq!(rig.standin.seen().len(), 1, "{name}: nothing but the read");
    }
    rig.standin.answer_next("GET", GET, flow("PUBLISHED"));
    let deprecated = action(
        &rig.ctx,
        json!({"action": "deprecate_flow", "flowId": FLOW}),
    )
    .await;
    assert_eq!(deprecated["data"]["status"], "DEPRECATED", "{deprecated}");
    assert_eq!(rig.standin.last().path, "/v1/whatsapp/flow/deprecate");
    let item = rig
        .ctx
        .store()
        .get_item(&format!("FLOW#{WABA}#{FLOW}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item["status"], "DEPRECATED");
}

#[tokio::test]
async fn get_list_assets_and_preview_read_what_eum_has() {
    let rig = rig(embedded_store()).await;
    rig.standin.answer_next("GET", GET, flow("PUBLISHED"));
    let got = action(&rig.ctx, json!({"action": "get_flow", "flowId": FLOW})).await;
    assert_eq!(
        got["data"]["healthStatus"]["canSendMessage"], "BLOCKED",
        "{got}"
    );
    assert_eq!(
        got["data"]["healthStatus"]["entities"][1]["entityType"],
        "APP"
    );
    assert_eq!(got["data"]["status"], "PUBLISHED");

    rig.standin.answer_next("GET", "/v1/whatsapp/flow/list", json!({"flows": [
        {"flowId": FLOW, "flowName": "Appointment booking", "flowStatus": "PUBLISHED", "flowCategories": ["APPOINTMENT_BOOKING"], "validationErrors": []}],
        "nextToken": "next"}));
    rig.standin.answer_next("GET", "/v1/whatsapp/flow/list", json!({"flows": [
        {"flowId": "1234567890123457", "flowName": "Old survey", "flowStatus": "DRAFT", "flowCategories": ["SURVEY"], "validationErrors": []}]}));
    rig.standin.clear();
    let listed = action(&rig.ctx, json!({"action": "list_flows", "status": "DRAFT"})).await;
    assert_eq!(listed["data"]["count"], 1, "{listed}");
    assert_eq!(listed["data"]["flows"][0]["categories"], json!(["SURVEY"]));
    assert_eq!(
        requests(&rig.standin),
        [
            format!("GET /v1/whatsapp/flow/list?id={EUM_WABA}"),
            format!("GET /v1/whatsapp/flow/list?id={EUM_WABA}&nextToken=next")
        ]
    );

    rig.standin.answer_next("GET", "/v1/whatsapp/flow/assets", json!({"flowAssets": [
        {"name": "flow.json", "assetType": "FLOW_JSON", "downloadUrl": "https://mmg.whatsapp.net/flow.json"}]}));
    let assets = action(
        &rig.ctx,
        json!({"action": "list_flow_assets", "flowId": FLOW}),
    )
    .await;
    assert_eq!(
        assets["data"]["assets"][0]["assetType"], "FLOW_JSON",
        "{assets}"
    );

    rig.standin.answer_next("GET", "/v1/whatsapp/flow/preview", json!({"flowId": FLOW,
        "preview": {"previewUrl": "https://business.facebook.com/wa/manage/flows/1/preview/?token=new", "expiresAt": "2026-12-01T10:00:00+0000"}}));
    let preview = action(
        &rig.ctx,
        json!({"action": "get_flow_preview", "flowId": FLOW, "invalidate": true}),
    )
    .await;
    assert_eq!(
        preview["data"]["previewUrl"],
        "https://business.facebook.com/wa/manage/flows/1/preview/?token=new"
    );
    assert_eq!(
        rig.standin.last().query,
        format!("id={EUM_WABA}&flowId={FLOW}&invalidate=true")
    );
}

#[tokio::test]
async fn flow_webhooks_and_completed_replies_update_the_flow_on_both_stores() {
    for store in [embedded_store() as Arc<dyn Store>, dynamo_store().await] {
        let name = store.describe();
        let rig = rig(store.clone()).await;
        intake::handle(
            &rig.ctx,
            text_event("open", "wamid.OPEN", CUSTOMER, now_secs(), "hi"),
        )
        .await
        .unwrap();
        let sent = action(
            &rig.ctx,
            json!({"action": "send_flow", "to": CUSTOMER, "body": "Book a visit",
            "flowId": FLOW, "flowToken": "booking-1", "cta": "Book", "screen": "WELCOME"}),
        )
        .await;
        assert_eq!(sent["statusCode"], 200, "{name}: {sent}");
        let wamid = sent["data"]["waMessageId"].as_str().unwrap().to_string();
        assert_eq!(
            rig.standin.last().message()["interactive"]["action"]["parameters"]["flow_id"],
            FLOW
        );

        let reply = json!({"context": {"from": "15550783881", "id": wamid}, "from": CUSTOMER, "id": "wamid.REPLY1",
            "timestamp": now_secs().to_string(), "type": "interactive", "interactive": {"type": "nfm_reply",
            "nfm_reply": {"response_json": "{\"flow_token\": \"booking-1\", \"day\": \"2026-12-01\"}", "body": "Sent", "name": "flow"}}});
        let event = sns_event(&[(
            "reply",
            envelope(messages_change(CUSTOMER, json!([reply]), json!([]))),
        )]);
        intake::handle(&rig.ctx, event).await.unwrap();
        let stored = store.get_message("wamid.REPLY1").await.unwrap().unwrap();
        let part = stored.interactive.unwrap();
        assert_eq!(part.flow_id.as_deref(), Some(FLOW), "{name}");
        assert_eq!(part.flow_response.unwrap()["day"], "2026-12-01");

        let change = json!([{"field": "flows", "value": {"event": "FLOW_STATUS_CHANGE",
            "message": "Flow Appointment booking changed status from PUBLISHED to THROTTLED",
            "flow_id": FLOW, "old_status": "PUBLISHED", "new_status": "THROTTLED"}}]);
        intake::handle(&rig.ctx, sns_event(&[("status", envelope(change))]))
            .await
            .unwrap();
        let alert = json!({"event": "ENDPOINT_LATENCY", "message": "Flow Appointment booking endpoint latency exceeded the threshold",
            "flow_id": FLOW, "p90_latency": 8000, "threshold": 7000, "alert_state": "ACTIVATED"});
        intake::handle(
            &rig.ctx,
            sns_event(&[(
                "alert",
                envelope(json!([{"field": "flows", "value": alert}])),
            )]),
        )
        .await
        .unwrap();
        let item = store
            .get_item(&format!("FLOW#{WABA}#{FLOW}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(item["status"], "THROTTLED", "{name}: {item}");
        assert_eq!(item["alerts"]["ENDPOINT_LATENCY"], alert, "{name}");
        assert_eq!(item["lastReplyMessageId"], "wamid.REPLY1", "{name}");
    }
}
