//! Signature vectors: the expected digests were computed with
//! `printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"`, independently of this code.

use serde_json::json;

use super::*;

const BODY: &str = r#"{"object":"whatsapp_business_account","entry":[]}"#;
const BODY_SIG: &str = "sha256=0ca28c0f1996234eb6829e59ad3c11a18161f6eb043943d601e420c312432cdf";
const EMOJI_BODY: &str = r#"{"text":"Olá 👋 ção"}"#;
const EMOJI_SIG: &str = "sha256=94cd3df35f5cf1d4c6f22ab5d7a9623c3fe707f85417953a1fb85d5154542279";

fn secrets(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_valid_signature_verifies_and_sign_agrees_with_openssl() {
    let s = secrets(&["app-secret-1"]);
    assert_eq!(verify_signature(&s, Some(BODY_SIG), BODY.as_bytes()), Ok(0));
    assert_eq!(sign("app-secret-1", BODY.as_bytes()), BODY_SIG);
    // upper-case hex and prefix, surrounding spaces: still the same signature
    let shouting = format!(" SHA256={} ", BODY_SIG[7..].to_uppercase());
    assert_eq!(
        verify_signature(&s, Some(&shouting), BODY.as_bytes()),
        Ok(0)
    );
}

#[test]
fn non_ascii_and_emoji_bodies_are_signed_over_their_utf8_bytes() {
    let s = secrets(&["app-secret-1"]);
    assert_eq!(
        verify_signature(&s, Some(EMOJI_SIG), EMOJI_BODY.as_bytes()),
        Ok(0)
    );
    // the same JSON with the emoji escaped is another byte string: refused
    let escaped = r#"{"text":"Ol\u00e1 \ud83d\udc4b \u00e7\u00e3o"}"#;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(escaped).unwrap(),
        serde_json::from_str::<serde_json::Value>(EMOJI_BODY).unwrap()
    );
    assert_eq!(
        verify_signature(&s, Some(EMOJI_SIG), escaped.as_bytes()),
        Err(Refusal::Mismatch)
    );
}

#[test]
fn a_re_serialised_body_no_longer_verifies() {
    let s = secrets(&["app-secret-1"]);
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(BODY).unwrap())
            .unwrap();
    assert_ne!(pretty, BODY);
    assert_eq!(
        verify_signature(&s, Some(BODY_SIG), pretty.as_bytes()),
        Err(Refusal::Mismatch)
    );
}

#[test]
fn invalid_missing_and_malformed_signatures_are_refused() {
    let s = secrets(&["app-secret-1"]);
    let wrong = sign("another-secret", BODY.as_bytes());
    assert_eq!(
        verify_signature(&s, Some(&wrong), BODY.as_bytes()),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        verify_signature(&s, None, BODY.as_bytes()),
        Err(Refusal::Missing)
    );
    assert_eq!(
        verify_signature(&s, Some("  "), BODY.as_bytes()),
        Err(Refusal::Missing)
    );
    for bad in ["sha1=abcd", "0ca28c0f", "sha256=xyz", &BODY_SIG[..70]] {
        assert!(
            matches!(
                verify_signature(&s, Some(bad), BODY.as_bytes()),
                Err(Refusal::Malformed(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(
        verify_signature(&[], Some(BODY_SIG), BODY.as_bytes()),
        Err(Refusal::NotConfigured)
    );
}

#[test]
fn during_a_rotation_either_secret_verifies() {
    let s = secrets(&["new-secret", "app-secret-1"]);
    assert_eq!(verify_signature(&s, Some(BODY_SIG), BODY.as_bytes()), Ok(1));
    let new = sign("new-secret", BODY.as_bytes());
    assert_eq!(verify_signature(&s, Some(&new), BODY.as_bytes()), Ok(0));
    // once the old one is removed, its signatures stop verifying
    assert_eq!(
        verify_signature(&secrets(&["new-secret"]), Some(BODY_SIG), BODY.as_bytes()),
        Err(Refusal::Mismatch)
    );
}

#[test]
fn the_handshake_echoes_the_challenge_only_for_the_right_token() {
    let keys = MetaWebhookKeys {
        verify_token: Some("my-verify-token".into()),
        ..Default::default()
    };
    let ok = handshake(
        &keys,
        Some("subscribe"),
        Some("my-verify-token"),
        Some("1158201444"),
    );
    assert_eq!(ok, Ok("1158201444".to_string()));
    assert_eq!(
        handshake(&keys, Some("subscribe"), Some("guess"), Some("1")),
        Err(HandshakeError::WrongToken)
    );
    assert_eq!(
        handshake(&keys, Some("subscribe"), None, Some("1")),
        Err(HandshakeError::WrongToken)
    );
    assert_eq!(
        handshake(
            &keys,
            Some("unsubscribe"),
            Some("my-verify-token"),
            Some("1")
        ),
        Err(HandshakeError::NotSubscribe)
    );
    assert_eq!(
        handshake(&keys, Some("subscribe"), Some("my-verify-token"), None),
        Err(HandshakeError::NoChallenge)
    );
    assert_eq!(
        handshake(
            &MetaWebhookKeys::default(),
            Some("subscribe"),
            Some(""),
            Some("1")
        ),
        Err(HandshakeError::NotConfigured)
    );
}

#[test]
fn the_replay_window_reads_seconds_and_milliseconds() {
    let now = 1_763_632_800; // 2025-11-20T10:00:00Z
    let whatsapp =
        json!({"entry": [{"changes": [{"value": {"messages": [{"timestamp": "1763632790"}]}}]}]});
    assert_eq!(check_replay(&whatsapp, 300, now), Ok(()));
    let instagram = json!({"entry": [{"time": 1_763_632_700_000_i64, "messaging": [{"timestamp": 1_763_632_795_123_i64}]}]});
    assert_eq!(check_replay(&instagram, 300, now), Ok(()));
    // an hour old: refused
    let old =
        json!({"entry": [{"changes": [{"value": {"statuses": [{"timestamp": "1763629200"}]}}]}]});
    assert!(matches!(
        check_replay(&old, 300, now),
        Err(Refusal::Replay(why)) if why.contains("3600 s")
    ));
    // far in the future: refused too
    let future = json!({"entry": [{"time": now + 3600}]});
    assert!(check_replay(&future, 300, now).is_err());
    // nothing to check: refused while the window is on
    assert!(check_replay(&json!({"entry": [{}]}), 300, now).is_err());
}
