//! API Gateway proxy events (REST v1 and HTTP API v2) → the action registry → a proxy response
//! whose HTTP status equals the body's `statusCode`.
//!
//! Both payload versions are read as `aws_lambda_events` types and answered by one function,
//! [`answer`], which first checks the caller's API scopes (`super::access`): a caller without
//! the action's scope gets a 403 naming it, and a GET or HEAD request may only run `read`
//! actions (405 otherwise), so a link or a query string never sends. `serve` builds an [`ApiGatewayV2httpRequest`] for each local HTTP request and
//! calls [`handle_http_api`], so a request to the local server takes the same path as one
//! behind API Gateway, without a JSON round trip.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use handlers::registry::Scope;
use handlers::{Ctx, REGISTRY};
use http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method};
use serde_json::{Map, Value, json};

use super::access::{ApiAccess, Caller};
use super::route::{Route, Surface};

/// Handles a proxy event Lambda delivered, `v2` for an HTTP API payload.
pub(super) async fn handle(ctx: &Ctx, access: &ApiAccess, event: Value, v2: bool) -> Value {
    let response = if v2 {
        let response = match serde_json::from_value::<ApiGatewayV2httpRequest>(event) {
            Ok(request) => handle_http_api(ctx, access, &request).await,
            Err(e) => http_api_response(not_a_proxy_event("HTTP API (v2)", &e)),
        };
        serde_json::to_value(response)
    } else {
        let response = match serde_json::from_value::<ApiGatewayProxyRequest>(event) {
            Ok(request) => {
                let (method, path) = (&request.http_method, request.path.as_deref());
                let parts =
                    match Route::of(Surface::ApiGateway, method, path.unwrap_or_default(), None) {
                        Route::Page => Some(page(ctx, method, path)),
                        Route::MethodNotAllowed { allow } => Some(not_allowed(method, allow)),
                        // Webhooks are verified by their signature, not by scopes.
                        route @ (Route::Webhook(_) | Route::MetaHandshake) => {
                            let source = route.webhook().unwrap_or("meta");
                            let webhook = super::webhooks::WebhookRequest::from_v1(&request);
                            let answer = super::webhooks::handle(ctx, source, &webhook).await.v1();
                            return serde_json::to_value(answer).unwrap_or_else(
                                |e| json!({"statusCode": 500, "error": e.to_string()}),
                            );
                        }
                        // `serve`'s own routes are never given for API Gateway.
                        Route::Action
                        | Route::Media
                        | Route::Live
                        | Route::Metrics
                        | Route::RawEvent => None,
                    };
                if let Some(parts) = parts {
                    return serde_json::to_value(rest_api_parts(parts))
                        .unwrap_or_else(|e| json!({"statusCode": 500, "error": e.to_string()}));
                }
                let caller = access.caller_v1(&request.request_context);
                rest_api_response(
                    answer(
                        ctx,
                        &caller,
                        &request.http_method,
                        request.body.as_deref(),
                        request.is_base64_encoded,
                        &request.query_string_parameters,
                    )
                    .await,
                )
            }
            Err(e) => rest_api_response(not_a_proxy_event("REST API (v1)", &e)),
        };
        serde_json::to_value(response)
    };
    // Serializing a status, a header map and a string cannot fail; say so if it ever does.
    response.unwrap_or_else(|e| json!({"statusCode": 500, "error": e.to_string()}))
}

/// Answers an API Gateway HTTP API (v2) request: the caller's scopes come from the request
/// context ([`ApiAccess::caller_v2`]), the action in its body (or, for a bodiless request, its
/// query string) goes through the registry when the caller may run it, and the response's
/// status is the answer's `statusCode`.
pub async fn handle_http_api(
    ctx: &Ctx,
    access: &ApiAccess,
    request: &ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse {
    let path = request
        .raw_path
        .as_deref()
        .or(request.request_context.http.path.as_deref());
    let method = &request.request_context.http.method;
    let source = match Route::of(Surface::ApiGateway, method, path.unwrap_or_default(), None) {
        Route::Page => return http_api_parts(page(ctx, method, path)),
        Route::MethodNotAllowed { allow } => return http_api_parts(not_allowed(method, allow)),
        // Webhooks are verified by their signature, not by scopes.
        route @ (Route::Webhook(_) | Route::MetaHandshake) => route.webhook(),
        // `serve`'s own routes are never given for API Gateway.
        Route::Action | Route::Media | Route::Live | Route::Metrics | Route::RawEvent => None,
    };
    if let Some(source) = source {
        let webhook = super::webhooks::WebhookRequest::from_v2(request);
        return super::webhooks::handle(ctx, source, &webhook).await.v2();
    }
    let caller = access.caller_v2(&request.request_context);
    http_api_response(
        answer(
            ctx,
            &caller,
            &request.request_context.http.method,
            request.body.as_deref(),
            request.is_base64_encoded,
            &request.query_string_parameters,
        )
        .await,
    )
}

/// The registry's answer to a proxy request; a 403 when the caller has no scopes or not the
/// one the action needs, a 405 for an action with side effects in a GET or HEAD request, and a
/// 400 naming what is wrong with a request that cannot be read. Refused actions do not run.
async fn answer(
    ctx: &Ctx,
    caller: &Caller,
    method: &Method,
    body: Option<&str>,
    base64: bool,
    query: &QueryMap,
) -> Value {
    if caller.scopes.is_empty() {
        tracing::warn!(via = %caller.via, "API request without scopes refused");
        return json!({
            "statusCode": 403,
            "error": format!(
                "the caller has no API scopes ({}): send a token whose `scope` claim names read, send, manage or admin, or call as an IAM principal listed in IAM_SCOPES",
                caller.via
            ),
        });
    }
    let request = match request_of(body, base64, query) {
        Ok(request) => request,
        Err(error) => return json!({"statusCode": 400, "error": error}),
    };
    let spec = request
        .get("action")
        .and_then(Value::as_str)
        .and_then(|name| REGISTRY.get(name));
    if let Some(spec) = spec {
        if (method == Method::GET || method == Method::HEAD) && spec.scope != Scope::Read {
            return json!({
                "statusCode": 405,
                "error": format!(
                    "`{}` has side effects (scope `{}`), so a {method} request cannot run it: send it as POST with a JSON body",
                    spec.name, spec.scope
                ),
            });
        }
        if !caller.scopes.allows(spec.scope) {
            tracing::warn!(action = spec.name, needs = %spec.scope, has = %caller.scopes, via = %caller.via, "action refused");
            return json!({
                "statusCode": 403,
                "error": format!(
                    "`{}` needs scope `{}`; the caller has {}",
                    spec.name, spec.scope, caller.scopes.names().iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    let changing = spec.filter(|s| s.scope != Scope::Read).map(|s| s.name);
    let phone = request
        .get("phoneNumberId")
        .or_else(|| request.get("phone_number_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| ctx.default_phone().map(str::to_string));
    let answer = Box::pin(super::dispatch(ctx, request)).await;
    // Deployed pages see what another page (or any client) changed.
    let succeeded = answer["statusCode"]
        .as_i64()
        .is_some_and(|s| (200..300).contains(&s));
    if let (Some(action), Some(live), true) = (changing, ctx.live(), succeeded) {
        let phones: Vec<String> = phone.into_iter().collect();
        live.changed(&phones, &json!({"source": "action", "action": action}))
            .await;
    }
    answer
}

/// The inbox page's files (`GET /inbox`, `GET /inbox/{file}`, [`Route::Page`]), served without
/// an authorizer: they hold no data; the page then calls the actions with the caller's JWT. The
/// page's policy lets it connect to the live WebSocket API (docs/inbox.md). An unknown file is
/// a 404.
fn page(ctx: &Ctx, method: &Method, path: Option<&str>) -> (i64, HeaderMap, Option<Body>) {
    let mut headers = HeaderMap::new();
    let Some(file) = path.and_then(|path| crate::page::find(path, false)) else {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        let text = "no such file of the inbox page\n".to_string();
        return (404, headers, Some(Body::Text(text)));
    };
    let live = ctx
        .live()
        .and_then(|live| crate::page::origin_of(live.socket_url()));
    let csp = crate::page::content_security_policy(live, None);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    for (name, value) in crate::page::headers(&csp) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    let body = (method == Method::GET).then(|| Body::Text(file.text.to_string()));
    (200, headers, body)
}

/// A 405 for a method the route does not take ([`Route::MethodNotAllowed`]): nothing runs.
fn not_allowed(method: &Method, allow: &'static str) -> (i64, HeaderMap, Option<Body>) {
    let answer = json!({
        "statusCode": 405,
        "error": format!("this route takes {allow}, not {method}"),
    });
    let (status, mut headers, body) = response_parts(&answer);
    headers.insert(ALLOW, HeaderValue::from_static(allow));
    (status, headers, body)
}

fn not_a_proxy_event(kind: &str, error: &serde_json::Error) -> Value {
    json!({
        "statusCode": 400,
        "error": format!("not an API Gateway {kind} proxy event: {error}"),
    })
}

/// The status, JSON content type and body both payload versions answer with.
fn response_parts(answer: &Value) -> (i64, HeaderMap, Option<Body>) {
    let status = answer
        .get("statusCode")
        .and_then(Value::as_i64)
        .unwrap_or(200);
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if status == 405 {
        headers.insert(ALLOW, HeaderValue::from_static("POST"));
    }
    (status, headers, Some(Body::Text(answer.to_string())))
}

fn http_api_response(answer: Value) -> ApiGatewayV2httpResponse {
    http_api_parts(response_parts(&answer))
}

fn http_api_parts(
    (status, headers, body): (i64, HeaderMap, Option<Body>),
) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = body;
    response
}

fn rest_api_response(answer: Value) -> ApiGatewayProxyResponse {
    rest_api_parts(response_parts(&answer))
}

fn rest_api_parts(
    (status, headers, body): (i64, HeaderMap, Option<Body>),
) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = body;
    response
}

/// The action request: the JSON body (base64 or not), or for a bodiless request the query
/// string (`GET /?action=ping`), a repeated parameter joined with commas as API Gateway does.
fn request_of(body: Option<&str>, base64: bool, query: &QueryMap) -> Result<Value, String> {
    let raw = body.unwrap_or("");
    let text = if base64 {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|e| format!("the body is marked base64 but does not decode: {e}"))?;
        String::from_utf8(bytes).map_err(|_| "the body is not UTF-8 text".to_string())?
    } else {
        raw.to_string()
    };
    if text.trim().is_empty() {
        if query.is_empty() {
            return Err("the request has no body; send JSON like {\"action\": \"help\"}".into());
        }
        let mut params = Map::new();
        for (key, value) in query.iter() {
            match params.get_mut(key) {
                Some(Value::String(joined)) => {
                    joined.push(',');
                    joined.push_str(value);
                }
                _ => {
                    params.insert(key.to_string(), Value::String(value.to_string()));
                }
            }
        }
        return Ok(Value::Object(params));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Value::Object(map)),
        Ok(_) => Err("the body must be a JSON object like {\"action\": \"help\"}".into()),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_bodiless_request_is_its_query_string() {
        let query = QueryMap::from(HashMap::from([
            ("action".to_string(), vec!["get_conversations".to_string()]),
            ("to".to_string(), vec!["a".to_string(), "b".to_string()]),
        ]));
        assert_eq!(
            request_of(None, false, &query),
            Ok(json!({"action": "get_conversations", "to": "a,b"}))
        );
        assert_eq!(
            request_of(Some(" "), false, &QueryMap::default()).unwrap_err(),
            "the request has no body; send JSON like {\"action\": \"help\"}"
        );
        assert_eq!(
            request_of(Some("[1]"), false, &query).unwrap_err(),
            "the body must be a JSON object like {\"action\": \"help\"}"
        );
    }
}
