//! Direct Meta webhooks through API Gateway events (`events/webhooks/`, signed by
//! `events/webhooks/make.py` with `example-app-secret`): the handshake, the signature checks,
//! the replay window, WhatsApp entries stored exactly as through SNS, and every kind of
//! Instagram and Messenger event.

use std::sync::Arc;

use handlers::model::{Direction, MessageItem};
use handlers::webhooks::{MetaWebhookKeys, sign};
use handlers::{Ctx, Settings, Store};
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

pub const SECRET: &str = "example-app-secret";
pub const TOKEN: &str = "example-verify-token";
pub const IG: &str = "17841400000000001";
pub const IGSID: &str = "5301234567890123";
pub const PAGE: &str = "109876543210987";
pub const PSID: &str = "7301234567890123";
const IG_MID: &str = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTk5";
const FB_MID: &str =
    "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P";

/// The order `make.py` writes them in (a conversation's events in the order Meta sends them).
const ORDER: &[&str] = &[
    "meta-handshake",
    "meta-whatsapp-text",
    "meta-whatsapp-status-rest-v1-base64",
    "instagram-text",
    "instagram-image",
    "instagram-share",
    "instagram-story-mention",
    "instagram-story-reply",
    "instagram-reply",
    "instagram-quick-reply",
    "instagram-postback",
    "instagram-reaction",
    "instagram-unreaction",
    "instagram-echo",
    "instagram-seen",
    "instagram-deleted",
    "messenger-text",
    "messenger-attachments",
    "messenger-quick-reply",
    "messenger-postback",
    "messenger-reaction",
    "messenger-echo",
    "messenger-delivery",
    "messenger-read",
];

pub fn keys(secrets: &[&str], window: Option<u64>) -> MetaWebhookKeys {
    MetaWebhookKeys {
        verify_token: Some(TOKEN.into()),
        app_secrets: secrets.iter().map(|s| s.to_string()).collect(),
        replay_window_secs: window,
    }
}

pub fn webhook_ctx(store: Arc<dyn Store>, keys: MetaWebhookKeys) -> Ctx {
    Ctx::new(
        store,
        Settings {
            meta_webhooks: keys,
            ..settings()
        },
    )
}

/// An HTTP API (v2) POST to /webhooks/meta with `body` and, when given, its signature.
pub fn post(body: &str, signature: Option<&str>) -> Value {
    let mut event = load("events/webhooks/meta-whatsapp-text.json");
    event["body"] = json!(body);
    match signature {
        Some(s) => event["headers"]["x-hub-signature-256"] = json!(s),
        None => {
            event["headers"]
                .as_object_mut()
                .unwrap()
                .remove("x-hub-signature-256");
        }
    }
    event
}

async fn handle(ctx: &Ctx, event: Value) -> Value {
    intake::handle(ctx, event).await.unwrap()
}

fn body(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
}

async fn message(store: &dyn Store, id: &str) -> MessageItem {
    store
        .get_message(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{id} is stored"))
}

async fn every_event_is_stored(store: Arc<dyn Store>) {
    let ctx = webhook_ctx(store.clone(), keys(&[SECRET], None));
    // each event twice: a redelivery stores nothing more
    for round in 0..2 {
        for name in ORDER {
            let answer = handle(&ctx, load(&format!("events/webhooks/{name}.json"))).await;
            assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
            if *name == "meta-handshake" {
                assert_eq!(answer["body"], "1158201444");
                let content_type = answer["headers"]["content-type"].as_str().unwrap();
                assert!(content_type.starts_with("text/plain"), "{content_type}");
                continue;
            }
            let data = &body(&answer)["data"];
            for report in data["reports"].as_array().unwrap() {
                assert_eq!(report["counts"]["poison"], 0, "{name}: {report}");
                if round == 1 {
                    assert_eq!(report["counts"]["messages"], 0, "{name} again: {report}");
                }
            }
        }
    }
    let s = store.as_ref();
    // WhatsApp: the conversation and the status, no channel
    let wa = s
        .get_conversation(&format!("CONV#{PHONE}#{CUSTOMER}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(wa.channel, None);
    assert_eq!(
        wa.last_message_preview.as_deref(),
        Some("Olá! Is my order on its way? 📦")
    );
    // Instagram
    let ig = s
        .get_conversation(&format!("CONV#{IG}#{IGSID}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ig.channel.as_deref(), Some("instagram"));
    assert_eq!(ig.inbox_pk, IG);
    assert_eq!(ig.last_message_id.as_deref(), Some(&*format!("{IG_MID}11")));
    assert_eq!(ig.last_message_direction, Some(Direction::Outbound));
    let text = message(s, &format!("{IG_MID}01")).await;
    assert_eq!(
        (
            text.kind.as_deref(),
            text.text.as_deref(),
            text.channel.as_deref()
        ),
        (
            Some("text"),
            Some("Do you ship to Lisbon? 🇵🇹"),
            Some("instagram")
        )
    );
    assert_eq!(text.direction, Direction::Inbound);
    assert_eq!(text.from.as_deref(), Some(IGSID));
    assert_eq!(text.received_at, "2026-11-20T10:00:00Z");
    // reacted, then unreacted: the person's entry stays, without an emoji
    let reaction = text.reactions.get(IGSID).expect("a reaction entry");
    assert_eq!(reaction.emoji, None, "{:?}", text.reactions);
    let image = message(s, &format!("{IG_MID}02")).await;
    assert_eq!(image.kind.as_deref(), Some("image"));
    assert_eq!(image.attachments.as_ref().unwrap()[0]["type"], "image");
    let mention = message(s, &format!("{IG_MID}04")).await;
    assert_eq!(mention.kind.as_deref(), Some("story_mention"));
    assert_eq!(mention.story.as_ref().unwrap()["mention"], true);
    let story = message(s, &format!("{IG_MID}05")).await;
    assert_eq!(story.kind.as_deref(), Some("story_reply"));
    assert_eq!(story.story.as_ref().unwrap()["id"], "18012345678901234");
    let reply = message(s, &format!("{IG_MID}06")).await;
    assert_eq!(
        reply.context.as_ref().unwrap().id.as_deref(),
        Some(&*format!("{IG_MID}01"))
    );
    let quick = message(s, &format!("{IG_MID}07")).await;
    assert_eq!(quick.kind.as_deref(), Some("quick_reply"));
    assert_eq!(
        quick.button.as_ref().unwrap().payload.as_deref(),
        Some("TRACK_ORDER")
    );
    let postback = message(s, &format!("{IG_MID}08")).await;
    assert_eq!(postback.kind.as_deref(), Some("postback"));
    assert_eq!(postback.text.as_deref(), Some("Talk to a human"));
    let echo = message(s, &format!("{IG_MID}11")).await;
    assert_eq!(echo.direction, Direction::Outbound);
    assert_eq!(echo.to.as_deref(), Some(IGSID));
    assert_eq!(echo.status.as_str(), "read", "seen moved it forward");
    let deleted = message(s, &format!("{IG_MID}03")).await;
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.deleted_by, Some(Direction::Inbound));
    // Messenger
    let fb = s
        .get_conversation(&format!("CONV#{PAGE}#{PSID}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fb.channel.as_deref(), Some("messenger"));
    let files = message(s, &format!("{FB_MID}02")).await;
    assert_eq!(files.kind.as_deref(), Some("file"));
    assert_eq!(
        files
            .attachments
            .as_ref()
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let liked = message(s, &format!("{FB_MID}01")).await;
    assert_eq!(liked.reactions[PSID].emoji.as_deref(), Some("👍"));
    let postback = message(s, &format!("{FB_MID}04")).await;
    assert_eq!(
        postback.button.as_ref().unwrap().payload.as_deref(),
        Some("GET_STARTED")
    );
    let sent = message(s, &format!("{FB_MID}06")).await;
    assert_eq!(sent.direction, Direction::Outbound);
    assert!(sent.delivered_at.is_some());
    assert_eq!(sent.status.as_str(), "read", "the read watermark covers it");

    // get_conversations: the channel filter, existing behaviour unchanged
    let list = |phone: &str, channel: Option<&str>| {
        let mut request = json!({"action": "get_conversations", "phoneNumberId": phone});
        if let Some(c) = channel {
            request["channel"] = json!(c);
        }
        request
    };
    let count = |answer: Value| answer["data"]["count"].as_u64().unwrap();
    assert_eq!(count(handle(&ctx, list(IG, None)).await), 1);
    assert_eq!(count(handle(&ctx, list(IG, Some("instagram"))).await), 1);
    assert_eq!(count(handle(&ctx, list(IG, Some("whatsapp"))).await), 0);
    assert_eq!(count(handle(&ctx, list(PHONE, Some("whatsapp"))).await), 1);
    assert_eq!(count(handle(&ctx, list(PAGE, Some("messenger"))).await), 1);
    let bad = handle(&ctx, list(PAGE, Some("telegram"))).await;
    assert_eq!(bad["statusCode"], 400, "{bad}");
}

#[tokio::test]
async fn every_webhook_event_is_stored_on_the_embedded_store() {
    every_event_is_stored(embedded_store()).await;
}

#[tokio::test]
async fn every_webhook_event_is_stored_on_dynamodb() {
    every_event_is_stored(dynamo_store().await).await;
}

fn whatsapp_body(wamid: &str, timestamp: i64) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "changes": messages_change(CUSTOMER, json!([text_message(wamid, CUSTOMER, timestamp, "Olá 👋")]), json!([]))}]
    })
    .to_string()
}

#[tokio::test]
async fn refused_requests_store_nothing() {
    let store = embedded_store();
    let ctx = webhook_ctx(store.clone(), keys(&[SECRET], None));
    let raw = whatsapp_body("wamid.REFUSED", now_secs());
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&raw).unwrap()).unwrap();
    for (what, event) in [
        ("missing", post(&raw, None)),
        (
            "wrong",
            post(&raw, Some(&sign("not-the-secret", raw.as_bytes()))),
        ),
        (
            "re-serialised",
            post(&pretty, Some(&sign(SECRET, raw.as_bytes()))),
        ),
        ("malformed", post(&raw, Some("sha256=abc"))),
    ] {
        let answer = handle(&ctx, event).await;
        assert_eq!(answer["statusCode"], 401, "{what}: {answer}");
    }
    assert!(store.get_message("wamid.REFUSED").await.unwrap().is_none());
    // the header name in any case
    let mut event = post(&raw, None);
    event["headers"]["X-Hub-Signature-256"] = json!(sign(SECRET, raw.as_bytes()));
    assert_eq!(handle(&ctx, event).await["statusCode"], 200);
    assert!(store.get_message("wamid.REFUSED").await.unwrap().is_some());
    // the handshake with a wrong token
    let mut get = load("events/webhooks/meta-handshake.json");
    get["queryStringParameters"]["hub.verify_token"] = json!("guess");
    get["rawQueryString"] =
        json!("hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444");
    assert_eq!(handle(&ctx, get).await["statusCode"], 403);
}

#[tokio::test]
async fn secrets_rotate_and_the_replay_window_refuses_old_bodies() {
    let store = embedded_store();
    let ctx = webhook_ctx(store.clone(), keys(&["new-secret", SECRET], Some(300)));
    let fresh = whatsapp_body("wamid.FRESH1", now_secs());
    for secret in ["new-secret", SECRET] {
        let answer = handle(&ctx, post(&fresh, Some(&sign(secret, fresh.as_bytes())))).await;
        assert_eq!(answer["statusCode"], 200, "{secret}: {answer}");
    }
    let old = whatsapp_body("wamid.OLD1", now_secs() - 3600);
    let answer = handle(&ctx, post(&old, Some(&sign(SECRET, old.as_bytes())))).await;
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert!(
        body(&answer)["error"]
            .as_str()
            .unwrap()
            .contains("replay window")
    );
    assert!(store.get_message("wamid.OLD1").await.unwrap().is_none());
}

/// What a stored item says, without the processing times (and when each route learned of the
/// message: EUM's receipt via SNS, the processing time via Meta's webhook).
fn content(mut item: Value) -> Value {
    for key in [
        "createdAt",
        "updatedAt",
        "arrivedAt",
        "lastMessageArrivedAt",
    ] {
        item.as_object_mut().unwrap().remove(key);
    }
    item
}

#[tokio::test]
async fn a_message_via_sns_and_via_the_webhook_is_stored_the_same() {
    let (via_sns, via_meta) = (embedded_store(), embedded_store());
    let timestamp = now_secs();
    let wamid = "wamid.SAME1";
    let sns = text_event("sns-same", wamid, CUSTOMER, timestamp, "Olá 👋");
    let ctx = webhook_ctx(via_sns.clone(), keys(&[SECRET], None));
    intake::handle(&ctx, sns).await.unwrap();
    let raw = whatsapp_body(wamid, timestamp);
    let ctx = webhook_ctx(via_meta.clone(), keys(&[SECRET], None));
    let answer = handle(&ctx, post(&raw, Some(&sign(SECRET, raw.as_bytes())))).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    for pk in [format!("MSG#{wamid}"), format!("CONV#{PHONE}#{CUSTOMER}")] {
        let a = via_sns
            .get_item(&pk)
            .await
            .unwrap()
            .expect("stored via SNS");
        let b = via_meta
            .get_item(&pk)
            .await
            .unwrap()
            .expect("stored via the webhook");
        assert_eq!(content(a), content(b), "{pk}");
    }
    // process_meta_payload is what a queue consumer calls with the raw body: a duplicate now
    let outcome = handlers::webhooks::process_meta_payload(&ctx, &raw)
        .await
        .unwrap();
    assert_eq!(outcome.reports[0].counts.duplicates, 1);
}

/// `serve` answers the webhook routes as API Gateway does, without its bearer token (the
/// signature is the check), and still with its address checks.
#[tokio::test]
async fn serve_takes_meta_webhooks_without_its_token() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let store = embedded_store();
    let ctx = webhook_ctx(store.clone(), keys(&[SECRET], None));
    let options = whatsapp_lambda::serve::ServeOptions {
        token: Some("t0ken-t0ken-t0ken-t0ken".into()),
        ..Default::default()
    };
    let server = tokio::spawn(async move {
        whatsapp_lambda::serve::serve_with(ctx, listener, options)
            .await
            .unwrap();
    });
    let send = |request: String| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        raw
    };
    let host = format!("Host: localhost:{}", addr.port());
    let get = send(format!("GET /webhooks/meta?hub.mode=subscribe&hub.verify_token={TOKEN}&hub.challenge=42 HTTP/1.1\r\n{host}\r\nConnection: close\r\n\r\n")).await;
    assert!(get.starts_with("HTTP/1.1 200"), "{get}");
    assert!(get.ends_with("\r\n\r\n42"), "{get}");
    let raw = whatsapp_body("wamid.SERVE1", now_secs());
    let post = |signature: String| {
        format!(
            "POST /webhooks/meta HTTP/1.1\r\n{host}\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{raw}",
            raw.len()
        )
    };
    let refused = send(post(sign("wrong", raw.as_bytes()))).await;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let answered = send(post(sign(SECRET, raw.as_bytes()))).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(store.get_message("wamid.SERVE1").await.unwrap().is_some());
    // the token is still needed everywhere else
    let action = r#"{"action":"ping"}"#;
    let other = send(format!(
        "POST / HTTP/1.1\r\n{host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{action}",
        action.len()
    ))
    .await;
    assert!(other.starts_with("HTTP/1.1 401"), "{other}");
    server.abort();
}
