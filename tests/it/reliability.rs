//! Issue 12: infrastructure faults are loud, poison is quiet. A store that is misconfigured,
//! denied or hanging fails the record (so Lambda retries and the DLQ keeps it); only what the
//! payload brought is poison, and poison keeps its whole body so it can be replayed.

use std::sync::Arc;

use handlers::ports::MediaStore;
use handlers::sandbox::{MemoryMedia, SandboxSender};
use handlers::store::{PageRequest, Store, StoreError};
use handlers::{Ctx, Settings, keys};
use serde_json::{Value, json};
use whatsapp_lambda::intake;
use whatsapp_lambda::media::S3Media;
use whatsapp_lambda::store::DynamoStore;

use crate::helpers::*;

/// A context on `store` with its own in-memory media and the given settings.
fn ctx_with(store: Arc<dyn Store>, media: Arc<dyn MediaStore>, settings: Settings) -> Ctx {
    let sender = Arc::new(SandboxSender::new(media.clone()));
    Ctx::with(store, sender, media, settings)
}

fn text_body(wamid: &str, text: &str) -> String {
    envelope(messages_change(
        CUSTOMER,
        json!([text_message(wamid, CUSTOMER, 1_763_632_800, text)]),
        json!([]),
    ))
}

fn failed_page() -> PageRequest {
    PageRequest {
        limit: 100,
        cursor: None,
    }
}

// ------------------------------------------------------------------ faults fail the invocation

#[tokio::test]
async fn a_missing_table_fails_the_invocation_as_an_infrastructure_fault() {
    // GIVEN a DynamoDB Local table name that does not exist (ResourceNotFoundException)
    let store = Arc::new(DynamoStore::new(dynamodb_client().await, unique_table()));
    let ctx = ctx(store);
    // WHEN an SNS record arrives THEN the invocation fails as a fault, not as acknowledged poison
    let event = sns_event(&[("missing-table", text_body("wamid.MT", "lost?"))]);
    let failure = intake::handle(&ctx, event)
        .await
        .expect_err("a missing table must fail the invocation");
    assert!(
        matches!(failure.source, StoreError::Fault { .. }),
        "{:?}",
        failure.source
    );
    let diagnostic = lambda_runtime::Diagnostic::from(failure);
    assert_eq!(diagnostic.error_type, "InfrastructureFault");
    // and an SQS record is listed for redelivery
    let sqs = json!({"Records": [{"messageId": "sqs-mt", "eventSource": "aws:sqs", "body": text_body("wamid.MT2", "lost?")}]});
    let answer = intake::handle(&ctx, sqs).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "sqs-mt"}]})
    );
}

#[tokio::test]
async fn a_table_whose_key_schema_is_not_ours_fails_the_invocation() {
    // GIVEN a table keyed `id` (the configuration points at someone else's table)
    let client = dynamodb_client().await;
    let table = unique_table();
    client
        .create_table()
        .table_name(&table)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ctx = ctx(Arc::new(DynamoStore::new(client, table)));
    // WHEN a record arrives THEN the ValidationException is a fault: the record is redelivered
    let failure = intake::handle(&ctx, sns_event(&[("schema", text_body("wamid.SC", "x"))]))
        .await
        .expect_err("a key schema that is not ours must fail the invocation");
    assert!(
        matches!(failure.source, StoreError::Fault { .. }),
        "{:?}",
        failure.source
    );
    assert!(failure.to_string().contains("required keys"), "{failure}");
}

/// A store whose writes are denied (an IAM permission removed); reads are served by `inner`.
struct Denied;

impl Hooks for Denied {
    fn write(&self, method: &'static str, _: &[&str]) -> Result<(), StoreError> {
        Err(denied(method))
    }
}

fn denied(operation: &'static str) -> StoreError {
    StoreError::Fault {
        operation,
        source: "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/fn is not authorized to perform: dynamodb:PutItem".into(),
    }
}

#[tokio::test]
async fn access_denied_fails_the_record_instead_of_acknowledging_it() {
    let inner = embedded_store();
    let ctx = ctx(Arc::new(HookedStore::new(inner.clone(), Denied)));
    // SNS: the whole invocation fails, so Lambda retries and the DLQ keeps the event
    let failure = intake::handle(&ctx, sns_event(&[("denied", text_body("wamid.DN", "hi"))]))
        .await
        .expect_err("access denied must not be acknowledged as poison");
    assert!(matches!(failure.source, StoreError::Fault { .. }));
    // a poison record cannot even be audited: it is redelivered too, not silently dropped
    let failure = intake::handle(&ctx, sns_event(&[("denied-poison", "{not json".into())]))
        .await
        .expect_err("an audit write that is denied must fail the invocation");
    assert!(matches!(failure.source, StoreError::Fault { .. }));
    // SQS: each record is listed in batchItemFailures
    let sqs = json!({"Records": [
        {"messageId": "sqs-denied-1", "eventSource": "aws:sqs", "body": text_body("wamid.DN1", "a")},
        {"messageId": "sqs-denied-2", "eventSource": "aws:sqs", "body": "{not json"},
    ]});
    let answer = intake::handle(&ctx, sqs).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "sqs-denied-1"}, {"itemIdentifier": "sqs-denied-2"}]})
    );
    assert!(inner.get_message("wamid.DN").await.unwrap().is_none());
}

#[tokio::test]
async fn a_dynamodb_that_never_answers_fails_the_record_as_retryable() {
    // GIVEN a DynamoDB endpoint that accepts TCP connections and never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let shared = whatsapp_lambda::aws::shared_config().await;
    let config = whatsapp_lambda::aws::dynamodb(&shared)
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        "hanging",
    ));
    let ctx = ctx(store);
    // WHEN a record arrives THEN it fails as retryable (the client's own timeouts end the wait;
    // the outer guard only turns a missing bound into a failure instead of a hung suite)
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        intake::handle(
            &ctx,
            sns_event(&[("hang", text_body("wamid.HG", "hello?"))]),
        ),
    )
    .await
    .expect("no timeout is configured on the DynamoDB client: the request hung");
    let failure = result.expect_err("a hanging store must fail the invocation");
    assert!(failure.source.is_retryable(), "{:?}", failure.source);
    holder.abort();
}

// ------------------------------------------------------------------ poison keeps its payload

#[tokio::test]
async fn a_100_kb_poison_record_keeps_its_whole_payload() {
    for store in [
        embedded_store() as Arc<dyn Store>,
        dynamo_store().await as Arc<dyn Store>,
    ] {
        let ctx = ctx(store.clone());
        let body = format!("{{not json {}", "x".repeat(100 * 1024));
        let answer = intake::handle(&ctx, sns_event(&[("big-poison", body.clone())]))
            .await
            .unwrap();
        assert_eq!(answer["data"]["poison"], 1, "{answer}");
        let audit = store
            .get_item(&keys::webhook_audit("big-poison"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(audit["outcome"], "failed");
        assert_eq!(audit["payload"].as_str(), Some(body.as_str()), "kept whole");
        assert_eq!(audit["payloadBytes"], body.len());
        assert!(audit.get("payloadKey").is_none());
    }
}

#[tokio::test]
async fn a_partial_record_keeps_its_payload_and_a_processed_one_does_not() {
    let messages = json!([{"id": "wamid.NOFROM", "type": "text", "timestamp": "1"}, text_message("wamid.PARTOK", CUSTOMER, 2, "fine")]);
    let mut change = messages_change(CUSTOMER, messages, json!([]));
    change[0]["value"]["contacts"] = json!([]);
    let partial = envelope(change);
    let good = text_body("wamid.GOOD", "ok");
    // by default a processed record has no audit item; with AUDIT_PROCESSED_RECORDS it has one
    // without its body. A partial one is audited with its body either way.
    for audit_processed in [false, true] {
        let store = embedded_store();
        let ctx = ctx_inbound(store.clone(), |inbound| {
            inbound.audit_processed_records = audit_processed;
        });
        intake::handle(
            &ctx,
            sns_event(&[("partial", partial.clone()), ("good", good.clone())]),
        )
        .await
        .unwrap();
        let audit = store
            .get_item(&keys::webhook_audit("partial"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(audit["outcome"], "partial");
        assert_eq!(audit["payload"].as_str(), Some(partial.as_str()));
        let ok = store.get_item(&keys::webhook_audit("good")).await.unwrap();
        match ok {
            None => assert!(!audit_processed, "audited when asked"),
            Some(ok) => {
                assert!(audit_processed, "not audited unless asked: {ok}");
                assert_eq!(ok["outcome"], "processed");
                assert!(ok.get("payload").is_none(), "{ok}");
            }
        }
    }
}

async fn s3_media() -> (Arc<S3Media>, aws_sdk_s3::Client, String) {
    std::env::var("AWS_ENDPOINT_URL_S3").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL_S3 is not set: run the suite with `bash tests/run.sh`, which starts moto")
    });
    let shared = whatsapp_lambda::aws::shared_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(whatsapp_lambda::aws::s3(&shared).build());
    let bucket = unique_table().to_lowercase();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    (
        Arc::new(S3Media::new(s3.clone(), bucket.clone())),
        s3,
        bucket,
    )
}

#[tokio::test]
async fn a_500_kb_refused_record_is_kept_in_s3_and_replays_once_after_the_fix() {
    // GIVEN DynamoDB, S3 (moto), and a deployment that allows another WABA only
    let store = dynamo_store().await;
    let (media, s3, bucket) = s3_media().await;
    let strict = Settings {
        inbound: handlers::ctx::InboundSettings {
            allowed_waba_ids: vec!["999999999999999".into()],
            ..Default::default()
        },
        ..settings()
    };
    let mut body: Value =
        serde_json::from_str(&text_body("wamid.BIG", "hello from a big record")).unwrap();
    body["padding"] = json!("p".repeat(500 * 1024));
    let body = body.to_string();
    let refused = ctx_with(store.clone(), media.clone(), strict);
    // WHEN the 500 KB record arrives THEN it is refused as poison and acknowledged ...
    let answer = intake::handle(&refused, sns_event(&[("big-refused", body.clone())]))
        .await
        .unwrap();
    assert_eq!(answer["data"]["poison"], 1, "{answer}");
    // ... its audit item points at the whole body in S3
    let audit = store
        .get_item(&keys::webhook_audit("big-refused"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit["outcome"], "failed");
    assert!(audit.get("payload").is_none());
    let key = audit["payloadKey"].as_str().unwrap();
    assert_eq!(key, "webhook-payloads/big-refused.json");
    let object = s3
        .get_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let kept = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        kept.as_ref(),
        body.as_bytes(),
        "the whole body, byte for byte"
    );
    assert!(store.get_message("wamid.BIG").await.unwrap().is_none());

    // WHEN the operator allows the WABA and replays, first as a dry run
    let fixed = ctx_with(store.clone(), media.clone(), settings());
    let dry = action(
        &fixed,
        json!({"action": "replay_webhook_events", "deliveryIds": ["big-refused"], "dryRun": true}),
    )
    .await;
    assert_eq!(dry["data"]["records"][0]["result"], "would_replay", "{dry}");
    assert!(store.get_message("wamid.BIG").await.unwrap().is_none());
    let replay = action(
        &fixed,
        json!({"action": "replay_webhook_events", "deliveryIds": ["big-refused"]}),
    )
    .await;
    // THEN the message is stored, the audit item is processed and out of the failed list
    assert_eq!(
        replay["data"]["records"][0]["result"], "replayed",
        "{replay}"
    );
    assert_eq!(replay["data"]["replayed"], 1);
    let message = store.get_message("wamid.BIG").await.unwrap().unwrap();
    assert_eq!(message.text.as_deref(), Some("hello from a big record"));
    let audit = store
        .get_item(&keys::webhook_audit("big-refused"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit["outcome"], "processed");
    assert!(audit["replayedAt"].is_string());
    assert!(audit.get("itemTypePk").is_none(), "left the failed list");
    // AND replaying again changes nothing: the message is there once
    let again = action(
        &fixed,
        json!({"action": "replay_webhook_events", "deliveryIds": ["big-refused"]}),
    )
    .await;
    assert_eq!(again["data"]["records"][0]["result"], "already_processed");
    let conv = store
        .get_conversation(&keys::conversation(PHONE, CUSTOMER))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.unread_count, 1);
}

#[tokio::test]
async fn foreign_accounts_are_refused_as_poison_and_replay_by_time_range_after_the_fix() {
    for store in [
        embedded_store() as Arc<dyn Store>,
        dynamo_store().await as Arc<dyn Store>,
    ] {
        let media: Arc<dyn MediaStore> = Arc::new(MemoryMedia::default());
        let strict = Settings {
            inbound: handlers::ctx::InboundSettings {
                allowed_waba_ids: vec![WABA.into()],
                allowed_phone_number_ids: vec!["111111111111111".into()],
                ..Default::default()
            },
            ..settings()
        };
        let ctx = ctx_with(store.clone(), media.clone(), strict);
        // a WABA that is not allowed
        let foreign_waba = text_body("wamid.FW", "from elsewhere").replace(WABA, "888888888888888");
        let answer = intake::handle(
            &ctx,
            sns_event(&[
                ("foreign-waba", foreign_waba),
                ("foreign-phone", text_body("wamid.FP", "other phone")),
            ]),
        )
        .await
        .expect("refused records are acknowledged, not retried");
        assert_eq!(answer["data"]["poison"], 2, "{answer}");
        assert_eq!(answer["data"]["messages"], 0);
        let audit = store
            .get_item(&keys::webhook_audit("foreign-waba"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(audit["outcome"], "failed");
        assert!(
            audit["error"]
                .as_str()
                .unwrap()
                .contains("WABA 888888888888888 is not in ALLOWED_WABA_IDS"),
            "{audit}"
        );
        let audit = store
            .get_item(&keys::webhook_audit("foreign-phone"))
            .await
            .unwrap()
            .unwrap();
        assert!(
            audit["error"].as_str().unwrap().contains(&format!(
                "business phone {PHONE} is not in ALLOWED_PHONE_NUMBER_IDS"
            )),
            "{audit}"
        );
        assert!(store.get_message("wamid.FP").await.unwrap().is_none());
        let failed = store
            .list_by_item_type(keys::item_type::FAILED_WEBHOOK_EVENT, &failed_page())
            .await
            .unwrap();
        assert_eq!(failed.items.len(), 2);

        // the phone is allowed now: a time-range replay picks up what the list holds; the
        // foreign WABA is still refused
        let fixed = Settings {
            inbound: handlers::ctx::InboundSettings {
                allowed_waba_ids: vec![WABA.into()],
                allowed_phone_number_ids: vec![PHONE.into()],
                ..Default::default()
            },
            ..settings()
        };
        let fixed = ctx_with(store.clone(), media.clone(), fixed);
        let none = action(
            &fixed,
            json!({"action": "replay_webhook_events", "until": "2020-01-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(none["data"]["count"], 0, "{none}");
        let replay = action(
            &fixed,
            json!({"action": "replay_webhook_events", "since": "2020-01-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(replay["data"]["count"], 2, "{replay}");
        let mut results: Vec<(String, String)> = replay["data"]["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["deliveryId"].as_str().unwrap().to_string(),
                    r["result"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        results.sort();
        assert_eq!(
            results,
            [
                ("foreign-phone".to_string(), "replayed".to_string()),
                ("foreign-waba".to_string(), "still_failed".to_string())
            ]
        );
        assert_eq!(
            store
                .get_message("wamid.FP")
                .await
                .unwrap()
                .unwrap()
                .text
                .as_deref(),
            Some("other phone")
        );
        let failed = store
            .list_by_item_type(keys::item_type::FAILED_WEBHOOK_EVENT, &failed_page())
            .await
            .unwrap();
        assert_eq!(
            failed.items.len(),
            1,
            "only the foreign WABA is still failed"
        );
        // a second replay of the whole list: the processed one is not picked again, nothing doubles
        let again = action(&fixed, json!({"action": "replay_webhook_events"})).await;
        assert_eq!(again["data"]["count"], 1, "{again}");
        assert_eq!(again["data"]["records"][0]["result"], "still_failed");
        let conv = store
            .get_conversation(&keys::conversation(PHONE, CUSTOMER))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conv.unread_count, 1);
    }
}

// ------------------------------------------------------------------ media on redelivery

#[tokio::test]
async fn a_redelivery_copies_media_that_was_never_copied() {
    let store = embedded_store();
    let media: Arc<dyn MediaStore> = Arc::new(MemoryMedia::default());
    let event = load("events/inbound/image.json");
    // GIVEN the first delivery stored the message but its copy never happened (a crash right
    // after the message was written behaves like a run without the copy)
    let crashed = ctx_with(
        store.clone(),
        media.clone(),
        Settings {
            auto_download_media: false,
            ..settings()
        },
    );
    let first = intake::handle(&crashed, event.clone()).await.unwrap();
    let wamid = first["data"]["reports"][0]["messageIds"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        store
            .get_message(&wamid)
            .await
            .unwrap()
            .unwrap()
            .media
            .unwrap()
            .s3_key
            .is_none()
    );
    // WHEN the record is delivered again
    let live = ctx_with(store.clone(), media.clone(), settings());
    let second = intake::handle(&live, event.clone()).await.unwrap();
    // THEN it is a duplicate, and its media is copied now
    let counts = &second["data"]["reports"][0]["counts"];
    assert_eq!(
        (
            counts["duplicates"].as_u64(),
            counts["mediaFetched"].as_u64()
        ),
        (Some(1), Some(1)),
        "{second}"
    );
    let stored = store.get_message(&wamid).await.unwrap().unwrap();
    let key = stored.media.unwrap().s3_key.expect("copied on redelivery");
    assert!(media.head(&key).await.unwrap().is_some());
    // AND a further redelivery copies nothing again
    let third = intake::handle(&live, event).await.unwrap();
    assert_eq!(third["data"]["reports"][0]["counts"]["mediaFetched"], 0);
}

#[tokio::test]
async fn a_message_dynamodb_refuses_for_its_size_is_poison_and_its_record_is_kept_whole() {
    // GIVEN a record whose second message is too large for a DynamoDB item (a type this version
    // does not model keeps its whole object in `raw`)
    let store = dynamo_store().await;
    let media = Arc::new(MemoryMedia::default());
    let ctx = ctx_with(store.clone(), media.clone(), settings());
    let huge = json!({"from": CUSTOMER, "id": "wamid.HUGE", "timestamp": "1763632801", "type": "future_thing",
                      "future_thing": {"blob": "z".repeat(420 * 1024)}});
    let body = envelope(messages_change(
        CUSTOMER,
        json!([
            text_message("wamid.SMALL", CUSTOMER, 1_763_632_800, "fits"),
            huge
        ]),
        json!([]),
    ));
    // WHEN it arrives THEN the refusal is the payload's (partial, acknowledged), the neighbour lands
    let answer = intake::handle(&ctx, sns_event(&[("too-big", body.clone())]))
        .await
        .expect("an item too large is poison, not a fault");
    let report = &answer["data"]["reports"][0];
    assert_eq!(report["outcome"], "partial", "{answer}");
    assert_eq!(report["counts"]["poison"], 1);
    assert!(
        report["errors"][0].as_str().unwrap().contains("Item size"),
        "{report}"
    );
    assert!(store.get_message("wamid.SMALL").await.unwrap().is_some());
    // AND the whole body (over 350 KB) is kept in the media store for a replay
    let audit = store
        .get_item(&keys::webhook_audit("too-big"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit["payloadKey"], "webhook-payloads/too-big.json");
    assert_eq!(
        media.bytes("webhook-payloads/too-big.json").unwrap(),
        body.into_bytes()
    );
}

#[tokio::test]
async fn a_big_poison_record_whose_bucket_is_missing_fails_the_record_as_a_fault() {
    // GIVEN a media bucket that does not exist (a deployment mistake, not the payload's)
    let (_, s3, _) = s3_media().await;
    let missing = Arc::new(S3Media::new(
        s3,
        format!("{}-gone", unique_table().to_lowercase()),
    ));
    let ctx = ctx_with(embedded_store(), missing, settings());
    // WHEN a 500 KB poison record arrives (its body must go to the bucket to be kept)
    let body = format!(
        "{{\"not\": \"an EUM event\", \"padding\": \"{}\"}}",
        "p".repeat(500 * 1024)
    );
    let failure = intake::handle(&ctx, sns_event(&[("big-no-bucket", body)]))
        .await
        .expect_err("a body that cannot be kept must not be acknowledged");
    // THEN the invocation fails as a fault of the deployment, so the record is redelivered
    assert!(
        matches!(failure.source, StoreError::Fault { .. }),
        "{:?}",
        failure.source
    );
}
