//! Sends never go out twice: the idempotency key, its intent item and its reconciliation from
//! status webhooks, against the EUM Social stand-in, on both stores.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use handlers::model::{MessageStatus, SendIntentItem, SendState};
use handlers::store::{PageRequest, Store, StoreError, get_item_as};
use handlers::{Ctx, keys};
use serde_json::{Value, json};
use whatsapp_lambda::eum::EumSender;
use whatsapp_lambda::intake;

use crate::helpers::*;
use crate::standin::{self, StandIn};

/// Fails the next `record_message` calls, and the next overwrites of `SEND#` items, as
/// unavailable (as a throttled or unreachable DynamoDB would).
#[derive(Default)]
struct Flaky {
    fail_record_message: AtomicU32,
    fail_put_intent: AtomicU32,
}

impl Hooks for Flaky {
    fn write(&self, method: &'static str, pks: &[&str]) -> Result<(), StoreError> {
        match method {
            "record_message" if take(&self.fail_record_message) => {
                Err(unavailable("TransactWriteItems"))
            }
            "put_record"
                if pks.iter().any(|pk| pk.starts_with("SEND#")) && take(&self.fail_put_intent) =>
            {
                Err(unavailable("PutItem"))
            }
            _ => Ok(()),
        }
    }
}

type FlakyStore = HookedStore<Flaky>;

fn unavailable(operation: &'static str) -> StoreError {
    StoreError::Unavailable {
        operation,
        source: "injected fault".into(),
    }
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

struct Rig {
    standin: StandIn,
    ctx: Ctx,
    store: Arc<FlakyStore>,
}

impl Rig {
    async fn new(inner: Arc<dyn Store>) -> Rig {
        let standin = StandIn::start(None).await;
        let sender = Arc::new(EumSender::new(standin.client(1).await, "v24.0", None));
        seed_template(inner.as_ref(), "hello_world", "en_US", 0).await;
        let store = Arc::new(FlakyStore::new(inner, Flaky::default()));
        let media = Arc::new(handlers::sandbox::MemoryMedia::default());
        let ctx = Ctx::with(store.clone(), sender, media, settings());
        Rig {
            standin,
            ctx,
            store,
        }
    }

    async fn run(&self, request: Value) -> Value {
        intake::handle(&self.ctx, request).await.unwrap()
    }

    /// `SendWhatsAppMessage` requests the stand-in received.
    fn sends(&self) -> usize {
        self.standin
            .seen()
            .iter()
            .filter(|s| s.path == "/v1/whatsapp/send")
            .count()
    }

    async fn intent(&self, intent_id: &str) -> SendIntentItem {
        get_item_as(self.store.as_ref(), &keys::send_intent(intent_id))
            .await
            .unwrap()
            .expect("intent stored")
    }
}

/// Both stores, each behind the fault-injecting wrapper.
async fn rigs() -> Vec<(&'static str, Rig)> {
    vec![
        ("embedded", Rig::new(embedded_store()).await),
        ("dynamodb", Rig::new(dynamo_store().await).await),
    ]
}

fn text(key: Option<&str>, body: &str) -> Value {
    let mut request = json!({"action": "send_text", "to": CUSTOMER, "text": body, "force": true,
        "bizOpaqueCallbackData": "order-1234"});
    if let Some(key) = key {
        request["idempotencyKey"] = json!(key);
    }
    request
}

/// A status webhook for `wamid` that echoes `callback` as Meta does.
fn status_with_callback(sns_id: &str, wamid: &str, value: &str, callback: &str) -> Value {
    let mut s = status(wamid, value, now_secs());
    s["biz_opaque_callback_data"] = json!(callback);
    sns_event(&[(
        sns_id,
        envelope(messages_change(CUSTOMER, json!([]), json!([s]))),
    )])
}

/// (1) EUM accepted the message but storing it failed: the caller's retry does not send again,
/// and the status webhook carrying the key records the message and completes the intent.
#[tokio::test]
async fn a_send_whose_record_failed_is_not_sent_again_and_its_status_completes_it() {
    for (name, rig) in rigs().await {
        // GIVEN a store that fails the first write of the sent message
        rig.store
            .hooks
            .fail_record_message
            .store(1, Ordering::SeqCst);
        let first = rig.run(text(Some("k-1"), "Your order shipped")).await;
        // THEN the caller learns the message went out, under which wamid
        assert_eq!(first["statusCode"], 503, "{name}: {first}");
        let sent = rig.standin.last().message();
        let callback = sent["biz_opaque_callback_data"]
            .as_str()
            .unwrap()
            .to_string();
        let wamid = "wamid.STANDIN0001";
        assert!(
            first["error"].as_str().unwrap().contains(wamid),
            "{name}: {first}"
        );
        assert!(rig.store.get_message(wamid).await.unwrap().is_none());
        // WHEN its status arrives (Meta echoes the tag)
        let answer = rig
            .run(status_with_callback("st-1", wamid, "sent", &callback))
            .await;
        assert_eq!(answer["data"]["statuses"], 1, "{name}: {answer}");
        // THEN the message is recorded as the send would have, the caller's data without the tag
        let stored = rig.store.get_message(wamid).await.unwrap().unwrap();
        assert_eq!(stored.kind.as_deref(), Some("text"), "{name}");
        assert_eq!(stored.text.as_deref(), Some("Your order shipped"), "{name}");
        assert_eq!(stored.status, MessageStatus::Sent, "{name}");
        assert_eq!(
            stored.biz_opaque_callback_data.as_deref(),
            Some("order-1234"),
            "{name}"
        );
        let conv = rig
            .store
            .get_conversation(stored.conversation_pk.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conv.last_message_id.as_deref(), Some(wamid), "{name}");
        let intent = rig.intent("k-1").await;
        assert_eq!(
            (
                intent.state,
                intent.recorded,
                intent.wa_message_id.as_deref()
            ),
            (SendState::Sent, true, Some(wamid)),
            "{name}"
        );
        // AND the caller's retry answers the first send and sends nothing
        let retry = rig.run(text(Some("k-1"), "Your order shipped")).await;
        assert_eq!(retry["statusCode"], 200, "{name}: {retry}");
        assert_eq!(retry["data"]["waMessageId"], wamid, "{name}");
        assert_eq!(retry["data"]["replayed"], true, "{name}");
        assert_eq!(rig.sends(), 1, "{name}: sent once");
    }
}

/// (1b) The store failed the message AND the intent's completion: the intent stays pending, a
/// retry answers 409 without sending, and the status webhook completes it.
#[tokio::test]
async fn a_pending_send_answers_409_until_its_status_completes_it() {
    for (name, rig) in rigs().await {
        rig.store
            .hooks
            .fail_record_message
            .store(1, Ordering::SeqCst);
        rig.store.hooks.fail_put_intent.store(1, Ordering::SeqCst);
        let first = rig.run(text(Some("k-2"), "hello")).await;
        assert_eq!(first["statusCode"], 503, "{name}: {first}");
        let callback = rig.standin.last().message()["biz_opaque_callback_data"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(rig.intent("k-2").await.state, SendState::Pending, "{name}");
        // operators find it on gsi-itemType
        let pending = rig
            .store
            .list_by_item_type(
                keys::item_type::PENDING_SEND,
                &PageRequest {
                    limit: 10,
                    cursor: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(pending.items.len(), 1, "{name}");
        assert_eq!(pending.items[0]["pk"], "SEND#k-2", "{name}");
        let retry = rig.run(text(Some("k-2"), "hello")).await;
        assert_eq!(retry["statusCode"], 409, "{name}: {retry}");
        assert!(
            retry["error"].as_str().unwrap().contains("pending"),
            "{name}: {retry}"
        );
        assert_eq!(rig.sends(), 1, "{name}");
        rig.run(status_with_callback(
            "st-2",
            "wamid.STANDIN0001",
            "delivered",
            &callback,
        ))
        .await;
        let intent = rig.intent("k-2").await;
        assert_eq!(
            (intent.state, intent.wa_message_id.as_deref()),
            (SendState::Sent, Some("wamid.STANDIN0001")),
            "{name}"
        );
        assert_eq!(intent.item_type_pk, None, "{name}");
        let stored = rig
            .store
            .get_message("wamid.STANDIN0001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.kind.as_deref(), stored.status.clone()),
            (Some("text"), MessageStatus::Delivered),
            "{name}"
        );
        let retry = rig.run(text(Some("k-2"), "hello")).await;
        assert_eq!(retry["statusCode"], 200, "{name}: {retry}");
        assert_eq!(retry["data"]["waMessageId"], "wamid.STANDIN0001", "{name}");
        assert_eq!(rig.sends(), 1, "{name}");
    }
}

/// (2) The same key twice: one EUM request, the same wamid. Without a key, an identical request
/// right after the first is a retry too; another key is another message.
#[tokio::test]
async fn the_same_key_twice_sends_once() {
    for (name, rig) in rigs().await {
        let first = rig.run(text(Some("k-3"), "ok")).await;
        let second = rig.run(text(Some("k-3"), "ok")).await;
        assert_eq!(
            (first["statusCode"].as_u64(), second["statusCode"].as_u64()),
            (Some(200), Some(200)),
            "{name}: {first} {second}"
        );
        assert_eq!(
            first["data"]["waMessageId"], second["data"]["waMessageId"],
            "{name}"
        );
        assert_eq!(
            (&first["data"]["replayed"], &second["data"]["replayed"]),
            (&json!(false), &json!(true)),
            "{name}"
        );
        assert_eq!(
            first["data"]["message"], second["data"]["message"],
            "{name}"
        );
        assert_eq!(rig.sends(), 1, "{name}");
        // a new key is a new message, deliberately the same text
        let third = rig.run(text(Some("k-4"), "ok")).await;
        assert_eq!(third["statusCode"], 200, "{name}: {third}");
        assert_ne!(
            third["data"]["waMessageId"], first["data"]["waMessageId"],
            "{name}"
        );
        assert_eq!(rig.sends(), 2, "{name}");
        // without a key: an immediate repeat is a retry (derived key, 30-second window)
        let a = rig.run(text(None, "no key")).await;
        let b = rig.run(text(None, "no key")).await;
        assert_eq!(a["data"]["waMessageId"], b["data"]["waMessageId"], "{name}");
        assert!(
            a["data"]["idempotencyKey"]
                .as_str()
                .unwrap()
                .starts_with("auto:"),
            "{name}: {a}"
        );
        assert_eq!(rig.sends(), 3, "{name}");
    }
}

/// (3) The same key with a different request: 422 naming the key, nothing sent.
#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    for (name, rig) in rigs().await {
        assert_eq!(
            rig.run(text(Some("k-5"), "first")).await["statusCode"],
            200,
            "{name}"
        );
        for other in [
            text(Some("k-5"), "second"),
            json!({"action": "send_text", "to": "16505550000", "text": "first", "force": true,
                "bizOpaqueCallbackData": "order-1234", "idempotencyKey": "k-5"}),
            json!({"action": "send_template", "to": CUSTOMER, "name": "hello_world",
                "idempotencyKey": "k-5"}),
        ] {
            let answer = rig.run(other.clone()).await;
            assert_eq!(answer["statusCode"], 422, "{name}: {other} → {answer}");
            let error = answer["error"].as_str().unwrap();
            assert!(
                error.contains("idempotencyKey `k-5`") && error.contains("different request"),
                "{name}: {error}"
            );
        }
        assert_eq!(rig.sends(), 1, "{name}");
    }
}

/// (4) Concurrent sends with one key: one EUM request; every other answer is the same wamid or
/// a 409 (in flight).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_with_one_key_send_once() {
    for (name, rig) in rigs().await {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let ctx = rig.ctx.clone();
            tasks.spawn(async move {
                intake::handle(&ctx, text(Some("k-6"), "race"))
                    .await
                    .unwrap()
            });
        }
        let answers = tasks.join_all().await;
        assert_eq!(rig.sends(), 1, "{name}: {answers:?}");
        let ids: Vec<&Value> = answers
            .iter()
            .filter(|a| a["statusCode"] == 200)
            .map(|a| &a["data"]["waMessageId"])
            .collect();
        assert!(!ids.is_empty(), "{name}: {answers:?}");
        assert!(
            ids.iter().all(|id| *id == "wamid.STANDIN0001"),
            "{name}: {ids:?}"
        );
        assert!(
            answers
                .iter()
                .all(|a| a["statusCode"] == 200 || a["statusCode"] == 409),
            "{name}: {answers:?}"
        );
    }
}

/// (5) A field that cannot be stored is refused before anything is sent (or uploaded).
#[tokio::test]
async fn fields_too_large_to_store_are_refused_before_sending() {
    for (name, rig) in rigs().await {
        let huge = "x".repeat(400_000);
        let cases = [
            (
                json!({"phoneNumberId": "1".repeat(65)}),
                "invalid parameter `phoneNumberId`",
            ),
            (
                json!({"originationPhoneNumberId": "o".repeat(257)}),
                "invalid parameter `originationPhoneNumberId`",
            ),
            (
                json!({"to": null, "recipient": format!("US.{}", "1".repeat(200))}),
                "invalid parameter `recipient`",
            ),
            (
                json!({"replyTo": format!("wamid.{}", "A".repeat(300))}),
                "invalid parameter `replyTo`",
            ),
            (
                json!({"bizOpaqueCallbackData": "d".repeat(361)}),
                "invalid parameter `bizOpaqueCallbackData`",
            ),
            (
                json!({"idempotencyKey": "k".repeat(129)}),
                "invalid parameter `idempotencyKey`",
            ),
            (
                json!({"idempotencyKey": "has space"}),
                "invalid parameter `idempotencyKey`",
            ),
            (
                json!({"action": "send_contacts", "text": null,
                    "contacts": [{"name": {"formatted_name": huge}}]}),
                "invalid parameter `contacts`",
            ),
            (
                json!({"action": "send_image", "text": null, "s3Key": "uploads/a.png",
                    "replyTo": "r".repeat(257)}),
                "invalid parameter `replyTo`",
            ),
        ];
        for (extra, expected) in cases {
            let mut request =
                json!({"action": "send_text", "to": CUSTOMER, "text": "hi", "force": true});
            for (k, v) in extra.as_object().unwrap() {
                if v.is_null() {
                    request.as_object_mut().unwrap().remove(k);
                } else {
                    request[k] = v.clone();
                }
            }
            let answer = rig.run(request).await;
            assert_eq!(answer["statusCode"], 400, "{name}: {expected}: {answer}");
            let error = answer["error"].as_str().unwrap();
            assert!(error.starts_with(expected), "{name}: {error}");
        }
        assert!(
            rig.standin.seen().is_empty(),
            "{name}: nothing reached EUM Social"
        );
    }
}

/// A send EUM Social refused never reached the customer: a retry with the same key sends it
/// (attempt 2), and the key then replays that send.
#[tokio::test]
async fn a_refused_send_may_be_retried_with_its_key() {
    for (name, rig) in rigs().await {
        rig.standin.fail_next(&[standin::INVALID]);
        let refused = rig.run(text(Some("k-7"), "try")).await;
        assert_eq!(refused["statusCode"], 400, "{name}: {refused}");
        let failed = rig.intent("k-7").await;
        assert_eq!(failed.state, SendState::Failed, "{name}");
        assert!(
            failed
                .error
                .as_deref()
                .unwrap()
                .contains("Invalid parameter"),
            "{name}"
        );
        let retried = rig.run(text(Some("k-7"), "try")).await;
        assert_eq!(retried["statusCode"], 200, "{name}: {retried}");
        assert_eq!(retried["data"]["replayed"], false, "{name}");
        let again = rig.run(text(Some("k-7"), "try")).await;
        assert_eq!(
            again["data"]["waMessageId"], retried["data"]["waMessageId"],
            "{name}"
        );
        assert_eq!(rig.sends(), 2, "{name}");
        let second = rig.intent("k-7#2").await;
        assert_eq!(
            (second.attempt, second.state),
            (2, SendState::Sent),
            "{name}"
        );
        // the retry carried its own attempt's tag
        assert!(
            rig.standin.last().message()["biz_opaque_callback_data"]
                .as_str()
                .unwrap()
                .starts_with("wl1:5:k-7#2"),
            "{name}"
        );
    }
}

/// A retry is answered from its key before the 24-hour window is checked again: `force` is not
/// part of the request's fingerprint, and a sent message stays sent.
#[tokio::test]
async fn a_retry_is_answered_even_when_the_window_is_closed() {
    for (name, rig) in rigs().await {
        // the customer never wrote: only `force` sends
        let forced = rig.run(text(Some("k-8"), "forced")).await;
        assert_eq!(forced["statusCode"], 200, "{name}: {forced}");
        let mut retry = text(Some("k-8"), "forced");
        retry.as_object_mut().unwrap().remove("force");
        let answer = rig.run(retry).await;
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
        assert_eq!(
            answer["data"]["waMessageId"], forced["data"]["waMessageId"],
            "{name}"
        );
        // an unknown key still meets the window
        let mut new = text(Some("k-9"), "forced");
        new.as_object_mut().unwrap().remove("force");
        assert_eq!(rig.run(new).await["statusCode"], 400, "{name}");
        assert_eq!(rig.sends(), 1, "{name}");
    }
}

/// A status whose callback data is not ours is stored as today.
#[tokio::test]
async fn statuses_without_our_tag_are_unchanged() {
    let rig = Rig::new(embedded_store()).await;
    rig.run(status_with_callback(
        "st-x",
        "wamid.ELSEWHERE",
        "delivered",
        "their-own-data",
    ))
    .await;
    let stored = rig
        .store
        .get_message("wamid.ELSEWHERE")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.biz_opaque_callback_data.as_deref(),
        Some("their-own-data")
    );
    assert_eq!(stored.kind, None);
}
