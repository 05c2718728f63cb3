//! A local HTTP stand-in for EUM Social: the real SDK is pointed at it (endpoint override), it
//! records every request, and answers as the service would, or with the errors it is told to.
//! `GetWhatsAppMessageMedia` writes the object into S3 (moto) as EUM does.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One request as EUM Social received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
    /// The EUM Social operation the service model binds it to (empty when none is).
    pub operation: String,
    /// When it arrived, in ms on the stand-in's clock (the wall clock unless a test gave one
    /// with [`StandIn::use_clock`]).
    pub at_ms: i64,
}

impl Seen {
    /// The Meta JSON inside a `SendWhatsAppMessage` request.
    pub fn message(&self) -> Value {
        let b64 = self.body["message"].as_str().expect("message blob");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        serde_json::from_slice(&bytes).expect("Meta JSON")
    }
}

/// An error EUM Social answers with.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub kind: &'static str,
    pub message: &'static str,
}

pub const THROTTLED: Failure = Failure {
    status: 429,
    kind: "ThrottledRequestException",
    message: "Rate exceeded",
};
pub const INVALID: Failure = Failure {
    status: 400,
    kind: "ValidationException",
    message: "Invalid parameter: message.to",
};
pub const NOT_FOUND: Failure = Failure {
    status: 404,
    kind: "ResourceNotFoundException",
    message: "Phone number not found",
};
pub const DENIED: Failure = Failure {
    status: 403,
    kind: "AccessDeniedException",
    message: "Not authorized",
};
pub const INTERNAL: Failure = Failure {
    status: 500,
    kind: "InternalServiceException",
    message: "Internal error",
};

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    /// Requests the service model refused: the operation (or `METHOD path`) and why.
    refused: Vec<(String, String)>,
    failures: VecDeque<Failure>,
    next: u32,
    /// Answers queued for one operation ("METHOD /path"), used before the defaults.
    answers: std::collections::HashMap<String, VecDeque<Value>>,
    /// The clock requests are stamped with.
    clock: Option<Arc<dyn Fn() -> i64 + Send + Sync>>,
}

#[derive(Clone)]
pub struct StandIn {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl StandIn {
    /// Starts on a free loopback port. With `s3`, media downloads write into that bucket.
    pub async fn start(s3: Option<(aws_sdk_s3::Client, String)>) -> StandIn {
        // Loaded here, on the test's thread, so a missing model fails the test saying where it
        // was looked for (not a dropped connection).
        crate::eum_model::model();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                let s3 = s3.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(state.clone(), s3.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        StandIn { url, state }
    }

    /// The next requests fail with these, in order.
    pub fn fail_next(&self, failures: &[Failure]) {
        self.state
            .lock()
            .unwrap()
            .failures
            .extend(failures.iter().cloned());
    }

    /// The next request to `method path` (e.g. `GET /v1/whatsapp/template/list`) is answered
    /// with `body` (in order, when called more than once).
    pub fn answer_next(&self, method: &str, path: &str, body: Value) {
        self.state
            .lock()
            .unwrap()
            .answers
            .entry(format!("{method} {path}"))
            .or_default()
            .push_back(body);
    }

    /// Stamps requests with `clock` (a test's driven clock) instead of the wall clock.
    pub fn use_clock(&self, clock: Arc<dyn Fn() -> i64 + Send + Sync>) {
        self.state.lock().unwrap().clock = Some(clock);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn last(&self) -> Seen {
        self.seen()
            .last()
            .cloned()
            .expect("a request reached the stand-in")
    }

    /// Requests the service model refused, as `(operation, EUM's message)`.
    pub fn refused(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().refused.clone()
    }

    pub fn clear(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// A real aws-sdk-socialmessaging client pointed at the stand-in.
    pub async fn client(&self, max_attempts: u32) -> aws_sdk_socialmessaging::Client {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let config = aws_sdk_socialmessaging::config::Builder::from(&shared)
            .endpoint_url(&self.url)
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(std::time::Duration::from_millis(10)),
            )
            .build();
        aws_sdk_socialmessaging::Client::from_conf(config)
    }
}

async fn answer(
    state: Arc<Mutex<State>>,
    s3: Option<(aws_sdk_s3::Client, String)>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        body: body.clone(),
        operation: String::new(),
        at_ms: 0,
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // EUM Social validates every request against its model before anything else.
    let checked =
        crate::eum_model::model().check(&seen.method, &seen.path, &seen.query, &headers, &body);
    if let Ok(operation) = &checked {
        seen.operation.clone_from(operation);
    }
    let (failure, n, queued) = {
        let mut state = state.lock().unwrap();
        seen.at_ms = match &state.clock {
            Some(clock) => clock(),
            None => chrono::Utc::now().timestamp_millis(),
        };
        state.seen.push(seen.clone());
        if let Err((status, kind, message)) = checked {
            state
                .refused
                .push((format!("{} {}", seen.method, seen.path), message.clone()));
            drop(state);
            return Ok(Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .header("x-amzn-errortype", kind)
                .body(Full::new(Bytes::from(
                    json!({"message": message}).to_string(),
                )))
                .unwrap());
        }
        state.next += 1;
        let queued = state
            .answers
            .get_mut(&format!("{} {}", seen.method, seen.path))
            .and_then(VecDeque::pop_front);
        (state.failures.pop_front(), state.next, queued)
    };
    if let Some(f) = failure {
        return Ok(Response::builder()
            .status(f.status)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", f.kind)
            .body(Full::new(Bytes::from(
                json!({"message": f.message}).to_string(),
            )))
            .unwrap());
    }
    let out = match (seen.method.as_str(), seen.path.as_str()) {
        _ if queued.is_some() => queued.unwrap_or_default(),
        // Templates and flows (tests/it/templates.rs, flows.rs): what EUM answers by default.
        ("GET", "/v1/whatsapp/template/list") => json!({"templates": []}),
        // A template the test did not give: EUM answers that it does not exist.
        ("GET", "/v1/whatsapp/template") => {
            return Ok(Response::builder()
                .status(404)
                .header("content-type", "application/json")
                .header("x-amzn-errortype", "ResourceNotFoundException")
                .body(Full::new(Bytes::from(
                    json!({"message": "Template not found"}).to_string(),
                )))
                .unwrap());
        }
        ("POST", "/v1/whatsapp/template/put" | "/v1/whatsapp/template/create") => {
            json!({"metaTemplateId": format!("16895569081{n:05}"), "templateStatus": "PENDING", "category": "UTILITY"})
        }
        ("POST", "/v1/whatsapp/template/media") => {
            json!({"metaHeaderHandle": format!("4::aW1hZ2UvanBlZw==:ARZ{n:04}")})
        }
        ("POST", "/v1/whatsapp/template/library") => json!({"metaLibraryTemplates": []}),
        ("POST", "/v1/whatsapp/flow/create") => {
            json!({"flowId": format!("12345678901{n:05}"), "validationErrors": []})
        }
        ("GET", "/v1/whatsapp/flow/list") => json!({"flows": []}),
        ("GET", "/v1/whatsapp/flow/assets") => json!({"flowAssets": []}),
        ("POST", "/v1/whatsapp/flow/assets/update") => json!({"validationErrors": []}),
        // A read receipt creates no message: no messageId comes back.
        ("POST", "/v1/whatsapp/send") if seen.message().get("status").is_some() => json!({}),
        ("POST", "/v1/whatsapp/send") => json!({"messageId": format!("wamid.STANDIN{n:04}")}),
        ("POST", "/v1/whatsapp/media") => json!({"mediaId": format!("77000{n:04}")}),
        ("POST", "/v1/whatsapp/media/get") => {
            let media_id = body["mediaId"].as_str().unwrap_or_default();
            let prefix = body["destinationS3File"]["key"]
                .as_str()
                .unwrap_or_default();
            let bytes = format!("JPEG bytes of {media_id}").into_bytes();
            let size = bytes.len();
            if let Some((client, bucket)) = &s3 {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(format!("{prefix}{media_id}.jpg"))
                    .content_type("image/jpeg")
                    .body(bytes.into())
                    .send()
                    .await
                    .expect("stand-in writes into S3");
            }
            json!({"mimeType": "image/jpeg", "fileSize": size})
        }
        ("DELETE", "/v1/whatsapp/media") => json!({"success": true}),
        (method, path)
            if path.starts_with("/v1/whatsapp/waba") || path.starts_with("/v1/whatsapp/call") =>
        {
            crate::platform_standin::standin_answer(method, path, &seen.query, &body)
        }
        _ => json!({}),
    };
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(out.to_string())))
        .unwrap())
}
