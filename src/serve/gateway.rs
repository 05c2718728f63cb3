//! The API Gateway HTTP API (v2) event `serve` builds for each local HTTP request (moved
//! from serve.rs without change).

use std::collections::HashMap;
use std::net::SocketAddr;

use aws_lambda_events::event::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::USER_AGENT;
use http::request::Parts;
use serde_json::Value;

use crate::intake::Scopes;

/// The event an API Gateway HTTP API (v2) would hand Lambda for this HTTP request; a body
/// that is not UTF-8 goes base64-encoded, as API Gateway sends it.
/// The server is the authorizer: the request's `authorizer.lambda.scopes` are `scopes`.
pub(super) fn api_gateway_request(
    parts: &Parts,
    body: &[u8],
    peer: SocketAddr,
    scopes: Scopes,
) -> ApiGatewayV2httpRequest {
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("");
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(path.clone());
    http.protocol = Some(format!("{:?}", parts.version));
    http.source_ip = Some(peer.ip().to_string());
    http.user_agent = parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = http;
    context.request_id = Some("local".into());
    context.route_key = Some("$default".into());
    context.stage = Some("$default".into());
    // The server is the authorizer: a request that skipped its token (a webhook) gets no
    // authorizer at all, so that it could never run an action.
    if !scopes.is_empty() {
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer
            .fields
            .insert("scopes".into(), Value::String(scopes.to_string()));
        authorizer
            .fields
            .insert("principalId".into(), Value::String("serve".into()));
        context.authorizer = Some(authorizer);
    }
    let mut request = ApiGatewayV2httpRequest::default();
    request.version = Some("2.0".into());
    request.route_key = Some("$default".into());
    request.raw_path = Some(path);
    request.raw_query_string = Some(query.to_string());
    request.headers = parts.headers.clone();
    // The local server speaks plain HTTP: a signed webhook URL is http://host/path.
    if !request.headers.contains_key("x-forwarded-proto") {
        request
            .headers
            .insert("x-forwarded-proto", http::HeaderValue::from_static("http"));
    }
    request.query_string_parameters = query_parameters(query);
    request.request_context = context;
    (request.body, request.is_base64_encoded) = match std::str::from_utf8(body) {
        Ok(text) => (Some(text.to_string()), false),
        Err(_) => (Some(BASE64.encode(body)), true),
    };
    request
}

/// `k=v&...` as a browser encodes it (`+` is a space, `%XX` a byte; an invalid escape is kept
/// as written); a repeated key keeps each of its values.
fn query_parameters(query: &str) -> QueryMap {
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        params
            .entry(key.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    QueryMap::from(params)
}

#[cfg(test)]
mod tests {
    use crate::intake::{ApiAccess, Scopes};

    #[test]
    fn a_request_without_scopes_has_no_authorizer() {
        let (parts, ()) = http::Request::post("/webhooks/twilio")
            .body(())
            .unwrap()
            .into_parts();
        let peer = "127.0.0.1:9".parse().unwrap();
        let request = super::api_gateway_request(&parts, b"", peer, Scopes::NONE);
        assert!(request.request_context.authorizer.is_none());
        let caller = ApiAccess::default().caller_v2(&request.request_context);
        assert!(caller.scopes.is_empty(), "{caller:?}");
        let request = super::api_gateway_request(&parts, b"", peer, Scopes::ALL);
        let caller = ApiAccess::default().caller_v2(&request.request_context);
        assert_eq!(caller.scopes, Scopes::ALL);
    }

    #[test]
    fn query_values_are_percent_decoded() {
        let params = super::query_parameters("text=a%20b+c%2&&flag&x%3Dy=%zz&to=caf%C3%A9&to=b");
        assert_eq!(params.first("text"), Some("a b c%2"));
        assert_eq!(params.first("flag"), Some(""));
        assert_eq!(params.first("x=y"), Some("%zz"));
        assert_eq!(params.all("to"), Some(vec!["café", "b"]));
        assert_eq!(params.iter().count(), 5);
    }
}
