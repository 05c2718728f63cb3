//! Configuration of the webhook routes (Twilio, Wix), the Twilio sender and the fast-ack queue,
//! read once from the environment with the rest of [`crate::Config`].
//!
//! | Variable | Meaning |
//! |---|---|
//! | `TWILIO_ACCOUNT_SID` | the account the Twilio sender sends from (`SENDER=twilio`) |
//! | `TWILIO_AUTH_TOKEN` | verifies `X-Twilio-Signature` and authenticates the sender; several, comma-separated, during a rotation (the first sends); or the ARN of a Secrets Manager secret / SSM parameter holding them, read once at start-up |
//! | `TWILIO_API_BASE_URL` | Twilio's REST API (default `https://api.twilio.com`; a stand-in in tests) |
//! | `TWILIO_STATUS_CALLBACK_URL` | `StatusCallback` of every send (default `WEBHOOK_BASE_URL` + `/webhooks/twilio`) |
//! | `WEBHOOK_BASE_URL` | the public URL the routes are reached under, when the request cannot tell (custom domain, proxy) |
//! | `WIX_PUBLIC_KEY` | the Wix app's public key (PEM; `\n` escapes allowed; several PEM blocks for a rotation); or the ARN of a secret / parameter holding it |
//! | `ORDER_CONFIRMATION_TEMPLATE`, `ORDER_CONFIRMATION_LANGUAGE`, `ORDER_CONFIRMATION_PARAMS` | the template a new shop order sends the buyer |
//! | `FAST_ACK_QUEUE_URL`, `FAST_ACK_DLQ_URL` | verified webhooks go to this SQS queue and are answered at once |
//! | `FAST_ACK_MAX_RECEIVES` | the queue's `maxReceiveCount` (default 5) |

use std::fmt;

use handlers::ingress::{
    DEFAULT_MAX_RECEIVES, DEFAULT_ORDER_PARAMS, IngressSettings, OrderTemplate,
};

use crate::config::error::ConfigError;
use crate::secrets::reference::SecretRef;

/// The Twilio sender's account.
#[derive(Clone, PartialEq)]
pub struct TwilioAccount {
    pub account_sid: String,
    pub auth_token: String,
    pub api_base: String,
    pub status_callback: Option<String>,
}

impl fmt::Debug for TwilioAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioAccount")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("status_callback", &self.status_callback)
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
pub struct IngressConfig {
    pub settings: IngressSettings,
    pub twilio: Option<TwilioAccount>,
    pub fast_ack_queue_url: Option<String>,
    pub fast_ack_dlq_url: Option<String>,
    /// `TWILIO_AUTH_TOKEN` when it names a secret (Secrets Manager or SSM ARN): the tokens are
    /// read by [`crate::secrets::resolve_ingress`] at start-up, not kept in the environment.
    pub twilio_auth_token_arn: Option<String>,
    /// `WIX_PUBLIC_KEY` when it names a secret.
    pub wix_public_key_arn: Option<String>,
}

/// A comma-separated list, trimmed, without empty entries.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// PEM public keys in a variable: PEM blocks (real or `\n`-escaped newlines), else
/// comma-separated base64 bodies.
pub fn pem_keys(value: &str) -> Vec<String> {
    let text = value.replace("\\n", "\n");
    let blocks: Vec<String> = text
        .split("-----END PUBLIC KEY-----")
        .filter_map(|part| {
            part.split_once("-----BEGIN PUBLIC KEY-----")
                .map(|(_, b)| b)
        })
        .map(|body| body.split_whitespace().collect::<String>())
        .filter(|b| !b.is_empty())
        .collect();
    if !blocks.is_empty() {
        return blocks;
    }
    text.split(',')
        .map(|b| b.split_whitespace().collect::<String>())
        .filter(|b| !b.is_empty())
        .collect()
}

impl IngressConfig {
    /// # Errors
    /// [`ConfigError`] for an unusable `FAST_ACK_MAX_RECEIVES`, or a fast-ack queue without its DLQ.
    pub fn from_lookup(non_empty: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let max_receives = match non_empty("FAST_ACK_MAX_RECEIVES") {
            None => DEFAULT_MAX_RECEIVES,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => {
                    return Err(ConfigError {
                        name: "FAST_ACK_MAX_RECEIVES",
                        value: v,
                        reason: "must be a whole number from 1 to 1000 (the queue's maxReceiveCount)",
                    });
                }
            },
        };
        let fast_ack_queue_url = non_empty("FAST_ACK_QUEUE_URL");
        let fast_ack_dlq_url = non_empty("FAST_ACK_DLQ_URL");
        if let (Some(queue), None) = (&fast_ack_queue_url, &fast_ack_dlq_url) {
            return Err(ConfigError {
                name: "FAST_ACK_QUEUE_URL",
                value: queue.clone(),
                reason: "needs FAST_ACK_DLQ_URL too (the queue's dead-letter queue, for the monitor actions)",
            });
        }
        let public_base_url =
            non_empty("WEBHOOK_BASE_URL").map(|u| u.trim_end_matches('/').to_string());
        // A secret's ARN is read at start-up (`resolve`); until then the account has no token.
        let secret = |k: &str| non_empty(k).filter(|v| SecretRef::parse(v).is_remote());
        let twilio_auth_token_arn = secret("TWILIO_AUTH_TOKEN");
        let wix_public_key_arn = secret("WIX_PUBLIC_KEY");
        let tokens = match twilio_auth_token_arn {
            Some(_) => Vec::new(),
            None => non_empty("TWILIO_AUTH_TOKEN")
                .map(|v| split_list(&v))
                .unwrap_or_default(),
        };
        let token = tokens
            .first()
            .cloned()
            .or_else(|| twilio_auth_token_arn.as_ref().map(|_| String::new()));
        let twilio = match (non_empty("TWILIO_ACCOUNT_SID"), token) {
            (Some(account_sid), Some(token)) => Some(TwilioAccount {
                account_sid,
                auth_token: token,
                api_base: non_empty("TWILIO_API_BASE_URL")
                    .unwrap_or_else(|| "https://api.twilio.com".into())
                    .trim_end_matches('/')
                    .to_string(),
                status_callback: non_empty("TWILIO_STATUS_CALLBACK_URL").or_else(|| {
                    public_base_url
                        .as_ref()
                        .map(|b| format!("{b}/webhooks/twilio"))
                }),
            }),
            _ => None,
        };
        let order_template = non_empty("ORDER_CONFIRMATION_TEMPLATE").map(|name| OrderTemplate {
            name,
            language: non_empty("ORDER_CONFIRMATION_LANGUAGE").unwrap_or_else(|| "en_US".into()),
            params: non_empty("ORDER_CONFIRMATION_PARAMS")
                .unwrap_or_else(|| DEFAULT_ORDER_PARAMS.into())
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        });
        Ok(IngressConfig {
            settings: IngressSettings {
                twilio_auth_tokens: tokens,
                public_base_url,
                wix_public_keys: match wix_public_key_arn {
                    Some(_) => Vec::new(),
                    None => non_empty("WIX_PUBLIC_KEY")
                        .map(|v| pem_keys(&v))
                        .unwrap_or_default(),
                },
                order_template,
                fast_ack: fast_ack_queue_url.is_some(),
                max_receives,
            },
            twilio,
            fast_ack_queue_url,
            fast_ack_dlq_url,
            twilio_auth_token_arn,
            wix_public_key_arn,
        })
    }

    /// True when a setting names a secret to read at start-up (the AWS configuration is needed).
    pub fn has_secret_arns(&self) -> bool {
        self.twilio_auth_token_arn.is_some() || self.wix_public_key_arn.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tokens_and_the_queue_are_read() {
        let env = |k: &str| match k {
            "TWILIO_ACCOUNT_SID" => Some("AC1".to_string()),
            "TWILIO_AUTH_TOKEN" => Some("new, old".to_string()),
            "WEBHOOK_BASE_URL" => Some("https://api.example.com/prod/".to_string()),
            "WIX_PUBLIC_KEY" => Some(
                "-----BEGIN PUBLIC KEY-----\\nAAAA\\nBBBB\\n-----END PUBLIC KEY-----".to_string(),
            ),
            "FAST_ACK_QUEUE_URL" => Some("http://q".to_string()),
            "FAST_ACK_DLQ_URL" => Some("http://dlq".to_string()),
            _ => None,
        };
        let config = IngressConfig::from_lookup(&env).unwrap();
        assert_eq!(config.settings.twilio_auth_tokens, vec!["new", "old"]);
        assert_eq!(config.settings.wix_public_keys, vec!["AAAABBBB"]);
        assert!(config.settings.fast_ack);
        let twilio = config.twilio.unwrap();
        assert_eq!(
            twilio.status_callback.as_deref(),
            Some("https://api.example.com/prod/webhooks/twilio")
        );
        assert!(!format!("{twilio:?}").contains("new"));
        let no_dlq = |k: &str| (k == "FAST_ACK_QUEUE_URL").then(|| "http://q".to_string());
        assert_eq!(
            IngressConfig::from_lookup(&no_dlq).unwrap_err().name,
            "FAST_ACK_QUEUE_URL"
        );
    }
}
