//! The WebSocket API's side of this function: the `$connect` authorizer and the
//! `$connect` / `$disconnect` routes (see [`handlers::live`]).

use chrono::Utc;
use handlers::Ctx;
use handlers::live;
use serde_json::{Value, json};

/// An API Gateway Lambda authorizer event of type REQUEST (the WebSocket `$connect`).
pub fn is_authorizer_event(event: &Value) -> bool {
    event.get("type").and_then(Value::as_str) == Some("REQUEST")
        && event.get("methodArn").is_some_and(Value::is_string)
}

/// A WebSocket route event: a `requestContext` with a `connectionId` and an `eventType`.
pub fn is_socket_event(event: &Value) -> bool {
    event
        .get("requestContext")
        .is_some_and(|c| c.get("connectionId").is_some() && c.get("eventType").is_some())
}

/// The authorizer: allows `$connect` when the `ticket` query parameter is a fresh ticket
/// (consumed here), and passes the phone it follows on as the context `phoneNumberId`. A
/// missing, used, expired or unreadable ticket is denied (API Gateway answers 403), and so is
/// one that could not be checked (the store failed: logged; the page retries with a new one).
pub async fn authorize(ctx: &Ctx, event: &Value) -> Value {
    let method_arn = event["methodArn"].as_str().unwrap_or_default();
    let ticket = event
        .pointer("/queryStringParameters/ticket")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let phone = live::redeem(ctx.store(), ticket, Utc::now())
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "live ticket not checked");
            None
        });
    let effect = if phone.is_some() { "Allow" } else { "Deny" };
    if phone.is_none() {
        crate::metrics::live_connection_refused();
        tracing::warn!("live connection refused: no valid ticket");
    }
    json!({
        "principalId": "live-ticket",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}],
        },
        "context": {"phoneNumberId": phone.unwrap_or_default()},
    })
}

/// `$connect` keeps the connection (following the phone its ticket named), `$disconnect`
/// forgets it; messages from the page are ignored (it only listens).
pub async fn route(ctx: &Ctx, event: &Value) -> Value {
    let context = &event["requestContext"];
    let connection_id = context["connectionId"].as_str().unwrap_or_default();
    let answer = |status: u16| json!({"statusCode": status});
    match context["eventType"].as_str() {
        Some("CONNECT") => {
            // Set by the authorizer; without it (no authorizer ran) nothing is kept.
            let Some(phone) = context
                .pointer("/authorizer/phoneNumberId")
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty())
            else {
                return answer(403);
            };
            let item = live::connection_item(connection_id, phone, Utc::now());
            match ctx.store().put_record(&item).await {
                Ok(()) => answer(200),
                Err(e) => {
                    tracing::error!(error = %e, "live connection not kept");
                    answer(500)
                }
            }
        }
        Some("DISCONNECT") => {
            let pk = handlers::keys::live_connection(connection_id);
            if let Err(e) = ctx.store().take_record(&pk).await {
                // The item expires with its TTL anyway.
                tracing::warn!(error = %e, "live connection not forgotten");
            }
            answer(200)
        }
        _ => answer(200),
    }
}
