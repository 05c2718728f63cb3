//! Idempotent sends: every send claims a `SEND#…` intent with a conditional write before EUM
//! Social is called, so that a retried or concurrent request never sends the same message twice.
//!
//! - The key is the caller's `idempotencyKey`, or, when absent, one derived from the request's
//!   fingerprint and a 30-second window ([`DERIVED_WINDOW_SECS`]): an identical request within
//!   30 seconds of the first is a retry; identical requests further apart are separate sends.
//! - Attempt 1 of key `k` is `SEND#k`; when an attempt failed (EUM Social refused it, so nothing
//!   reached the customer), the next request with that key claims attempt `n + 1`
//!   (`SEND#k#n+1`) and sends. A sent attempt is replayed; a pending one answers 409.
//! - The intent id travels in Meta's `biz_opaque_callback_data` as a tag in front of the
//!   caller's own data (`wl1:{length}:{intent id}{caller data}`). Meta echoes it on every status,
//!   and [`reconcile`] completes a pending intent from the first status that carries it.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::error::HandlerError;
use crate::keys;
use crate::model::{MediaPart, MessageStatus, SendIntentItem, SendState};
use crate::store::{Store, StoreError, get_item_as, put_item};
use crate::time;

/// Longest caller `idempotencyKey`.
pub const MAX_KEY_LEN: usize = 128;
/// Identical requests without a key within this many seconds of the first are one send.
pub const DERIVED_WINDOW_SECS: i64 = 30;
/// Attempts per key: a key whose attempts all failed answers 409 and asks for a new key.
pub const MAX_ATTEMPTS: u32 = 10;
/// Days an intent is kept (DynamoDB TTL); after that the key is forgotten.
pub const INTENT_TTL_DAYS: i64 = 7;
/// Longest caller `bizOpaqueCallbackData`: Meta allows 512 characters, and the tag takes the
/// rest ([`MAX_TAG_LEN`]).
pub const MAX_CALLER_CALLBACK_LEN: usize = crate::params::bounds::CALLBACK_DATA;
/// Prefix of the tag in `biz_opaque_callback_data`.
pub const TAG_PREFIX: &str = "wl1:";
/// Longest tag: prefix, the id's length and `:`, the id (key, `#`, two-digit attempt).
pub const MAX_TAG_LEN: usize = TAG_PREFIX.len() + 4 + MAX_KEY_LEN + 3;
const _: () = assert!(MAX_TAG_LEN + MAX_CALLER_CALLBACK_LEN <= 512);

/// Prefix of derived keys; refused in caller keys so the two never collide.
const DERIVED_PREFIX: &str = "auto:";

/// Checks a caller's `idempotencyKey`: 1 to 128 visible ASCII characters (no spaces), not
/// starting with the reserved `auto:`.
///
/// # Errors
/// 400 naming `idempotencyKey`.
pub fn check_key(key: &str) -> Result<(), HandlerError> {
    let n = key.chars().count();
    if n == 0 || n > MAX_KEY_LEN {
        return Err(HandlerError::invalid(
            "idempotencyKey",
            format!("is {n} characters; give 1 to {MAX_KEY_LEN}"),
        ));
    }
    if let Some(c) = key.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(HandlerError::invalid(
            "idempotencyKey",
            format!(
                "contains {c:?}; use visible ASCII characters only (letters, digits, punctuation; no spaces)"
            ),
        ));
    }
    if key.starts_with(DERIVED_PREFIX) {
        return Err(HandlerError::invalid(
            "idempotencyKey",
            format!("must not start with `{DERIVED_PREFIX}` (reserved for derived keys)"),
        ));
    }
    Ok(())
}

/// SHA-256 (hex) of what a send would do: the business phone, the EUM origination and Meta's
/// JSON without the tag (and with a media store key in place of the media id it was uploaded
/// as, since a retry uploads again). `force` is not part of it: it changes no byte sent.
pub fn fingerprint(
    phone: &str,
    origination: &str,
    message: &Value,
    kind: &str,
    media: Option<&MediaPart>,
) -> String {
    let mut message = message.clone();
    if let Some(key) = media.and_then(|m| m.s3_key.as_deref())
        && let Some(object) = message.get_mut(kind).and_then(Value::as_object_mut)
    {
        object.remove("id");
        object.insert("s3Key".into(), json!(key));
    }
    let mut text = String::new();
    canonical(
        &json!({"v": 1, "phone": phone, "origination": origination, "message": message}),
        &mut text,
    );
    hex(&Sha256::digest(text.as_bytes()))
}

/// JSON with object keys sorted, so that the same request always hashes the same.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The derived key of a fingerprint in the window `bucket` (`now / 30 s`).
fn derived_key(fingerprint: &str, bucket: i64) -> String {
    format!(
        "{DERIVED_PREFIX}{}:{bucket}",
        fingerprint.get(..40).unwrap_or(fingerprint)
    )
}

/// The key of a send, and `caller` or `derived`. Without a caller key: the derived key of the
/// previous 30-second bucket when its first attempt started less than 30 seconds ago (so the
/// window slides), else the current bucket's.
///
/// # Errors
/// The store's.
pub async fn resolve_key(
    store: &dyn Store,
    given: Option<&str>,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<(String, &'static str), StoreError> {
    if let Some(key) = given {
        return Ok((key.to_string(), "caller"));
    }
    let bucket = now.timestamp().div_euclid(DERIVED_WINDOW_SECS);
    let previous = derived_key(fingerprint, bucket - 1);
    let first: Option<SendIntentItem> = get_item_as(store, &keys::send_intent(&previous)).await?;
    if first.is_some_and(|f| joins_window(&f.created_at, now)) {
        return Ok((previous, "derived"));
    }
    Ok((derived_key(fingerprint, bucket), "derived"))
}

/// True when a first attempt made at `created_at` is less than the window old at `now`.
fn joins_window(created_at: &str, now: DateTime<Utc>) -> bool {
    time::parse_iso(created_at).is_some_and(|t| (now - t).num_seconds() < DERIVED_WINDOW_SECS)
}

/// The intent id of attempt `n` of `key`.
fn intent_id(key: &str, attempt: u32) -> String {
    if attempt <= 1 {
        key.to_string()
    } else {
        format!("{key}#{attempt}")
    }
}

/// The `biz_opaque_callback_data` sent: the tag, then the caller's own data.
pub fn tag(intent_id: &str, caller: Option<&str>) -> String {
    format!(
        "{TAG_PREFIX}{}:{intent_id}{}",
        intent_id.len(),
        caller.unwrap_or_default()
    )
}

/// Splits a status's `biz_opaque_callback_data` into our intent id and the caller's own data
/// (`None` when empty). `None` when the data carries no tag of ours.
pub fn parse_tag(data: &str) -> Option<(String, Option<String>)> {
    let rest = data.strip_prefix(TAG_PREFIX)?;
    let (len, rest) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    if len == 0 || !rest.is_char_boundary(len.min(rest.len())) {
        return None;
    }
    let id = rest.get(..len)?;
    let caller = &rest[len..];
    Some((
        id.to_string(),
        (!caller.is_empty()).then(|| caller.to_string()),
    ))
}

/// What [`claim`] found.
#[derive(Debug)]
pub enum Claim {
    /// This request holds the attempt: send it.
    Owned(SendIntentItem),
    /// An earlier request with this key was sent: answer its outcome.
    Replay(SendIntentItem),
}

/// Claims the first free attempt of `plan.idempotency_key` with a conditional write, walking
/// past failed attempts. `message` is Meta's JSON without the tag; the claimed intent holds it
/// with its tag.
///
/// # Errors
/// 422 when the key was used for a different request; 409 when an attempt is pending (in
/// flight, or awaiting its status webhook) or every attempt failed; the store's errors.
pub async fn claim(
    store: &dyn Store,
    mut plan: SendIntentItem,
    message: &Value,
) -> Result<Claim, HandlerError> {
    let key = plan.idempotency_key.clone();
    for attempt in 1..=MAX_ATTEMPTS {
        let id = intent_id(&key, attempt);
        plan.pk = keys::send_intent(&id);
        plan.attempt = attempt;
        plan.state = SendState::Pending;
        plan.item_type_pk = Some(keys::item_type::PENDING_SEND.to_string());
        plan.message = tagged(message, &id, plan.biz_opaque_callback_data.as_deref());
        let item = serde_json::to_value(&plan)?;
        if store.create_record(&item).await? {
            return Ok(Claim::Owned(plan));
        }
        let Some(found) = get_item_as::<SendIntentItem>(store, &plan.pk).await? else {
            // Expired between the two calls: another request is about to reuse the key.
            return Err(pending(&key, None));
        };
        if found.fingerprint != plan.fingerprint {
            return Err(HandlerError::KeyReused(format!(
                "idempotencyKey `{key}` was already used at {} for a different request (another recipient, phone or message); use a new key for a new message",
                found.created_at
            )));
        }
        match found.state {
            SendState::Sent => return Ok(Claim::Replay(found)),
            SendState::Pending => return Err(pending(&key, Some(&found.created_at))),
            SendState::Failed => {}
        }
    }
    Err(HandlerError::Conflict(format!(
        "idempotencyKey `{key}`: all {MAX_ATTEMPTS} attempts failed; use a new key to try again"
    )))
}

/// The sent attempt of `key` for this request, read only: lets a retry of a sent message be
/// answered even when the request would now be refused (the 24-hour window closed since).
///
/// # Errors
/// The store's.
pub async fn peek(
    store: &dyn Store,
    key: &str,
    fingerprint: &str,
) -> Result<Option<SendIntentItem>, StoreError> {
    for attempt in 1..=MAX_ATTEMPTS {
        let pk = keys::send_intent(&intent_id(key, attempt));
        let Some(found) = get_item_as::<SendIntentItem>(store, &pk).await? else {
            return Ok(None);
        };
        match found.state {
            SendState::Sent if found.fingerprint == fingerprint => return Ok(Some(found)),
            SendState::Failed => {}
            _ => return Ok(None),
        }
    }
    Ok(None)
}

fn pending(key: &str, since: Option<&str>) -> HandlerError {
    let since = since.map(|s| format!(" (started {s})")).unwrap_or_default();
    HandlerError::Conflict(format!(
        "a send with idempotencyKey `{key}` is in progress or its outcome is pending{since}: it was not sent again. Its first status webhook completes it; retry later with the same key to get its waMessageId. If no status arrives within minutes, it most likely never reached WhatsApp: send with a new key"
    ))
}

/// Meta's JSON with the tag in `biz_opaque_callback_data` (before `type`, where the caller's
/// data went before).
fn tagged(message: &Value, intent_id: &str, caller: Option<&str>) -> Value {
    let Some(object) = message.as_object() else {
        return message.clone();
    };
    let mut out = Map::new();
    for (k, v) in object {
        if k == "type" {
            out.insert(
                "biz_opaque_callback_data".into(),
                json!(tag(intent_id, caller)),
            );
        }
        if k != "biz_opaque_callback_data" {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Epoch seconds at which an intent made at `now` may be deleted.
pub fn ttl(now: &str) -> i64 {
    time::parse_iso(now).unwrap_or_else(Utc::now).timestamp() + INTENT_TTL_DAYS * 86_400
}

/// Completes an intent from a status webhook of message `wa_message_id`: a pending (or failed:
/// EUM answered an error but WhatsApp has the message) intent becomes `sent` with the wamid,
/// and its MESSAGE item is recorded as the send would have, then the status applies on top.
/// Returns true when something was completed. An unknown intent (expired, or another system's
/// data) or one already complete is left alone.
///
/// # Errors
/// The store's.
pub async fn reconcile(
    store: &dyn Store,
    intent_id: &str,
    wa_message_id: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let Some(mut intent) =
        get_item_as::<SendIntentItem>(store, &keys::send_intent(intent_id)).await?
    else {
        return Ok(false);
    };
    if intent.state == SendState::Sent && intent.recorded {
        return Ok(false);
    }
    if let Some(known) = &intent.wa_message_id
        && known != wa_message_id
    {
        warn!(intent = %intent.pk, "a status names another message than the intent's; left alone");
        return Ok(false);
    }
    let (item, touch) = super::message_records(&intent, wa_message_id, MessageStatus::Accepted);
    let recorded = store.record_message(&item, &touch).await?;
    // analytics (issue 9)
    crate::analytics::counters::after_send(store, &item, Some(&intent.idempotency_key), recorded)
        .await;
    let was = intent.state;
    intent.state = SendState::Sent;
    intent.item_type_pk = None;
    intent.wa_message_id = Some(wa_message_id.to_string());
    intent.recorded = true;
    intent.updated_at = now.to_string();
    put_item(store, &intent).await?;
    info!(intent = %intent.pk, %was, "send intent reconciled from its status");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_keep_the_callers_data() {
        let id = "order:1234#2";
        assert_eq!(
            parse_tag(&tag(id, Some("wl1:9:x"))),
            Some((id.to_string(), Some("wl1:9:x".to_string())))
        );
        assert_eq!(parse_tag(&tag(id, None)), Some((id.to_string(), None)));
        assert_eq!(parse_tag("order-1234"), None);
        assert_eq!(parse_tag("wl1:99:short"), None);
        assert_eq!(parse_tag("wl1:x:short"), None);
        // the longest tag and the longest caller data fit Meta's 512 characters
        let key = "k".repeat(MAX_KEY_LEN);
        let longest = tag(
            &intent_id(&key, MAX_ATTEMPTS),
            Some(&"d".repeat(MAX_CALLER_CALLBACK_LEN)),
        );
        assert!(longest.len() <= 512, "{}", longest.len());
        assert!(tag(&intent_id(&key, MAX_ATTEMPTS), None).len() <= MAX_TAG_LEN);
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key("order-1234/confirm:2").is_ok());
        for (bad, why) in [
            ("", "is 0 characters"),
            (&"k".repeat(129) as &str, "is 129 characters"),
            ("two words", "contains ' '"),
            ("é", "contains 'é'"),
            ("auto:x", "reserved"),
        ] {
            let e = check_key(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("invalid parameter `idempotencyKey`") && e.contains(why),
                "{e}"
            );
        }
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_names_the_request() {
        let a = json!({"to": "1", "type": "text", "text": {"body": "ok", "preview_url": false}});
        let b = json!({"text": {"preview_url": false, "body": "ok"}, "type": "text", "to": "1"});
        assert_eq!(
            fingerprint("P", "O", &a, "text", None),
            fingerprint("P", "O", &b, "text", None)
        );
        let other =
            json!({"to": "2", "type": "text", "text": {"body": "ok", "preview_url": false}});
        assert_ne!(
            fingerprint("P", "O", &a, "text", None),
            fingerprint("P", "O", &other, "text", None)
        );
        assert_ne!(
            fingerprint("P", "O", &a, "text", None),
            fingerprint("P2", "O", &a, "text", None)
        );
        // a media store key stands for the media id it was uploaded as on each try
        let media = MediaPart {
            s3_key: Some("uploads/a.png".into()),
            ..Default::default()
        };
        let first = json!({"type": "image", "image": {"id": "111"}});
        let retry = json!({"type": "image", "image": {"id": "222"}});
        assert_eq!(
            fingerprint("P", "O", &first, "image", Some(&media)),
            fingerprint("P", "O", &retry, "image", Some(&media))
        );
    }

    #[test]
    fn the_derived_window_slides_over_30_seconds() {
        let at = |s: &str| time::parse_iso(s).unwrap();
        assert!(joins_window(
            "2026-11-20T10:00:00Z",
            at("2026-11-20T10:00:29Z")
        ));
        assert!(!joins_window(
            "2026-11-20T10:00:00Z",
            at("2026-11-20T10:00:30Z")
        ));
        assert!(!joins_window(
            "2026-11-20T10:00:00Z",
            at("2026-11-20T10:01:00Z")
        ));
        // buckets: a request at :29 and its retry at :31 fall in neighbouring buckets, and the
        // retry looks at the previous one
        let b1 = at("2026-11-20T10:00:29Z").timestamp().div_euclid(30);
        let b2 = at("2026-11-20T10:00:31Z").timestamp().div_euclid(30);
        assert_eq!(b2, b1 + 1);
        assert_ne!(derived_key("f", b1), derived_key("f", b2));
    }

    #[test]
    fn a_completed_intent_is_in_no_index() {
        let item = serde_json::to_value(SendIntentItem::default()).unwrap();
        for index in keys::INDEXES {
            assert!(item.get(index.partition).is_none(), "{}", index.partition);
        }
    }

    #[test]
    fn the_tag_goes_before_type_and_replaces_the_callers_field() {
        let message = json!({"messaging_product": "whatsapp", "to": "1", "biz_opaque_callback_data": "mine", "type": "text", "text": {"body": "ok"}});
        let out = tagged(&message, "k", Some("mine"));
        assert_eq!(out["biz_opaque_callback_data"], "wl1:1:kmine");
        let keys: Vec<_> = out.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys.iter()
                .filter(|k| *k == "biz_opaque_callback_data")
                .count(),
            1
        );
    }
}
