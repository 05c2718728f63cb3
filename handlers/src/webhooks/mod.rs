//! Webhooks that reach the function straight from Meta (not through EUM Social): the checks
//! every request passes before anything is processed, and the processing of a verified body.
//!
//! # Layout
//! - this module: [`MetaWebhookKeys`], the configured secrets (already resolved: the root crate
//!   reads them from the environment, Secrets Manager or SSM once at init);
//! - `verify`: the subscription handshake, `X-Hub-Signature-256` and the replay window, as pure
//!   functions over bytes (no HTTP types, no SDK);
//! - `meta`: a verified body → WhatsApp entries through the EUM inbound path, Instagram and
//!   Messenger `messaging[]` events through [`crate::social`] ([`process_meta_payload`]).

mod meta;
mod verify;

pub use meta::{MetaOutcome, process_meta_payload};
pub use verify::{
    HandshakeError, Refusal, SIGNATURE_HEADER, check_replay, handshake, sign, verify_signature,
};

/// The secrets of direct Meta webhooks. Its `Debug` never prints a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MetaWebhookKeys {
    /// `META_VERIFY_TOKEN`: what `hub.verify_token` must equal in the subscription handshake.
    pub verify_token: Option<String>,
    /// `META_APP_SECRET`: the app secrets a signature may be made with (several during a
    /// rotation; any one of them verifies).
    pub app_secrets: Vec<String>,
    /// `META_REPLAY_WINDOW_SECS`: when set, a body whose newest timestamp is further than this
    /// from now is refused. Off by default (Meta retries a failed delivery for hours).
    pub replay_window_secs: Option<u64>,
}

impl MetaWebhookKeys {
    /// True when signed webhooks can be accepted (at least one app secret).
    pub fn accepts_posts(&self) -> bool {
        !self.app_secrets.is_empty()
    }
}

impl std::fmt::Debug for MetaWebhookKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaWebhookKeys")
            .field("verify_token", &self.verify_token.as_ref().map(|_| "<set>"))
            .field("app_secrets", &self.app_secrets.len())
            .field("replay_window_secs", &self.replay_window_secs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_a_secret() {
        let keys = MetaWebhookKeys {
            verify_token: Some("tok-123".into()),
            app_secrets: vec!["s3cret".into(), "0ld".into()],
            replay_window_secs: Some(300),
        };
        let shown = format!("{keys:?}");
        assert!(!shown.contains("tok-123") && !shown.contains("s3cret") && !shown.contains("0ld"));
        assert!(shown.contains("app_secrets: 2"), "{shown}");
    }
}
