//! The Twilio sender against a local stand-in of Twilio's REST API: the exact requests (path,
//! basic auth, form body), Twilio's error answers, and the 400 for what Twilio cannot send.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use whatsapp_lambda::ingress::TwilioAccount;
use whatsapp_lambda::twilio::TwilioSender;

use crate::helpers::*;

/// (method, path, authorization, form pairs) of each request.
type Seen = Arc<Mutex<Vec<(String, String, String, Vec<(String, String)>)>>>;

/// Answers every request with `status` and `body`, recording it.
async fn standin(status: u16, body: Value) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let recorded = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let recorded = recorded.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let recorded = recorded.clone();
                    let body = body.clone();
                    async move {
                        let (parts, incoming) = req.into_parts();
                        let bytes = incoming.collect().await.unwrap().to_bytes();
                        let form = form_urlencoded::parse(&bytes).into_owned().collect();
                        let auth = parts
                            .headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        recorded.lock().unwrap().push((
                            parts.method.to_string(),
                            parts.uri.path().to_string(),
                            auth,
                            form,
                        ));
                        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
                        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, seen)
}

fn twilio_ctx(base: &str) -> handlers::Ctx {
    let sender = Arc::new(TwilioSender::new(TwilioAccount {
        account_sid: "ACtest".into(),
        auth_token: "secret-token".into(),
        api_base: base.into(),
        status_callback: Some("https://hooks.example.com/webhooks/twilio".into()),
    }));
    let settings = handlers::Settings {
        origination_phone_number_id: Some("whatsapp:+14155238886".into()),
        ..settings()
    };
    handlers::Ctx::with(
        embedded_store(),
        sender,
        Arc::new(handlers::sandbox::MemoryMedia::default()),
        settings,
    )
}

#[tokio::test]
async fn sends_are_the_exact_twilio_requests() {
    let (base, seen) = standin(201, json!({"sid": "SMsent0001", "status": "queued"})).await;
    let ctx = twilio_ctx(&base);
    let sent = action(&ctx, json!({"action": "send_text", "to": "+1 650 555 1234", "text": "Your order shipped", "force": true})).await;
    assert_eq!(sent["statusCode"], 200, "{sent}");
    assert_eq!(sent["data"]["waMessageId"], "SMsent0001");
    let image = action(&ctx, json!({"action": "send_image", "to": "16505551234", "link": "https://example.com/a.jpg", "caption": "the box", "force": true})).await;
    assert_eq!(image["statusCode"], 200, "{image}");
    let seen = seen.lock().unwrap().clone();
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "ACtest:secret-token"
        )
    );
    let pairs = |form: &[(String, String)]| {
        form.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    let owned = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[0].0.as_str(), seen[0].1.as_str(), seen[0].2.as_str()),
        (
            "POST",
            "/2010-04-01/Accounts/ACtest/Messages.json",
            auth.as_str()
        )
    );
    assert_eq!(
        pairs(&seen[0].3),
        owned(&[
            ("To", "whatsapp:+16505551234"),
            ("From", "whatsapp:+14155238886"),
            ("Body", "Your order shipped"),
            (
                "StatusCallback",
                "https://hooks.example.com/webhooks/twilio"
            )
        ])
    );
    assert_eq!(
        pairs(&seen[1].3),
        owned(&[
            ("To", "whatsapp:+16505551234"),
            ("From", "whatsapp:+14155238886"),
            ("MediaUrl", "https://example.com/a.jpg"),
            ("Body", "the box"),
            (
                "StatusCallback",
                "https://hooks.example.com/webhooks/twilio"
            )
        ])
    );
}

#[tokio::test]
async fn twilio_errors_and_unsupported_sends_are_clear() {
    let (base, seen) = standin(400, json!({"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})).await;
    let ctx = twilio_ctx(&base);
    let refused = action(
        &ctx,
        json!({"action": "send_text", "to": "16505551234", "text": "hi", "force": true}),
    )
    .await;
    assert_eq!(refused["statusCode"], 400, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains(
            "Twilio answered 400 (error 21211): The 'To' number is not a valid phone number."
        ),
        "{refused}"
    );
    let before = seen.lock().unwrap().len();
    let buttons = action(&ctx, json!({"action": "send_interactive_buttons", "to": "16505551234", "body": "Pick", "buttons": [{"id": "a", "title": "A"}], "force": true})).await;
    assert_eq!(buttons["statusCode"], 400, "{buttons}");
    assert!(
        buttons["error"]
            .as_str()
            .unwrap()
            .contains("`send_interactive_buttons` cannot be sent through Twilio"),
        "{buttons}"
    );
    assert_eq!(seen.lock().unwrap().len(), before, "nothing reached Twilio");
}
