//! `whatsapp-lambda serve`: a local HTTP server for trying the product with curl.
//!
//! - `POST /events` (or `/invoke`): the body is a raw Lambda event (SNS, SQS, ...), answered
//!   with the handler's response JSON (502 when the invocation would fail and be retried).
//! - Any other request becomes an API Gateway HTTP API (v2) request
//!   (`ApiGatewayV2httpRequest`) answered by [`intake::handle_http_api`], the function API
//!   Gateway events go through, so `curl -X POST localhost:3000/ -d '{"action":"get_conversations"}'`
//!   works exactly as it would behind API Gateway.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;

use aws_lambda_events::event::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::USER_AGENT;
use http::request::Parts;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::intake;

/// Serves until the process is stopped.
///
/// # Errors
/// The address cannot be bound.
pub async fn run(ctx: handlers::Ctx, addr: &str) -> std::io::Result<()> {
    serve(ctx, TcpListener::bind(addr).await?).await
}

/// Serves on an already bound listener until the process is stopped.
///
/// # Errors
/// Accepting a connection fails.
pub async fn serve(ctx: handlers::Ctx, listener: TcpListener) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    tracing::info!(%local, store = %ctx.store().describe(), "listening");
    eprintln!(
        "whatsapp-lambda serving on http://{local} (store: {})",
        ctx.store().describe()
    );
    loop {
        let (stream, peer) = listener.accept().await?;
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(ctx.clone(), req, peer));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection closed");
            }
        });
    }
}

async fn answer(
    ctx: handlers::Ctx,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return Ok(json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": e.to_string()}),
            ));
        }
    };
    let path = parts.uri.path();
    if parts.method == hyper::Method::POST && (path == "/events" || path == "/invoke") {
        let event: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                return Ok(json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": format!("the body is not a JSON Lambda event: {e}")}),
                ));
            }
        };
        return Ok(match intake::handle(&ctx, event).await {
            Ok(response) => json_response(StatusCode::OK, &response),
            Err(failure) => json_response(
                StatusCode::BAD_GATEWAY,
                &json!({"errorType": "RetryableFailure", "errorMessage": failure.to_string()}),
            ),
        });
    }
    let request = api_gateway_request(&parts, &bytes, peer);
    let response = intake::handle_http_api(&ctx, &request).await;
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
    Ok(answer)
}

/// The event an API Gateway HTTP API (v2) would hand Lambda for this HTTP request; a body
/// that is not UTF-8 goes base64-encoded, as API Gateway sends it.
fn api_gateway_request(parts: &Parts, body: &[u8], peer: SocketAddr) -> ApiGatewayV2httpRequest {
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
    let mut request = ApiGatewayV2httpRequest::default();
    request.version = Some("2.0".into());
    request.route_key = Some("$default".into());
    request.raw_path = Some(path);
    request.raw_query_string = Some(query.to_string());
    request.headers = parts.headers.clone();
    request.query_string_parameters = query_parameters(query);
    request.request_context = context;
    (request.body, request.is_base64_encoded) = match std::str::from_utf8(body) {
        Ok(text) => (Some(text.to_string()), false),
        Err(_) => (Some(BASE64.encode(body)), true),
    };
    request
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts")
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
