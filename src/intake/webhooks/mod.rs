//! Webhook routes: API Gateway requests whose path names a webhook source are answered here,
//! verified by their signature instead of the caller's API scopes. Each source is one file.
//!
//! - `GET|POST …/webhooks/meta`: Meta (WhatsApp Cloud API, Instagram, Messenger), [`meta`].

pub mod meta;

use aws_lambda_events::query_map::QueryMap;
use handlers::Ctx;
use http::{HeaderMap, Method};

/// A webhook source, from the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookSource {
    Meta,
}

/// The webhook source a path names: its last two segments (`/webhooks/meta`), so that a stage
/// or base-path prefix (`/prod/webhooks/meta`) does not matter.
pub fn source_of(path: &str) -> Option<WebhookSource> {
    let path = path.trim_end_matches('/');
    if path.ends_with("/webhooks/meta") {
        Some(WebhookSource::Meta)
    } else {
        None
    }
}

/// What a webhook route needs from a proxy request (REST v1 or HTTP API v2).
pub struct WebhookRequest<'a> {
    pub method: &'a Method,
    /// Case-insensitive by construction (`http::HeaderMap`).
    pub headers: &'a HeaderMap,
    pub query: &'a QueryMap,
    pub body: Option<&'a str>,
    pub is_base64_encoded: bool,
}

/// A webhook route's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookResponse {
    pub status: i64,
    pub content_type: &'static str,
    pub body: String,
}

impl WebhookResponse {
    pub fn json(status: i64, body: &serde_json::Value) -> Self {
        WebhookResponse {
            status,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    pub fn text(status: i64, body: impl Into<String>) -> Self {
        WebhookResponse {
            status,
            content_type: "text/plain",
            body: body.into(),
        }
    }
}

/// Answers a webhook request of `source`.
pub async fn handle(
    ctx: &Ctx,
    source: WebhookSource,
    request: &WebhookRequest<'_>,
) -> WebhookResponse {
    match source {
        WebhookSource::Meta => meta::handle(ctx, request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_sources_whatever_the_prefix() {
        assert_eq!(source_of("/webhooks/meta"), Some(WebhookSource::Meta));
        assert_eq!(source_of("/prod/webhooks/meta/"), Some(WebhookSource::Meta));
        assert_eq!(source_of("/"), None);
        assert_eq!(source_of("/webhooks/metadata"), None);
    }
}
