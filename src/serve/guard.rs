//! The checks every request to `serve` passes before it is read (moved from serve.rs without
//! change): the address it is sent to (Host, Origin), the token, and the body's declared size.

use std::net::SocketAddr;
use std::time::Duration;

use http::header::{AUTHORIZATION, CONNECTION, CONTENT_LENGTH, HOST, ORIGIN};
use http::request::Parts;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{ServeOptions, json_response};
use crate::intake::Scopes;

/// The checks every request passes before it is read: host, origin, token; and the body's
/// limits.
pub(super) struct Guard {
    /// `host:port` (lowercase) a request may be addressed to.
    hosts: Vec<String>,
    /// The configured public hosts, which may also be reached as `https://` (a TLS proxy).
    public: Vec<String>,
    token: Option<String>,
    pub(super) scopes: Scopes,
    pub(super) max_body_bytes: usize,
    pub(super) body_timeout: Duration,
}

impl Guard {
    pub(super) fn new(local: SocketAddr, options: &ServeOptions) -> Self {
        let port = local.port();
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|h| format!("{h}:{port}"))
            .collect();
        if port == 80 {
            hosts.extend(["localhost", "127.0.0.1", "[::1]"].map(String::from));
        }
        if !local.ip().is_unspecified() && !local.ip().is_loopback() {
            hosts.push(local.to_string());
        }
        let public: Vec<String> = options
            .public_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        hosts.extend(public.iter().cloned());
        Guard {
            hosts,
            public,
            token: options.token.clone(),
            scopes: options.scopes,
            max_body_bytes: options.max_body_bytes,
            body_timeout: options.body_timeout,
        }
    }

    /// `None` when the request is addressed to this server (Host) from this server's pages
    /// (Origin, when sent), else the answer refusing it.
    pub(super) fn check_address(&self, parts: &Parts) -> Option<Response<Full<Bytes>>> {
        let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let Some(host) = header(HOST).map(str::to_ascii_lowercase) else {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                "the request has no Host header",
            ));
        };
        let authority = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_ascii_lowercase());
        if !self.hosts.contains(&host) || authority.is_some_and(|a| a != host) {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                &format!(
                    "Host `{host}` is not this server's (expected one of {}; set SERVE_PUBLIC_HOST to serve another name)",
                    self.hosts.join(", ")
                ),
            ));
        }
        if let Some(origin) = parts.headers.get(ORIGIN) {
            let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
            let same = origin == format!("http://{host}")
                || (self.public.contains(&host) && origin == format!("https://{host}"));
            if !same {
                return Some(refuse(
                    StatusCode::FORBIDDEN,
                    &format!(
                        "Origin `{origin}` is not this server's (http://{host}): cross-site requests are refused"
                    ),
                ));
            }
        }
        None
    }

    /// [`Guard::check`] for a webhook route: the address checks and the declared body size,
    /// without the token (the route verifies the sender's signature instead).
    pub(super) fn check_webhook(&self, parts: &Parts) -> Option<Response<Full<Bytes>>> {
        if let Some(refusal) = self.check_address(parts) {
            return Some(refusal);
        }
        let declared = (parts.headers.get(CONTENT_LENGTH))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        declared
            .filter(|n| *n > self.max_body_bytes as u64)
            .map(|_| too_large(self.max_body_bytes))
    }

    /// `None` when the request may go on, else the answer refusing it: the address checks, the
    /// token, the declared body size.
    pub(super) fn check(&self, parts: &Parts) -> Option<Response<Full<Bytes>>> {
        if let Some(refusal) = self.check_address(parts) {
            return Some(refusal);
        }
        let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(token) = &self.token {
            let given = header(AUTHORIZATION)
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            let ok = given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes())));
            if !ok {
                let mut answer = refuse(
                    StatusCode::UNAUTHORIZED,
                    "missing or wrong bearer token: send Authorization: Bearer <SERVE_TOKEN>",
                );
                answer
                    .headers_mut()
                    .insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
                return Some(answer);
            }
        }
        let declared = header(CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_body_bytes as u64) {
            return Some(too_large(self.max_body_bytes));
        }
        None
    }
}

/// A refusal in the envelope's shape; the connection is closed after it (the body may be
/// unread).
pub(super) fn refuse(status: StatusCode, error: &str) -> Response<Full<Bytes>> {
    let mut answer = json_response(
        status,
        &json!({"statusCode": status.as_u16(), "error": error}),
    );
    answer
        .headers_mut()
        .insert(CONNECTION, http::HeaderValue::from_static("close"));
    answer
}

/// A 405 naming the methods the route takes ([`crate::intake::Route::MethodNotAllowed`]).
pub(super) fn method_not_allowed(
    method: &http::Method,
    allow: &'static str,
) -> Response<Full<Bytes>> {
    let mut answer = refuse(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("this route takes {allow}, not {method}"),
    );
    answer
        .headers_mut()
        .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    answer
}

/// A 404 for a path a route covers but nothing answers.
pub(super) fn not_found() -> Response<Full<Bytes>> {
    refuse(StatusCode::NOT_FOUND, "nothing is served here")
}

pub(super) fn too_large(limit: usize) -> Response<Full<Bytes>> {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is larger than {limit} bytes (SERVE_MAX_BODY_BYTES)"),
    )
}
