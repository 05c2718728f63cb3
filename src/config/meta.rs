//! Direct Meta webhooks and the Graph API sender (`META_*`, `GRAPH_*`).

use super::error::ConfigError;

/// Direct Meta webhooks and the Graph API sender. The secret values are as configured: a
/// value, or the ARN of a Secrets Manager secret or SSM parameter that `build_ctx` reads once
/// ([`crate::secrets`]).
#[derive(Clone, Default, PartialEq)]
pub struct MetaConfig {
    /// `META_VERIFY_TOKEN`.
    pub verify_token: Option<String>,
    /// `META_APP_SECRET`: one secret, or several separated by commas (rotation).
    pub app_secret: Option<String>,
    /// `META_REPLAY_WINDOW_SECS`: off when absent.
    pub replay_window_secs: Option<u64>,
    /// `GRAPH_API_TOKEN`: the access token of the Graph API sender.
    pub graph_token: Option<String>,
    /// `GRAPH_API_URL` (default `https://graph.facebook.com`).
    pub graph_api_url: String,
    /// `GRAPH_API_VERSION` (default `META_API_VERSION`).
    pub graph_api_version: String,
}

/// The Graph API's address unless `GRAPH_API_URL` names another (tests, a proxy).
pub const DEFAULT_GRAPH_API_URL: &str = "https://graph.facebook.com";

impl std::fmt::Debug for MetaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A value that is an ARN is shown (it is not secret); a secret value is not.
        let shown = |v: &Option<String>| match v.as_deref() {
            None => "none".to_string(),
            Some(arn) if arn.starts_with("arn:") => arn.to_string(),
            Some(_) => "<set>".to_string(),
        };
        f.debug_struct("MetaConfig")
            .field("verify_token", &shown(&self.verify_token))
            .field("app_secret", &shown(&self.app_secret))
            .field("replay_window_secs", &self.replay_window_secs)
            .field("graph_token", &shown(&self.graph_token))
            .field("graph_api_url", &self.graph_api_url)
            .field("graph_api_version", &self.graph_api_version)
            .finish()
    }
}

impl MetaConfig {
    /// `META_*` and `GRAPH_*`.
    pub(super) fn read(non_empty: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let replay_window_secs = match non_empty("META_REPLAY_WINDOW_SECS") {
            None => None,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(ConfigError {
                        name: "META_REPLAY_WINDOW_SECS",
                        value: v,
                        reason: "must be a whole number of seconds above 0",
                    });
                }
            },
        };
        let meta_api_version = non_empty("META_API_VERSION")
            .unwrap_or_else(|| handlers::ctx::DEFAULT_META_API_VERSION.into());
        Ok(MetaConfig {
            verify_token: non_empty("META_VERIFY_TOKEN"),
            app_secret: non_empty("META_APP_SECRET"),
            replay_window_secs,
            graph_token: non_empty("GRAPH_API_TOKEN"),
            graph_api_url: non_empty("GRAPH_API_URL")
                .unwrap_or_else(|| DEFAULT_GRAPH_API_URL.into())
                .trim_end_matches('/')
                .to_string(),
            graph_api_version: non_empty("GRAPH_API_VERSION").unwrap_or(meta_api_version),
        })
    }
}
