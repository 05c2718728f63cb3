//! `POST /webhooks/wix`: Wix app webhooks. The whole body is a JWT signed by Wix with RS256; it
//! is verified with the app's public key (`WIX_PUBLIC_KEY`, from the app dashboard's "Get Public
//! Key"), its `exp` is required and checked, and order events go to the shop adapter
//! ([`handlers::shops::wix`]). Other events are acknowledged and ignored.
//!
//! RSA comes from `aws-lc-rs`, which the AWS SDK's TLS stack already builds (so no new crypto
//! code is compiled): its RSA verification takes the key as `SubjectPublicKeyInfo` DER, the form
//! Wix gives.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use handlers::Ctx;
use handlers::inbound::RecordReport;
use handlers::ports::queue::QueuedWebhook;
use handlers::shops::{ShopWebhook, record_order, wix::Wix};
use serde_json::{Value, json};
use tracing::warn;

use super::{WebhookRequest, WebhookResponse, fastack};

/// Why a JWT is refused.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum JwtError {
    #[error("the body is not a JWT (three base64url parts)")]
    Malformed,
    #[error("the JWT's algorithm is `{0}`, not RS256")]
    Algorithm(String),
    #[error("the JWT's signature does not verify with WIX_PUBLIC_KEY")]
    Signature,
    #[error("the JWT expired at {0}")]
    Expired(i64),
    #[error("the JWT has no `exp` claim: Wix's webhook tokens say when they expire")]
    NoExpiry,
}

/// How far the sender's clock may be ahead of ours: a token is taken until a minute after its
/// `exp`.
const CLOCK_SKEW_SECS: i64 = 60;

fn part(text: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed)
}

/// The claims of a JWT, without checking its signature (a queued body was verified at the door).
///
/// # Errors
/// [`JwtError::Malformed`].
pub fn claims(token: &str) -> Result<Value, JwtError> {
    let payload = token.trim().split('.').nth(1).ok_or(JwtError::Malformed)?;
    serde_json::from_slice(&part(payload)?).map_err(|_| JwtError::Malformed)
}

/// The claims of an RS256 JWT signed by one of `keys` (base64 `SubjectPublicKeyInfo` DER), with
/// an `exp` not passed at `now` (unix seconds; [`CLOCK_SKEW_SECS`] of clock skew allowed). A
/// token without `exp` is refused: Wix's carry one, and without it a captured token would be
/// good forever.
///
/// # Errors
/// [`JwtError`] saying why.
pub fn verify(token: &str, keys: &[String], now: i64) -> Result<Value, JwtError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Value = serde_json::from_slice(&part(header)?).map_err(|_| JwtError::Malformed)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg != "RS256" {
        return Err(JwtError::Algorithm(alg.to_string()));
    }
    let signature = part(signature)?;
    let signed = &token[..token.rfind('.').unwrap_or(0)];
    let verified = keys.iter().any(|key| {
        STANDARD.decode(key).is_ok_and(|der| {
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
                .verify(signed.as_bytes(), &signature)
                .is_ok()
        })
    });
    if !verified {
        return Err(JwtError::Signature);
    }
    let claims = claims(token)?;
    // A NumericDate may have a fraction; its whole seconds are enough here.
    let exp = claims.get("exp").and_then(|exp| {
        exp.as_i64().or_else(|| {
            exp.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.floor() as i64)
        })
    });
    match exp {
        None => Err(JwtError::NoExpiry),
        Some(exp) if exp.saturating_add(CLOCK_SKEW_SECS) < now => Err(JwtError::Expired(exp)),
        Some(_) => Ok(claims),
    }
}

pub async fn handle(ctx: &Ctx, request: &WebhookRequest) -> WebhookResponse {
    let settings = &ctx.ingress().settings;
    if settings.wix_public_keys.is_empty() {
        crate::prom::refused("wix");
        warn!("Wix webhook refused: WIX_PUBLIC_KEY is not configured");
        return WebhookResponse::text(403, "Wix webhooks are not configured (WIX_PUBLIC_KEY)");
    }
    let claims = match verify(
        &request.body,
        &settings.wix_public_keys,
        chrono::Utc::now().timestamp(),
    ) {
        Ok(claims) => claims,
        Err(e) => {
            crate::prom::refused("wix");
            warn!(error = %e, "Wix webhook refused");
            return WebhookResponse::text(401, &e.to_string());
        }
    };
    let order = match Wix.order(&claims) {
        Ok(Some(order)) => order,
        Ok(None) => return WebhookResponse::json(200, &json!({"ignored": "not an order event"})),
        Err(e) => return WebhookResponse::text(400, &e.to_string()),
    };
    if settings.fast_ack {
        let webhook = QueuedWebhook::new(
            "wix",
            request.body.clone(),
            Default::default(),
            handlers::time::now_iso(),
        );
        return match fastack::enqueue(ctx, &webhook).await {
            Ok(()) => {
                WebhookResponse::json(200, &json!({"queued": true, "orderId": order.order_id}))
            }
            Err(answer) => answer,
        };
    }
    match record_order(ctx, &Wix, &order).await {
        Ok(recorded) => {
            WebhookResponse::json(200, &serde_json::to_value(recorded).unwrap_or_default())
        }
        Err(e) => WebhookResponse::text(e.status(), &e.public_message()),
    }
}

/// Processes a Wix webhook taken from the queue (verified when it arrived).
///
/// # Errors
/// The store's error (the message is retried).
pub async fn consume(
    ctx: &Ctx,
    webhook: &QueuedWebhook,
    queue_id: &str,
) -> Result<RecordReport, handlers::StoreError> {
    let order = claims(&webhook.body)
        .map_err(|e| e.to_string())
        .and_then(|claims| Wix.order(&claims).map_err(|e| e.to_string()));
    let order = match order {
        Ok(Some(order)) => order,
        Ok(None) => return Ok(fastack::report(queue_id, None)),
        Err(e) => return Ok(fastack::report(queue_id, Some(e))),
    };
    match record_order(ctx, &Wix, &order).await {
        Ok(recorded) => Ok(fastack::report(&recorded.pk, None)),
        Err(handlers::HandlerError::Store(e)) if !e.is_poison() => Err(e),
        Err(e) => Ok(fastack::report(queue_id, Some(e.public_message()))),
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};

    use super::*;

    /// A key pair, its public key as WIX_PUBLIC_KEY holds it, and a signer.
    pub fn key() -> (KeyPair, String) {
        let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
            pair.public_key(),
        )
        .unwrap();
        (pair, STANDARD.encode(der.as_ref()))
    }

    pub fn sign(pair: &KeyPair, header: &Value, claims: &Value) -> String {
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

    #[test]
    fn rs256_tokens_verify_and_forgeries_do_not() {
        let (pair, public) = key();
        let (other, other_public) = key();
        let keys = vec![public.clone()];
        let rs256 = json!({"alg": "RS256", "typ": "JWT"});
        let claims = json!({"data": "{}", "iat": 1_000, "exp": 2_000});
        let token = sign(&pair, &rs256, &claims);
        assert_eq!(verify(&token, &keys, 1_500), Ok(claims.clone()));
        // rotation: any configured key
        assert!(verify(&token, &[other_public.clone(), public.clone()], 1_500).is_ok());
        assert_eq!(
            verify(&token, &[other_public], 1_500),
            Err(JwtError::Signature)
        );
        assert_eq!(
            verify(&sign(&other, &rs256, &claims), &keys, 1_500),
            Err(JwtError::Signature)
        );
        assert_eq!(verify(&token, &keys, 2_100), Err(JwtError::Expired(2_000)));
        // a changed payload with the old signature
        let mut forged: Vec<&str> = token.split('.').collect();
        let changed =
            URL_SAFE_NO_PAD.encode(json!({"data": "{\"x\":1}", "exp": 2_000}).to_string());
        forged[1] = &changed;
        assert_eq!(
            verify(&forged.join("."), &keys, 1_500),
            Err(JwtError::Signature)
        );
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode("{}")
        );
        assert_eq!(
            verify(&none, &keys, 0),
            Err(JwtError::Algorithm("none".into()))
        );
        assert_eq!(verify("not a jwt", &[public], 0), Err(JwtError::Malformed));
    }

    #[test]
    fn a_token_must_say_when_it_expires() {
        let (pair, public) = key();
        let keys = vec![public];
        let rs256 = json!({"alg": "RS256", "typ": "JWT"});
        let signed = |claims: Value| sign(&pair, &rs256, &claims);
        let forever = signed(json!({"data": "{}", "iat": 1_000}));
        assert_eq!(verify(&forever, &keys, 1_500), Err(JwtError::NoExpiry));
        let text = signed(json!({"data": "{}", "exp": "2000"}));
        assert_eq!(verify(&text, &keys, 1_500), Err(JwtError::NoExpiry));
        // a minute of skew, and not a second more
        let token = signed(json!({"data": "{}", "exp": 2_000}));
        assert!(verify(&token, &keys, 2_060).is_ok());
        assert_eq!(verify(&token, &keys, 2_061), Err(JwtError::Expired(2_000)));
        let fraction = signed(json!({"data": "{}", "exp": 2_000.5}));
        assert!(verify(&fraction, &keys, 1_999).is_ok());
    }
}
