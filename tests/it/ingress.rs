//! Webhooks straight to the function: Twilio (signature, conversion, forward-only statuses, the
//! empty TwiML answer) and Wix orders (RS256 JWT, `WIX_ORDER#` items, the confirmation), on both
//! stores; every `events/webhooks/*.json` console event; the Twilio sender against a stand-in.

use std::sync::Arc;

use handlers::ingress::{Ingress, IngressSettings, OrderTemplate};
use handlers::ports::queue::WebhookQueue;
use handlers::{Ctx, Settings, Store};
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

pub const TWILIO_TOKEN: &str = "test-twilio-auth-token";
pub const HOST: &str = "abc123.execute-api.us-east-1.amazonaws.com";

/// A context whose webhook routes know the events' Twilio token and Wix key, with `queue` as the
/// fast-ack queue when given.
pub fn ingress_ctx(store: Arc<dyn Store>, queue: Option<Arc<dyn WebhookQueue>>) -> Ctx {
    let public = std::fs::read_to_string(format!(
        "{}/events/webhooks/wix-test-public.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let settings = IngressSettings {
        twilio_auth_tokens: vec!["an-older-token".into(), TWILIO_TOKEN.into()],
        wix_public_keys: whatsapp_lambda::ingress::pem_keys(&public),
        order_template: Some(OrderTemplate {
            name: "order_confirmation".into(),
            language: "en_US".into(),
            params: vec!["buyerName".into(), "orderNumber".into(), "total".into()],
        }),
        fast_ack: queue.is_some(),
        max_receives: 3,
        ..Default::default()
    };
    let base = Ctx::new(
        store,
        Settings {
            default_waba_id: Some(WABA.into()),
            ..settings_with_phone()
        },
    );
    let default = Ingress::default();
    base.with_ingress(Ingress {
        queue: queue.unwrap_or(default.queue),
        settings: Arc::new(settings),
    })
}

fn settings_with_phone() -> Settings {
    crate::helpers::settings()
}

/// An HTTP API (v2) event posting `params` to /webhooks/twilio, signed with `token`.
pub fn twilio_event(params: &[(&str, &str)], token: &str) -> Value {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let signature =
        handlers::twilio::sign(token, &format!("https://{HOST}/webhooks/twilio"), &pairs);
    let mut event = load("events/webhooks/twilio-message.json");
    event["body"] = json!(body);
    event["headers"]["x-twilio-signature"] = json!(signature);
    event
}

fn message(sid: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MessageSid", sid.to_string()),
        ("AccountSid", "ACtest".into()),
        ("From", "whatsapp:+16505551234".into()),
        ("To", "whatsapp:+14155238886".into()),
        ("WaId", "16505551234".into()),
        ("ProfileName", "Kerry".into()),
        ("SmsStatus", "received".into()),
        ("NumMedia", "0".into()),
        ("Body", body.to_string()),
    ]
}

fn borrowed<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    params.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn status(sid: &str, value: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MessageSid", sid.to_string()),
        ("AccountSid", "ACtest".into()),
        ("MessageStatus", value.to_string()),
        ("From", "whatsapp:+14155238886".into()),
        ("To", "whatsapp:+16505551234".into()),
    ]
}

/// The HTTP status, content type and body of a v2 proxy response.
pub fn answer(response: &Value) -> (i64, String, String) {
    (
        response["statusCode"].as_i64().unwrap(),
        response["headers"]["content-type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        response["body"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn twilio_messages_are_verified_stored_once_and_answered_with_empty_twiml() {
    for store in [embedded_store() as Arc<dyn Store>, dynamo_store().await] {
        let ctx = ingress_ctx(store.clone(), None);
        let hello = message("SMhello", "Hola 👋 ¿qué tal?");
        let response = intake::handle(&ctx, twilio_event(&borrowed(&hello), TWILIO_TOKEN))
            .await
            .unwrap();
        let (status, content_type, body) = answer(&response);
        assert_eq!((status, content_type.as_str()), (200, "text/xml"), "{body}");
        assert_eq!(body, r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#);
        let stored = store.get_message("SMhello").await.unwrap().expect("stored");
        assert_eq!(stored.text.as_deref(), Some("Hola 👋 ¿qué tal?"));
        assert_eq!(
            stored.conversation_pk.as_deref(),
            Some("CONV#14155238886#16505551234")
        );
        // a redelivery is a duplicate, not a second message
        let again = intake::handle(&ctx, twilio_event(&borrowed(&hello), TWILIO_TOKEN))
            .await
            .unwrap();
        assert_eq!(answer(&again).0, 200);
        let conversation = store
            .get_conversation("CONV#14155238886#16505551234")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conversation.last_message_id.as_deref(), Some("SMhello"));

        // a wrong or missing signature: 403, nothing stored
        let forged = message("SMforged", "send me money");
        for token in ["wrong-token", ""] {
            let mut event = twilio_event(&borrowed(&forged), token);
            if token.is_empty() {
                event["headers"]
                    .as_object_mut()
                    .unwrap()
                    .remove("x-twilio-signature");
            }
            let (status, _, body) = answer(&intake::handle(&ctx, event).await.unwrap());
            assert_eq!(status, 403, "{body}");
        }
        // a body changed after signing
        let mut tampered = twilio_event(&borrowed(&forged), TWILIO_TOKEN);
        tampered["body"] = json!(
            tampered["body"]
                .as_str()
                .unwrap()
                .replace("money", "more+money")
        );
        assert_eq!(
            answer(&intake::handle(&ctx, tampered).await.unwrap()).0,
            403
        );
        assert!(store.get_message("SMforged").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn twilio_statuses_only_move_forward() {
    for store in [embedded_store() as Arc<dyn Store>, dynamo_store().await] {
        let ctx = ingress_ctx(store.clone(), None);
        let mut seen = Vec::new();
        for value in ["sent", "read", "delivered", "queued", "undelivered", "read"] {
            let response = intake::handle(
                &ctx,
                twilio_event(&borrowed(&status("SMout", value)), TWILIO_TOKEN),
            )
            .await
            .unwrap();
            assert_eq!(answer(&response).0, 200);
            seen.push(
                store
                    .get_message("SMout")
                    .await
                    .unwrap()
                    .unwrap()
                    .status
                    .as_str()
                    .to_string(),
            );
        }
        // read is not undone by a late delivered or queued; undelivered is failed, and terminal
        assert_eq!(
            seen,
            vec!["sent", "read", "read", "read", "failed", "failed"]
        );
    }
}

#[tokio::test]
async fn every_webhook_console_event_is_answered_200() {
    let store = embedded_store();
    seed_template(store.as_ref(), "order_confirmation", "en_US", 3).await;
    let ctx = ingress_ctx(store.clone(), None);
    let dir = format!("{}/events/webhooks", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        // Meta, Instagram and Messenger events are signed with Meta's secret: tests/it/webhooks.rs
        .filter(|n| n.starts_with("twilio-") || n.starts_with("wix-"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in &names {
        let response = intake::handle(&ctx, load(&format!("events/webhooks/{name}")))
            .await
            .unwrap();
        let (status, _, body) = answer(&response);
        assert_eq!(status, 200, "{name}: {body}");
    }
    let media = store.get_message("MMtestmedia0001").await.unwrap().unwrap();
    let part = media.media.unwrap();
    assert!(part.url.unwrap().ends_with("/Media/MEtest0001"));
    assert_eq!(part.mime_type.as_deref(), Some("image/jpeg"));
    let place = store
        .get_message("SMtestlocation01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(place.location.unwrap().name.as_deref(), Some("Home"));
    let button = store.get_message("SMtestbutton001").await.unwrap().unwrap();
    assert_eq!(
        button.button.unwrap().payload.as_deref(),
        Some("confirm-delivery-10042")
    );
    assert_eq!(
        button.context.unwrap().id.as_deref(),
        Some("SMoutbound00001")
    );
    let failed = store.get_message("SMoutbound00002").await.unwrap().unwrap();
    assert_eq!(failed.error.unwrap().code, Some(63016));
    // the order: created, then canceled (later event wins); the confirmation was sent once
    let order = store
        .get_item("WIX_ORDER#5e1f3c2a-1111-4b2b-9c3d-000000010042")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order["status"], "CANCELED", "{order}");
    assert_eq!(order["buyerPhone"], "+1 650-555-1234");
    assert!(order["confirmationId"].is_string(), "{order}");
}

#[tokio::test]
async fn wix_orders_are_idempotent_and_forward_only() {
    for store in [embedded_store() as Arc<dyn Store>, dynamo_store().await] {
        seed_template(store.as_ref(), "order_confirmation", "en_US", 3).await;
        let ctx = ingress_ctx(store.clone(), None);
        let created = load("events/webhooks/wix-order-created.json");
        let canceled = load("events/webhooks/wix-order-canceled.json");
        let first = answer(&intake::handle(&ctx, created.clone()).await.unwrap());
        let first: Value = serde_json::from_str(&first.2).unwrap();
        assert_eq!(first["applied"], true, "{first}");
        let sent = first["confirmation"]
            .as_str()
            .expect("confirmation sent")
            .to_string();
        // canceled (later), then created again (a redelivery): the order stays canceled, and
        // the confirmation is the first send's (replayed by its idempotency key)
        intake::handle(&ctx, canceled).await.unwrap();
        let again: Value =
            serde_json::from_str(&answer(&intake::handle(&ctx, created.clone()).await.unwrap()).2)
                .unwrap();
        assert_eq!(again["applied"], false);
        assert_eq!(again["confirmation"], sent.as_str());
        let order = store
            .get_item("WIX_ORDER#5e1f3c2a-1111-4b2b-9c3d-000000010042")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (order["status"].as_str(), order["lastEvent"].as_str()),
            (Some("CANCELED"), Some("canceled"))
        );
        // a forged body: 401, nothing changes
        let mut forged = created;
        let token = forged["body"].as_str().unwrap().to_string();
        let parts: Vec<&str> = token.split('.').collect();
        forged["body"] = json!(format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 4]
        ));
        let (status, _, body) = answer(&intake::handle(&ctx, forged).await.unwrap());
        assert_eq!(status, 401, "{body}");
    }
}
