//! A webhook request read from an API Gateway proxy event (REST v1 or HTTP API v2), with the
//! public URL it was sent to rebuilt (Twilio signs the URL), and the answer in either shape.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use base64::Engine;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HOST, HeaderValue};

/// What a webhook handler needs from the request.
#[derive(Debug, Clone, Default)]
pub struct WebhookRequest {
    pub method: String,
    /// `Host` header, else the request context's `domainName`.
    pub host: String,
    /// `X-Forwarded-Proto`, else `https` (API Gateway is HTTPS only).
    pub scheme: String,
    /// The path the caller used, stage or base path included.
    pub path: String,
    /// The query string as sent (without `?`), empty when none.
    pub query: String,
    pub headers: HeaderMap,
    /// The body, decoded from base64 when API Gateway encoded it.
    pub body: String,
    /// The body exactly as API Gateway handed it (for signatures over the raw bytes).
    pub raw_body: Option<String>,
    /// API Gateway base64-encoded [`Self::raw_body`].
    pub is_base64_encoded: bool,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn decode(body: Option<&str>, base64: bool) -> String {
    let raw = body.unwrap_or_default();
    if !base64 {
        return raw.to_string();
    }
    base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

impl WebhookRequest {
    pub fn from_v2(request: &ApiGatewayV2httpRequest) -> Self {
        let context = &request.request_context;
        WebhookRequest {
            method: context.http.method.to_string(),
            host: header(&request.headers, HOST.as_str())
                .or_else(|| context.domain_name.clone())
                .unwrap_or_default(),
            scheme: header(&request.headers, "x-forwarded-proto").unwrap_or_else(|| "https".into()),
            path: request
                .raw_path
                .clone()
                .or_else(|| context.http.path.clone())
                .unwrap_or_default(),
            query: request.raw_query_string.clone().unwrap_or_default(),
            headers: request.headers.clone(),
            body: decode(request.body.as_deref(), request.is_base64_encoded),
            raw_body: request.body.clone(),
            is_base64_encoded: request.is_base64_encoded,
        }
    }

    pub fn from_v1(request: &ApiGatewayProxyRequest) -> Self {
        let context = &request.request_context;
        // REST API: `requestContext.path` has the stage (or the custom domain's base path);
        // the query is only given decoded, so it is encoded again in the order given.
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in request.multi_value_query_string_parameters.iter() {
            query.append_pair(key, value);
        }
        WebhookRequest {
            method: request.http_method.to_string(),
            host: header(&request.headers, HOST.as_str())
                .or_else(|| context.domain_name.clone())
                .unwrap_or_default(),
            scheme: header(&request.headers, "x-forwarded-proto").unwrap_or_else(|| "https".into()),
            path: context
                .path
                .clone()
                .or_else(|| request.path.clone())
                .unwrap_or_default(),
            query: query.finish(),
            headers: request.headers.clone(),
            body: decode(request.body.as_deref(), request.is_base64_encoded),
            raw_body: request.body.clone(),
            is_base64_encoded: request.is_base64_encoded,
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.headers, name)
    }

    /// The URL the sender called: `WEBHOOK_BASE_URL` + `/webhooks/{source}` when configured,
    /// else rebuilt from the scheme, host and path; the query string in both cases.
    pub fn public_url(&self, base: Option<&str>, source: &str) -> String {
        let mut url = match base {
            Some(base) => format!("{}/webhooks/{source}", base.trim_end_matches('/')),
            None => format!("{}://{}{}", self.scheme, self.host, self.path),
        };
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url
    }
}

/// A webhook's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl WebhookResponse {
    pub fn text(status: u16, body: &str) -> Self {
        WebhookResponse {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.to_string(),
        }
    }

    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        WebhookResponse {
            status,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    /// An empty TwiML answer: Twilio sends nothing back to the customer.
    pub fn twiml() -> Self {
        WebhookResponse {
            status: 200,
            content_type: "text/xml",
            body: r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#.into(),
        }
    }

    fn parts(&self) -> (i64, HeaderMap, Option<Body>) {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        (
            i64::from(self.status),
            headers,
            Some(Body::Text(self.body.clone())),
        )
    }

    pub fn v2(&self) -> ApiGatewayV2httpResponse {
        let mut response = ApiGatewayV2httpResponse::default();
        (response.status_code, response.headers, response.body) = self.parts();
        response
    }

    pub fn v1(&self) -> ApiGatewayProxyResponse {
        let mut response = ApiGatewayProxyResponse::default();
        (response.status_code, response.headers, response.body) = self.parts();
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_is_rebuilt_or_overridden() {
        let request = WebhookRequest {
            host: "abc.execute-api.eu-west-1.amazonaws.com".into(),
            scheme: "https".into(),
            path: "/prod/webhooks/twilio".into(),
            query: "a=1&b=x%20y".into(),
            ..Default::default()
        };
        assert_eq!(
            request.public_url(None, "twilio"),
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/webhooks/twilio?a=1&b=x%20y"
        );
        assert_eq!(
            request.public_url(Some("https://hooks.example.com/v1/"), "twilio"),
            "https://hooks.example.com/v1/webhooks/twilio?a=1&b=x%20y"
        );
    }
}
