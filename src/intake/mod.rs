//! Event intake: one function for every event Lambda can hand us. The source is detected
//! explicitly (as lambda_http does) and an event that is none of ours is answered with what was
//! seen, instead of a bare "did not match any variant".
//!
//! - SNS records (`Records[].EventSource == "aws:sns"`): EUM Social webhooks.
//! - SQS records (`"aws:sqs"`) whose body is an SNS notification or, with raw message
//!   delivery, the EUM event itself: failed records are answered in `batchItemFailures`.
//! - API Gateway REST (v1) and HTTP API (v2) proxy events carrying `{"action": ...}`, run
//!   within the caller's API scopes ([`access`]; [`handle_http_api`] is also what `serve`
//!   calls for each local HTTP request).
//! - Direct invocation `{"action": ...}` (Lambda console test events).
//! - Webhook routes of API Gateway (`…/webhooks/meta`), verified by signature instead of
//!   scopes ([`webhooks`]).

pub mod access;
mod apigw;
mod records;
pub mod route;
pub mod webhooks;

pub use access::{ApiAccess, Scopes};
pub use apigw::handle_http_api;
pub use route::{Route, Surface};

use handlers::registry::Category;
use handlers::{Ctx, REGISTRY, StoreError};
use serde_json::{Value, json};

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Sns,
    Sqs,
    ApiGatewayV1,
    ApiGatewayV2,
    Direct,
    /// The WebSocket API's `$connect` authorizer (live updates).
    LiveAuthorizer,
    /// A WebSocket API route: `$connect`, `$disconnect` or a message.
    LiveSocket,
}

/// An invocation that must fail so that Lambda (or SNS) delivers it again: a store that is
/// unavailable, or a fault of the deployment (access denied, a missing table), which is not the
/// payload's fault either. After Lambda's retries the DLQ keeps the event.
#[derive(Debug, thiserror::Error)]
#[error("{failed} record(s) hit a store fault and must be retried: {source}")]
pub struct RetryableFailure {
    pub failed: usize,
    #[source]
    pub source: StoreError,
}

impl From<RetryableFailure> for lambda_runtime::Diagnostic {
    fn from(failure: RetryableFailure) -> Self {
        let error_type = match failure.source {
            StoreError::Fault { .. } => "InfrastructureFault",
            _ => "RetryableFailure",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: failure.to_string(),
        }
    }
}

/// Runs an action through the registry, with a metric for each messaging action (each one is a
/// `SendWhatsAppMessage` call: the sends and `mark_read`).
pub(crate) async fn dispatch(ctx: &Ctx, request: Value) -> Value {
    let action = request
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let answer = REGISTRY.dispatch(ctx.clone(), request).await;
    let messaging = REGISTRY
        .get(&action)
        .is_some_and(|spec| spec.category == Category::Messaging);
    if messaging {
        crate::metrics::send(
            &action,
            answer
                .get("statusCode")
                .and_then(Value::as_i64)
                .unwrap_or(500),
            answer.pointer("/data/replayed") == Some(&Value::Bool(true)),
        );
    }
    answer
}

/// Tells which kind of event this is.
///
/// # Errors
/// A message saying what was seen, for an event that is none of ours.
pub fn detect(event: &Value) -> Result<Source, String> {
    if let Some(records) = event.get("Records") {
        let Some(first) = records.as_array().and_then(|r| r.first()) else {
            return Err("a `Records` field that is not a non-empty list".into());
        };
        let source = first
            .get("EventSource")
            .or_else(|| first.get("eventSource"))
            .and_then(Value::as_str);
        return match source {
            Some("aws:sns") => Ok(Source::Sns),
            Some("aws:sqs") => Ok(Source::Sqs),
            Some(other) => Err(format!(
                "records from event source `{other}` (only aws:sns and aws:sqs are handled)"
            )),
            None => Err("records without an EventSource".into()),
        };
    }
    if crate::live::socket::is_authorizer_event(event) {
        return Ok(Source::LiveAuthorizer);
    }
    if crate::live::socket::is_socket_event(event) {
        return Ok(Source::LiveSocket);
    }
    if let Some(ctx) = event.get("requestContext") {
        if ctx.get("http").is_some() || event.get("version").and_then(Value::as_str) == Some("2.0")
        {
            return Ok(Source::ApiGatewayV2);
        }
        if event.get("httpMethod").is_some() || ctx.get("httpMethod").is_some() {
            return Ok(Source::ApiGatewayV1);
        }
        return Err(
            "a `requestContext` that is neither an API Gateway REST nor an HTTP API proxy event"
                .into(),
        );
    }
    if event.get("action").is_some() {
        return Ok(Source::Direct);
    }
    Err(match event {
        Value::Object(map) if map.is_empty() => "an empty JSON object".into(),
        Value::Object(map) => format!(
            "a JSON object with keys [{}]",
            map.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        other => format!(
            "a JSON {}",
            match other {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "boolean",
                _ => "null",
            }
        ),
    })
}

/// Handles one invocation, API Gateway callers getting their scopes from their token only (no
/// `IAM_SCOPES` mapping): [`handle_with`] with [`ApiAccess::default`].
///
/// # Errors
/// As [`handle_with`].
pub async fn handle(ctx: &Ctx, event: Value) -> Result<Value, RetryableFailure> {
    handle_with(ctx, &ApiAccess::default(), event).await
}

/// Handles one invocation. API Gateway requests run only the actions their caller's scopes
/// allow (`access` says how IAM callers and scope prefixes are treated); a direct invocation
/// is already gated by `lambda:InvokeFunction` and may run every action.
///
/// # Errors
/// [`RetryableFailure`] for SNS records that hit a transient fault (the whole invocation is
/// retried; every write is idempotent). SQS answers its failures in `batchItemFailures` instead.
pub async fn handle_with(
    ctx: &Ctx,
    access: &ApiAccess,
    event: Value,
) -> Result<Value, RetryableFailure> {
    match detect(&event) {
        // Each path is boxed: their futures are large, and one invocation takes only one.
        Ok(Source::Sns) => Box::pin(records::handle_sns(ctx, event)).await,
        Ok(Source::Sqs) => Ok(Box::pin(records::handle_sqs(ctx, event)).await),
        Ok(Source::ApiGatewayV1) => Ok(Box::pin(apigw::handle(ctx, access, event, false)).await),
        Ok(Source::ApiGatewayV2) => Ok(Box::pin(apigw::handle(ctx, access, event, true)).await),
        Ok(Source::Direct) => Ok(Box::pin(dispatch(ctx, event)).await),
        Ok(Source::LiveAuthorizer) => Ok(crate::live::socket::authorize(ctx, &event).await),
        Ok(Source::LiveSocket) => Ok(crate::live::socket::route(ctx, &event).await),
        Err(seen) => {
            tracing::warn!(%seen, "unrecognised event");
            Ok(json!({
                "statusCode": 400,
                "error": format!(
                    "unrecognised event: saw {seen}; expected SNS or SQS records, an API Gateway proxy event, or {{\"action\": ...}}"
                ),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_source_and_names_the_unknown() {
        assert_eq!(
            detect(&json!({"Records":[{"EventSource":"aws:sns"}]})),
            Ok(Source::Sns)
        );
        assert_eq!(
            detect(&json!({"Records":[{"eventSource":"aws:sqs"}]})),
            Ok(Source::Sqs)
        );
        assert_eq!(
            detect(&json!({"version":"2.0","requestContext":{"http":{}}})),
            Ok(Source::ApiGatewayV2)
        );
        assert_eq!(
            detect(&json!({"httpMethod":"POST","requestContext":{}})),
            Ok(Source::ApiGatewayV1)
        );
        assert_eq!(detect(&json!({"action":"ping"})), Ok(Source::Direct));
        assert_eq!(
            detect(&json!({"Records":[{"eventSource":"aws:kinesis"}]})).unwrap_err(),
            "records from event source `aws:kinesis` (only aws:sns and aws:sqs are handled)"
        );
        assert_eq!(
            detect(&json!({"foo":1})).unwrap_err(),
            "a JSON object with keys [foo]"
        );
    }
}
