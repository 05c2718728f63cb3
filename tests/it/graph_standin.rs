//! A local HTTP stand-in for Meta's Graph API: the Graph sender (reqwest) is pointed at it
//! (`GRAPH_API_URL`), it records every request exactly (method, path, authorization, content
//! type, body) and answers as the Graph API does, or with what it is told to.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One request as the Graph API received it.
#[derive(Debug, Clone)]
pub struct GraphSeen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub raw: Vec<u8>,
    pub body: Value,
}

#[derive(Default)]
struct State {
    seen: Vec<GraphSeen>,
    /// (status, body) answers queued per "METHOD /path", used before the defaults.
    answers: HashMap<String, VecDeque<(u16, Value)>>,
    next: u32,
}

#[derive(Clone)]
pub struct GraphStandIn {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl GraphStandIn {
    pub async fn start() -> GraphStandIn {
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
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        GraphStandIn { url, state }
    }

    /// The next request to `method path` is answered with `status` and `body`.
    pub fn answer_next(&self, method: &str, path: &str, status: u16, body: Value) {
        self.state
            .lock()
            .unwrap()
            .answers
            .entry(format!("{method} {path}"))
            .or_default()
            .push_back((status, body));
    }

    pub fn seen(&self) -> Vec<GraphSeen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn last(&self) -> GraphSeen {
        self.seen()
            .last()
            .cloned()
            .expect("a request reached the Graph stand-in")
    }
}

async fn answer(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let raw = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let seen = GraphSeen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw,
    };
    let (queued, n) = {
        let mut state = state.lock().unwrap();
        state.seen.push(seen.clone());
        state.next += 1;
        let queued = state
            .answers
            .get_mut(&format!("{} {}", seen.method, seen.path))
            .and_then(VecDeque::pop_front);
        (queued, state.next)
    };
    let (status, body) = queued.unwrap_or_else(|| {
        if seen.path.ends_with("/me/messages") {
            (
                200,
                json!({"recipient_id": seen.body["recipient"]["id"], "message_id": format!("m_graph{n}")}),
            )
        } else if seen.path.ends_with("/messages") {
            (
                200,
                json!({"messaging_product": "whatsapp", "contacts": [{"input": seen.body["to"], "wa_id": seen.body["to"]}], "messages": [{"id": format!("wamid.GRAPH{n}")}]}),
            )
        } else {
            (404, json!({"error": {"message": "Unknown path", "type": "OAuthException", "code": 803}}))
        }
    });
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap())
}
