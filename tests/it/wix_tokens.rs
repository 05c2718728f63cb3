//! Wix webhook JWTs at the door: a signed token must also say when it expires (`exp`, as Wix's
//! tokens do), and text from a refused token cannot forge a log line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;
use crate::ingress::{answer, ingress_ctx};

/// Signs `header.claims` with the examples' Wix key (`events/webhooks/wix-test-key.pem`).
fn sign(header: &Value, claims: &Value) -> String {
    let pem = std::fs::read_to_string(format!(
        "{}/events/webhooks/wix-test-key.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let pair = RsaKeyPair::from_pkcs8(&STANDARD.decode(der).unwrap()).unwrap();
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The order-created console event with its claims changed by `change`, signed again.
fn order_event(header: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut event = load("events/webhooks/wix-order-created.json");
    let token = event["body"].as_str().unwrap();
    let mut claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    change(&mut claims);
    event["body"] = json!(sign(header, &claims));
    event
}

fn rs256() -> Value {
    json!({"alg": "RS256", "typ": "JWT"})
}

#[tokio::test]
async fn a_wix_token_without_a_future_exp_is_refused() {
    let ctx = ingress_ctx(embedded_store(), None);
    let now = chrono::Utc::now().timestamp();
    // GIVEN correctly signed tokens without `exp`, or expired an hour ago
    for (what, exp) in [("no exp", None), ("expired", Some(json!(now - 3600)))] {
        let event = order_event(&rs256(), |claims| {
            let claims = claims.as_object_mut().unwrap();
            claims.remove("exp");
            if let Some(exp) = exp {
                claims.insert("exp".into(), exp);
            }
        });
        let (status, _, body) = answer(&intake::handle(&ctx, event).await.unwrap());
        // THEN they are refused before anything is recorded
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body.contains("exp"), "{what}: {body}");
    }
    assert!(
        ctx.store()
            .get_item("WIX_ORDER#5e1f3c2a-1111-4b2b-9c3d-000000010042")
            .await
            .unwrap()
            .is_none(),
        "nothing was recorded"
    );
    // a token that expires in five minutes is taken
    let event = order_event(&rs256(), |claims| claims["exp"] = json!(now + 300));
    let (status, _, body) = answer(&intake::handle(&ctx, event).await.unwrap());
    assert_eq!(status, 200, "{body}");
}

/// A writer into a shared buffer, for reading what was logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_newline_in_a_refused_token_does_not_forge_a_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    // the text format the function logs in (lambda_runtime's default), through its writer
    let subscriber = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_writer(whatsapp_lambda::logs::OneLine::new(move || writer.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let ctx = ingress_ctx(embedded_store(), None);
    let forged =
        json!({"alg": "RS256\nERROR forged: the database was dropped\r\nINFO x", "typ": "JWT"});
    let event = order_event(&forged, |claims| claims["exp"] = json!(4_102_444_800_i64));
    let (status, _, body) = answer(&intake::handle(&ctx, event).await.unwrap());
    assert_eq!(status, 401, "{body}");
    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 1, "one event, one line: {logged:?}");
    assert!(lines[0].contains("Wix webhook refused"), "{logged:?}");
    assert!(
        lines[0].contains(r"RS256\nERROR forged: the database was dropped\r\nINFO x"),
        "the text is kept, escaped: {logged:?}"
    );
}
