//! `whatsapp-lambda serve`: a local HTTP server for trying the product with curl.
//!
//! - `POST /events` (or `/invoke`): the body is a raw Lambda event (SNS, SQS, ...), answered
//!   with the handler's response JSON (502 when the invocation would fail and be retried).
//! - Any other request becomes an API Gateway HTTP API (v2) event, so
//!   `curl -X POST localhost:3000/ -d '{"action":"get_conversations"}'` works exactly as it
//!   would behind API Gateway.

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
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
        let (stream, _) = listener.accept().await?;
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(ctx.clone(), req));
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
    let path = parts.uri.path().to_string();
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
    let query = parts.uri.query().unwrap_or("").to_string();
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        if let Ok(v) = value.to_str() {
            headers.insert(name.as_str().to_string(), Value::String(v.to_string()));
        }
    }
    let params = query_parameters(&query);
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
        "requestContext": {
            "http": {"method": parts.method.as_str(), "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": ""},
            "requestId": "local",
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": String::from_utf8_lossy(&bytes),
        "isBase64Encoded": false,
    });
    let proxy = match intake::handle(&ctx, event).await {
        Ok(v) => v,
        Err(failure) => {
            return Ok(json_response(
                StatusCode::BAD_GATEWAY,
                &json!({"error": failure.to_string()}),
            ));
        }
    };
    let status = proxy
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let body = proxy
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts"))
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts")
}

/// `k=v&...` as a browser encodes it (`+` is a space, `%XX` a byte; an invalid escape is kept
/// as written); a repeated key keeps its last value.
fn query_parameters(query: &str) -> Map<String, Value> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn query_values_are_percent_decoded() {
        let params = super::query_parameters("text=a%20b+c%2&&flag&x%3Dy=%zz&text2=caf%C3%A9");
        assert_eq!(
            serde_json::Value::Object(params),
            json!({"text": "a b c%2", "flag": "", "x=y": "%zz", "text2": "café"})
        );
    }
}
