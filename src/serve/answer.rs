//! Requests whose body `serve` reads: raw Lambda events, webhooks and actions (moved from
//! serve.rs), each behind its own check; only actions carry the server's scopes.

use std::net::SocketAddr;

use handlers::REGISTRY;
use handlers::registry::Scope;
use http::request::Parts;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use super::gateway;
use super::guard::{refuse, too_large};
use super::json_response;
use crate::intake::{self, ApiAccess, Scopes};

/// What answers a request whose body is read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Handler {
    /// A raw Lambda event (token, scope `admin`).
    RawEvent,
    /// A webhook, verified by its sender's signature (Meta, Twilio, Wix) instead of the bearer
    /// token, which its sender cannot send; the address checks still apply
    /// (SERVE_PUBLIC_HOST). Having skipped the token, it carries no scopes.
    Webhook,
    /// An action (token), with the server's scopes.
    Action,
}

pub(super) async fn answer(
    ctx: handlers::Ctx,
    served: &super::Served,
    handler: Handler,
    parts: Parts,
    body: Incoming,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let super::Served { guard, live, .. } = served;
    let (refusal, scopes) = match handler {
        Handler::Webhook => (guard.check_webhook(&parts), Scopes::NONE),
        Handler::RawEvent | Handler::Action => (guard.check(&parts), guard.scopes),
    };
    if let Some(refusal) = refusal {
        return refusal;
    }
    let collected = tokio::time::timeout(
        guard.body_timeout,
        Limited::new(body, guard.max_body_bytes).collect(),
    )
    .await;
    let bytes = match collected {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return too_large(guard.max_body_bytes);
        }
        Ok(Err(e)) => {
            return refuse(StatusCode::BAD_REQUEST, &e.to_string());
        }
        Err(_) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the body did not arrive within {} s",
                    guard.body_timeout.as_secs_f64()
                ),
            );
        }
    };
    if handler == Handler::RawEvent {
        let path = parts.uri.path();
        if !guard.scopes.allows(Scope::Admin) {
            return json_response(
                StatusCode::FORBIDDEN,
                &json!({"statusCode": 403, "error": format!("raw events on {path} need scope `admin`; this server grants {}", guard.scopes)}),
            );
        }
        let event: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": format!("the body is not a JSON Lambda event: {e}")}),
                );
            }
        };
        let answer = match intake::handle(&ctx, event).await {
            Ok(response) => json_response(StatusCode::OK, &response),
            Err(failure) => json_response(
                StatusCode::BAD_GATEWAY,
                &json!({"errorType": "RetryableFailure", "errorMessage": failure.to_string()}),
            ),
        };
        // After the record is stored and answered for: a page reads what the event changed.
        live.notify(&json!({"source": "events"}));
        return answer;
    }
    let request = gateway::api_gateway_request(&parts, &bytes, peer, scopes);
    let response = intake::handle_http_api(&ctx, &ApiAccess::default(), &request).await;
    let succeeded = (200..300).contains(&response.status_code);
    let action = (handler == Handler::Action).then(|| changing_action(&bytes));
    if let (true, Some(action)) = (succeeded, action.flatten()) {
        live.notify(&json!({"source": "action", "action": action}));
    }
    let status = u16::try_from(response.status_code)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let body = response
        .body
        .map_or_else(Bytes::new, |body| Bytes::copy_from_slice(&body));
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = status;
    *answer.headers_mut() = response.headers;
    answer
}

/// The name of the action a request body runs, when that action may change what a page shows
/// (any scope but `read`).
fn changing_action(body: &[u8]) -> Option<&'static str> {
    #[derive(serde::Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        action: Option<std::borrow::Cow<'a, str>>,
    }
    let named: Named<'_> = serde_json::from_slice(body).ok()?;
    let spec = REGISTRY.get(named.action.as_deref()?)?;
    (spec.scope != Scope::Read).then_some(spec.name)
}
