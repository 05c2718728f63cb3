//! API Gateway proxy events (REST v1 and HTTP API v2) → the action registry → a proxy response
//! whose HTTP status equals the body's `statusCode`.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use base64::Engine;
use handlers::Ctx;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

pub async fn handle(ctx: &Ctx, event: Value, v2: bool) -> Value {
    let answer = match request_of(&event) {
        Ok(request) => super::dispatch(ctx, request).await,
        Err(error) => json!({"statusCode": 400, "error": error}),
    };
    let status = answer
        .get("statusCode")
        .and_then(Value::as_i64)
        .unwrap_or(200);
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body = Some(Body::Text(answer.to_string()));
    let response = if v2 {
        let mut r = ApiGatewayV2httpResponse::default();
        r.status_code = status;
        r.headers = headers;
        r.body = body;
        serde_json::to_value(r)
    } else {
        let mut r = ApiGatewayProxyResponse::default();
        r.status_code = status;
        r.headers = headers;
        r.body = body;
        serde_json::to_value(r)
    };
    response.unwrap_or(answer)
}

/// The action request: the JSON body (base64 or not), or for a bodiless request the query
/// string (`GET /?action=ping`).
fn request_of(event: &Value) -> Result<Value, String> {
    let raw = event.get("body").and_then(Value::as_str).unwrap_or("");
    let base64 = event
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let text = if base64 {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|e| format!("the body is marked base64 but does not decode: {e}"))?;
        String::from_utf8(bytes).map_err(|_| "the body is not UTF-8 text".to_string())?
    } else {
        raw.to_string()
    };
    if text.trim().is_empty() {
        let query = event
            .get("queryStringParameters")
            .cloned()
            .unwrap_or(Value::Null);
        return match query {
            Value::Object(map) if !map.is_empty() => Ok(Value::Object(map)),
            _ => Err("the request has no body; send JSON like {\"action\": \"help\"}".into()),
        };
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Value::Object(map)),
        Ok(_) => Err("the body must be a JSON object like {\"action\": \"help\"}".into()),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}
