//! The intake path end to end: poison among good records, transient faults, SQS batches,
//! API Gateway proxies and clear 400s.

use base64::Engine;
use handlers::keys;
use handlers::store::{PageRequest, Store};
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

#[tokio::test]
async fn a_poison_record_is_skipped_and_the_others_processed() {
    for store in [
        embedded_store() as std::sync::Arc<dyn Store>,
        dynamo_store().await,
    ] {
        // (auditing processed records too: the audit of a good record is checked below)
        let ctx = ctx_auditing(store.clone());
        let good = |id: &str| {
            envelope(messages_change(
                CUSTOMER,
                json!([text_message(id, CUSTOMER, 1_763_632_800, "ok")]),
                json!([]),
            ))
        };
        let event = sns_event(&[
            ("g1", good("wamid.G1")),
            ("bad-json", "{not json".to_string()),
            ("not-eum", json!({"hello": "world"}).to_string()),
            (
                "bad-entry",
                json!({"context": {}, "whatsAppWebhookEntry": "[1,2]"}).to_string(),
            ),
            ("g2", good("wamid.G2")),
        ]);
        let answer = intake::handle(&ctx, event)
            .await
            .expect("poison does not fail the invocation");
        assert_eq!(answer["data"]["messages"], 2, "{answer}");
        assert_eq!(answer["data"]["poison"], 3);
        let failed = store
            .list_by_item_type(
                keys::item_type::FAILED_WEBHOOK_EVENT,
                &PageRequest {
                    limit: 10,
                    cursor: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            failed.items.len(),
            3,
            "each poison record is audited as failed"
        );
        let audit = store
            .get_item(&keys::webhook_audit("bad-json"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(audit["outcome"], "failed");
        assert!(
            audit["error"].as_str().unwrap().contains("not JSON"),
            "{audit}"
        );
        assert!(audit["ttl"].as_i64().unwrap() > 1_700_000_000);
        let ok = store
            .get_item(&keys::webhook_audit("g1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok["outcome"], "processed");
        assert!(
            ok.get("itemTypePk").is_none(),
            "successful audits stay out of gsi-itemType"
        );
    }
}

#[tokio::test]
async fn a_message_without_identity_is_poison_but_its_neighbours_land() {
    let store = embedded_store();
    let ctx = ctx(store.clone());
    let messages = json!([{"id": "wamid.NOID", "type": "text", "timestamp": "1"}, text_message("wamid.OK", CUSTOMER, 2, "fine")]);
    let mut change = messages_change(CUSTOMER, messages, json!([]));
    change[0]["value"]["contacts"] = json!([]);
    let answer = intake::handle(&ctx, sns_event(&[("m1", envelope(change))]))
        .await
        .unwrap();
    assert_eq!(answer["data"]["messages"], 1);
    assert_eq!(answer["data"]["poison"], 1);
    assert_eq!(answer["data"]["reports"][0]["outcome"], "partial");
}

#[tokio::test]
async fn a_transient_fault_fails_sns_and_loses_nothing_on_retry() {
    let event = text_event("tr-1", "wamid.TR1", CUSTOMER, 1_763_632_800, "retry me");
    // GIVEN DynamoDB unreachable
    let dead = ctx(dead_dynamo_store().await);
    let failure = intake::handle(&dead, event.clone())
        .await
        .expect_err("the invocation must fail to be retried");
    assert!(failure.source.is_retryable());
    assert!(failure.to_string().contains("retried"), "{failure}");
    // WHEN Lambda retries against a reachable table, twice (a retry may race a late success)
    let store = dynamo_store().await;
    let live = ctx(store.clone());
    intake::handle(&live, event.clone()).await.unwrap();
    intake::handle(&live, event).await.unwrap();
    // THEN the message is there once
    let conv = store
        .get_conversation("CONV#106540352242922#16505551234")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.unread_count, 1);
    assert_eq!(
        store
            .get_message("wamid.TR1")
            .await
            .unwrap()
            .unwrap()
            .text
            .as_deref(),
        Some("retry me")
    );
}

#[tokio::test]
async fn sqs_reports_only_the_failed_records() {
    let event = load("events/sqs/sns_notification.json");
    let ids: Vec<Value> = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["messageId"].clone())
        .collect();
    // all records fail against a dead store, each named in batchItemFailures
    let dead = ctx(dead_dynamo_store().await);
    let answer = intake::handle(&dead, event.clone()).await.unwrap();
    let failed: Vec<Value> = answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].clone())
        .collect();
    assert_eq!(failed, ids);
    // and none against a live one
    let store = dynamo_store().await;
    let live = ctx(store.clone());
    let answer = intake::handle(&live, event.clone()).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let raw = intake::handle(&live, load("events/sqs/raw_delivery.json"))
        .await
        .unwrap();
    assert_eq!(raw, json!({"batchItemFailures": []}));
    // each SNS message inside became a message
    for record in event["Records"].as_array().unwrap() {
        let body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        let eum: Value = serde_json::from_str(body["Message"].as_str().unwrap()).unwrap();
        let entry: Value =
            serde_json::from_str(eum["whatsAppWebhookEntry"].as_str().unwrap()).unwrap();
        let id = entry["changes"][0]["value"]["messages"][0]["id"]
            .as_str()
            .unwrap();
        assert!(store.get_message(id).await.unwrap().is_some(), "{id}");
    }
}

#[tokio::test]
async fn an_sqs_record_that_does_not_parse_keeps_its_body() {
    let store = embedded_store();
    // (auditing processed records too: their audit items name the SQS ids)
    let ctx = ctx_auditing(store.clone());
    let body = |wamid: &str| {
        envelope(messages_change(
            CUSTOMER,
            json!([text_message(wamid, CUSTOMER, 1_763_632_800, "still here")]),
            json!([]),
        ))
    };
    // GIVEN records whose attributes are malformed but whose bodies are good EUM events, and
    // one record that came without a body
    let no_body = json!({"messageId": "sqs-no-body", "eventSource": "aws:sqs", "attributes": {}});
    let event = json!({"Records": [
        {"messageId": "sqs-bad-attributes", "eventSource": "aws:sqs", "attributes": "oops", "body": body("wamid.SQSATTR")},
        {"messageId": "sqs-bad-message-attributes", "eventSource": "aws:sqs", "messageAttributes": 5, "body": body("wamid.SQSMSGATTR")},
        no_body.clone(),
    ]});
    // WHEN the batch is handled
    let answer = intake::handle(&ctx, event).await.unwrap();
    // THEN nothing is retried, both messages are stored under their SQS ids ...
    assert_eq!(answer, json!({"batchItemFailures": []}));
    for (sqs_id, wamid) in [
        ("sqs-bad-attributes", "wamid.SQSATTR"),
        ("sqs-bad-message-attributes", "wamid.SQSMSGATTR"),
    ] {
        let message = store.get_message(wamid).await.unwrap();
        assert_eq!(
            message.and_then(|m| m.text).as_deref(),
            Some("still here"),
            "{wamid}"
        );
        let audit = store
            .get_item(&keys::webhook_audit(sqs_id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(audit["outcome"], "processed", "{audit}");
    }
    // ... and the bodiless record is poison whose audit item keeps the whole record
    let audit = store
        .get_item(&keys::webhook_audit("sqs-no-body"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit["outcome"], "failed", "{audit}");
    let payload: Value = serde_json::from_str(audit["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload, no_body);
}

#[tokio::test]
async fn a_failed_sqs_record_that_does_not_parse_is_answered_under_its_message_id() {
    let body = envelope(messages_change(
        CUSTOMER,
        json!([text_message(
            "wamid.SQSDEAD",
            CUSTOMER,
            1_763_632_800,
            "retry"
        )]),
        json!([]),
    ));
    let event = json!({"Records": [
        {"messageId": "sqs-dead-attributes", "eventSource": "aws:sqs", "attributes": "oops", "body": body},
    ]});
    let dead = ctx(dead_dynamo_store().await);
    let answer = intake::handle(&dead, event).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "sqs-dead-attributes"}]})
    );
}

#[tokio::test]
async fn api_gateway_answers_with_the_body_status() {
    let ctx = ctx(embedded_store());
    intake::handle(&ctx, load("events/inbound/text.json"))
        .await
        .unwrap();
    for (file, v2) in [
        ("events/apigw/http_api_v2.json", true),
        ("events/apigw/rest_v1_base64.json", false),
    ] {
        let answer = intake::handle(&ctx, load(file)).await.unwrap();
        assert_eq!(answer["statusCode"], 200, "{file}: {answer}");
        assert_eq!(answer["headers"]["content-type"], "application/json");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["statusCode"], 200);
        assert_eq!(body["data"]["count"], 1, "{file}: {body}");
        let _ = v2;
    }
    // an unknown action through API Gateway is a 400 at the HTTP level too
    let mut event = load("events/apigw/http_api_v2.json");
    event["body"] = json!(json!({"action": "send_txt"}).to_string());
    let answer = intake::handle(&ctx, event.clone()).await.unwrap();
    assert_eq!(answer["statusCode"], 400);
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["statusCode"], 400);
    // a body that is not JSON
    event["body"] = json!("action=ping");
    let answer = intake::handle(&ctx, event.clone()).await.unwrap();
    assert_eq!(answer["statusCode"], 400);
    assert!(answer["body"].as_str().unwrap().contains("not JSON"));
    // base64 of a GET-less ping
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(r#"{"action":"ping"}"#));
    event["isBase64Encoded"] = json!(true);
    assert_eq!(
        intake::handle(&ctx, event.clone()).await.unwrap()["statusCode"],
        200
    );
    // an HTTP API event API Gateway could not have sent is named as such
    event["requestContext"]["http"] = json!({"path": "/"});
    let answer = intake::handle(&ctx, event).await.unwrap();
    assert_eq!(answer["statusCode"], 400);
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("not an API Gateway HTTP API (v2) proxy event: missing field `method`"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_actions_and_bad_params_are_clear_400s() {
    let ctx = ctx(embedded_store());
    let cases = [
        (
            json!({"action": "get_conversatons"}),
            "unknown action `get_conversatons`; did you mean",
        ),
        (json!({"action": ""}), "the request has no `action`"),
        (
            json!({"action": "get_message"}),
            "missing required parameter `waMessageId`",
        ),
        (
            json!({"action": "get_message", "waMessageId": 42}),
            "invalid parameter `waMessageId`",
        ),
        (
            json!({"action": "get_messages", "customerId": CUSTOMER, "limit": 1000}),
            "invalid parameter `limit`: must be between 1 and 100",
        ),
        (
            json!({"action": "get_messages", "limit": 5}),
            "missing required parameter `conversationPk (or customerId)`",
        ),
        (
            json!({"action": "get_conversation", "conversationPk": "MSG#x"}),
            "invalid parameter `conversationPk`",
        ),
        (
            json!({"action": "get_conversations", "archived": "yes"}),
            "invalid parameter `archived`",
        ),
    ];
    for (request, expected) in cases {
        let answer = action(&ctx, request.clone()).await;
        assert_eq!(answer["statusCode"], 400, "{request} → {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.starts_with(expected), "{request} → {error}");
    }
    let unknown = action(&ctx, json!({"action": "get_conversatons"})).await;
    assert_eq!(unknown["suggestions"][0], "get_conversations");
    let not_found = action(
        &ctx,
        json!({"action": "get_message", "waMessageId": "wamid.nope"}),
    )
    .await;
    assert_eq!(not_found["statusCode"], 404);
    let seen = intake::handle(&ctx, json!({"Records": [{"eventSource": "aws:kinesis"}]}))
        .await
        .unwrap();
    assert_eq!(seen["statusCode"], 400);
    assert!(seen["error"].as_str().unwrap().contains("aws:kinesis"));
}

#[tokio::test]
async fn health_reports_the_store_and_what_is_missing() {
    let healthy = action(&ctx(embedded_store()), json!({"action": "health"})).await;
    assert_eq!(healthy["data"]["healthy"], true, "{healthy}");
    assert_eq!(healthy["data"]["missing"], json!([]));
    let dead = action(&ctx(dead_dynamo_store().await), json!({"action": "health"})).await;
    assert_eq!(dead["statusCode"], 200);
    assert_eq!(dead["data"]["healthy"], false);
    assert_eq!(dead["data"]["store"]["ok"], false);
    assert!(
        dead["data"]["store"]["error"]
            .as_str()
            .unwrap()
            .contains("unavailable"),
        "{dead}"
    );
    let bare = handlers::Ctx::new(embedded_store(), Default::default());
    let missing = action(&bare, json!({"action": "health"})).await;
    assert!(
        missing["data"]["missing"][0]
            .as_str()
            .unwrap()
            .starts_with("DEFAULT_PHONE_NUMBER_ID"),
        "{missing}"
    );
}

#[tokio::test]
async fn a_big_sns_event_answers_totals_and_only_the_reports_that_need_a_look() {
    let good = |n: usize| {
        envelope(messages_change(
            CUSTOMER,
            json!([text_message(
                &format!("wamid.SUM{n}"),
                CUSTOMER,
                1_763_632_800 + n as i64,
                "ok"
            )]),
            json!([]),
        ))
    };
    // GIVEN 12 records: 11 messages and one poison record
    let mut records: Vec<(String, String)> =
        (0..11).map(|n| (format!("sum-{n}"), good(n))).collect();
    records.insert(5, ("sum-poison".into(), "{not json".into()));
    let event: Vec<(&str, String)> = records
        .iter()
        .map(|(id, body)| (id.as_str(), body.clone()))
        .collect();
    let ctx = ctx(embedded_store());
    // WHEN it is handled, THEN the totals count every record and the reports are the poison's
    let answer = intake::handle(&ctx, sns_event(&event)).await.unwrap();
    let data = &answer["data"];
    assert_eq!(
        (&data["records"], &data["messages"], &data["poison"]),
        (&json!(12), &json!(11), &json!(1)),
        "{answer}"
    );
    let reports = data["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{answer}");
    assert_eq!(reports[0]["deliveryId"], "sum-poison");
    assert_eq!(reports[0]["outcome"], "failed");
    // AND with "detail": true (a console test event), every record's report, in event order
    let mut detailed = sns_event(&event);
    detailed["detail"] = json!(true);
    let answer = intake::handle(&ctx, detailed).await.unwrap();
    let ids: Vec<&str> = answer["data"]["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["deliveryId"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = records.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, expected);
    assert_eq!(answer["data"]["duplicates"], 11);
    // AND up to 10 records, every report without asking
    let answer = intake::handle(&ctx, sns_event(&event[..10])).await.unwrap();
    assert_eq!(answer["data"]["reports"].as_array().unwrap().len(), 10);
}
