//! The checks of a direct Meta webhook, over the request's raw parts:
//! - the subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`);
//! - `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>`, computed over the
//!   bytes as they arrived (never over re-serialised JSON) and compared in constant time
//!   (`Mac::verify_slice`), against each configured app secret (rotation);
//! - the optional replay window over the body's timestamps.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::MetaWebhookKeys;

/// The signature header, lowercase (HTTP header names are case-insensitive; compare with
/// `eq_ignore_ascii_case` or through a case-insensitive map).
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Why a subscription handshake is refused (answered 403, or 400 for a request that is not one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("`hub.mode` must be `subscribe`")]
    NotSubscribe,
    #[error("no verify token is configured (META_VERIFY_TOKEN)")]
    NotConfigured,
    #[error("`hub.verify_token` does not match")]
    WrongToken,
    #[error("`hub.challenge` is missing")]
    NoChallenge,
}

/// Answers Meta's subscription handshake: the challenge to echo as `text/plain` when the mode
/// is `subscribe` and the token is the configured one (compared in constant time).
///
/// # Errors
/// [`HandshakeError`] saying what is wrong.
pub fn handshake(
    keys: &MetaWebhookKeys,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
) -> Result<String, HandshakeError> {
    if mode != Some("subscribe") {
        return Err(HandshakeError::NotSubscribe);
    }
    let Some(expected) = keys.verify_token.as_deref() else {
        return Err(HandshakeError::NotConfigured);
    };
    if !same_bytes(token.unwrap_or_default().as_bytes(), expected.as_bytes()) {
        return Err(HandshakeError::WrongToken);
    }
    challenge
        .map(str::to_string)
        .ok_or(HandshakeError::NoChallenge)
}

/// Why a signed request is refused (401): nothing of it is processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no app secret is configured (META_APP_SECRET): signed webhooks cannot be verified")]
    NotConfigured,
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
    #[error("outside the replay window: {0}")]
    Replay(String),
    #[error("the body is marked base64 but does not decode")]
    BadBase64,
}

impl Refusal {
    /// A short name for metrics and logs (`missing`, `mismatch`, ...).
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NotConfigured => "not_configured",
            Refusal::Missing => "missing",
            Refusal::Malformed(_) => "malformed",
            Refusal::Mismatch => "mismatch",
            Refusal::Replay(_) => "replay",
            Refusal::BadBase64 => "bad_base64",
        }
    }
}

/// Verifies `X-Hub-Signature-256` over the raw body against every configured secret. Returns
/// which secret matched (0 is the first), so a rotation can be watched in the logs.
///
/// # Errors
/// [`Refusal`]: no secret, no header, a header that is not `sha256=` and 64 hex digits, or no
/// secret that gives this signature.
pub fn verify_signature(
    secrets: &[String],
    header: Option<&str>,
    body: &[u8],
) -> Result<usize, Refusal> {
    if secrets.is_empty() {
        return Err(Refusal::NotConfigured);
    }
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let Some(header) = header else {
        return Err(Refusal::Missing);
    };
    let Some(hex) = header
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("sha256="))
        .map(|_| &header[7..])
    else {
        return Err(Refusal::Malformed("expected `sha256=<hex>`"));
    };
    let Some(given) = decode_hex(hex) else {
        return Err(Refusal::Malformed("expected 64 hexadecimal digits"));
    };
    let mut matched = None;
    // Every secret is tried (no early exit), each comparison in constant time.
    for (index, secret) in secrets.iter().enumerate() {
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
            continue;
        };
        mac.update(body);
        if mac.verify_slice(&given).is_ok() && matched.is_none() {
            matched = Some(index);
        }
    }
    matched.ok_or(Refusal::Mismatch)
}

/// `sha256=<hex>` of `body` under `secret`: what Meta sends (for tests and the docs' examples).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Refuses a body whose newest timestamp is more than `window_secs` away from `now_unix`
/// (seconds), either way: `entry[].time`, `messaging[].timestamp` (Instagram, Messenger;
/// milliseconds) and `messages[].timestamp` / `statuses[].timestamp` (WhatsApp; seconds).
///
/// # Errors
/// [`Refusal::Replay`] naming the newest time found, or that the body has none.
pub fn check_replay(body: &Value, window_secs: u64, now_unix: i64) -> Result<(), Refusal> {
    let newest = timestamps(body).into_iter().max();
    let Some(newest) = newest else {
        return Err(Refusal::Replay(
            "the body has no timestamp to check (entry[].time, messaging[].timestamp, messages[].timestamp)".into(),
        ));
    };
    let window = i64::try_from(window_secs).unwrap_or(i64::MAX);
    if (now_unix - newest).abs() > window {
        return Err(Refusal::Replay(format!(
            "its newest timestamp ({newest}) is {} s from now; META_REPLAY_WINDOW_SECS is {window_secs}",
            now_unix - newest
        )));
    }
    Ok(())
}

/// Every timestamp of a webhook body, in unix seconds.
fn timestamps(body: &Value) -> Vec<i64> {
    let mut out = Vec::new();
    let list = |v: &Value, key: &str| -> Vec<Value> {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for entry in list(body, "entry") {
        out.extend(entry.get("time").and_then(unix_seconds));
        for key in ["messaging", "standby"] {
            for event in list(&entry, key) {
                out.extend(event.get("timestamp").and_then(unix_seconds));
            }
        }
        for change in list(&entry, "changes") {
            let value = change.get("value").cloned().unwrap_or_default();
            for key in ["messages", "statuses"] {
                for item in list(&value, key) {
                    out.extend(item.get("timestamp").and_then(unix_seconds));
                }
            }
        }
    }
    out
}

/// A unix time in seconds or milliseconds (Meta uses both), as a number or a string of one.
fn unix_seconds(v: &Value) -> Option<i64> {
    let n = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    // Milliseconds from 1973 on are above 1e11; seconds stay below it until the year 5138.
    Some(if n > 100_000_000_000 { n / 1000 } else { n })
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

/// Constant-time equality of two byte strings (the length is not secret).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
