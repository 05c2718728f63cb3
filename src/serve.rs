//! `whatsapp-lambda serve`: a local HTTP server for trying the product with curl, safe to leave
//! running.
//!
//! Each request's route is decided by method and path in one place, [`Route::of`], which API
//! Gateway's function uses too (`Surface::Serve` adds the local routes below); a path that
//! takes only some methods answers any other with 405 and `Allow`, and runs nothing.
//!
//! - `POST /events` (or `/invoke`): the body is a raw Lambda event (SNS, SQS, ...), answered
//!   with the handler's response JSON (502 when the invocation would fail and be retried). Raw
//!   events bypass the API scopes, so this path needs the `admin` scope.
//! - Any other request ([`Route::Action`]) becomes an API Gateway HTTP API (v2) request
//!   (`ApiGatewayV2httpRequest`) answered by [`crate::intake::handle_http_api`], the function API
//!   Gateway events go through, so `curl -X POST localhost:3000/ -d '{"action":"get_conversations"}'`
//!   works exactly as it would behind API Gateway. The server plays the authorizer: the request
//!   carries `authorizer.lambda.scopes` = [`ServeOptions::scopes`].
//!
//! Without the token (the address checks still apply):
//! - `GET|HEAD /` (without a query string), `/inbox` and `/inbox/*`: the inbox page ([`page`],
//!   docs/inbox.md), embedded in the binary. Its files hold no data.
//! - `GET|HEAD /media/<key>?expires=..&signature=..`: the links `get_media_url` answers for the
//!   local media store, checked by their signature instead of the token ([`media`]).
//! - `POST /webhooks/twilio`, `POST /webhooks/wix`, `GET|POST /webhooks/meta` (after any
//!   prefix): webhooks, verified by their signature instead of the bearer token
//!   (docs/ingress.md). Having skipped the token, they go to the function with no scopes at
//!   all, so they could never run an action.
//!
//! With the token: `GET /live`, Server-Sent Events telling open pages that something changed
//! ([`live`]); `GET /metrics`, Prometheus metrics ([`crate::prom`]); the raw events and actions.
//!
//! Before a request reaches any path ([`Guard`]; the page's files pass the Host and Origin
//! checks only):
//! - its `Host` must be a loopback name with the serving port (`localhost:3000`,
//!   `127.0.0.1:3000`, `[::1]:3000`), the bound address, or a configured public host, and an
//!   `Origin`, when sent, must be that same origin: a web page elsewhere cannot drive the server
//!   by DNS rebinding or a cross-site form (403);
//! - with a token (`SERVE_TOKEN`), `Authorization: Bearer <token>` (compared in constant time,
//!   401 otherwise). Without a token the server only starts on a loopback address;
//! - the body is at most [`ServeOptions::max_body_bytes`] (413) and arrives within
//!   [`ServeOptions::body_timeout`] (408); headers must arrive within
//!   [`ServeOptions::header_timeout`] or the connection is closed.

mod answer;
mod gateway;
mod guard;
pub mod live;
pub mod media;
mod page;
mod seed;

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::intake::{Route, Scopes, Surface};
use answer::{Handler, answer};
use guard::{Guard, method_not_allowed, not_found};
pub use live::Live;
pub use seed::seed;

/// A response body: whole (JSON, the page's files) or streamed (`/live`).
type Body = BoxBody<Bytes, Infallible>;

/// How the local server guards itself (`SERVE_*` variables, read by `Config`).
#[derive(Clone)]
pub struct ServeOptions {
    /// `SERVE_TOKEN`: every request must carry `Authorization: Bearer <token>`. Required to
    /// serve on an address that is not loopback.
    pub token: Option<String>,
    /// `SERVE_SCOPES`: the API scopes a request to the server gets (default all).
    pub scopes: Scopes,
    /// `SERVE_PUBLIC_HOST`: `host[:port]` names, besides loopback and the bound address, that
    /// requests may be addressed to (the name a reverse proxy or the LAN uses).
    pub public_hosts: Vec<String>,
    /// `SERVE_MAX_BODY_BYTES`: larger bodies are answered 413 (default 24 MiB: a 16 MB video,
    /// WhatsApp's largest but documents, uploaded from the page as base64).
    pub max_body_bytes: usize,
    /// `SERVE_HEADER_TIMEOUT_SECS`: a connection whose request headers do not arrive in time
    /// is closed (default 10 s).
    pub header_timeout: Duration,
    /// `SERVE_BODY_TIMEOUT_SECS`: a body that does not arrive in time is answered 408 and the
    /// connection closed (default 30 s).
    pub body_timeout: Duration,
}

/// The default body limit: 24 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 24 * 1024 * 1024;

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            token: None,
            scopes: Scopes::ALL,
            public_hosts: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeOptions")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("scopes", &self.scopes)
            .field("public_hosts", &self.public_hosts)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .finish()
    }
}

/// Why the server does not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to serve on {0} without SERVE_TOKEN: anyone who can reach that address could send messages as the business. Set SERVE_TOKEN (then send Authorization: Bearer <token>), or serve on 127.0.0.1"
    )]
    NoToken(SocketAddr),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Serves until the process is stopped.
///
/// # Errors
/// The address cannot be bound, or it is not loopback and no token is configured.
pub async fn run(ctx: handlers::Ctx, addr: &str, options: ServeOptions) -> Result<(), ServeError> {
    serve_with(ctx, TcpListener::bind(addr).await?, options).await
}

/// Serves on an already bound loopback listener with the default options (no token).
///
/// # Errors
/// As [`serve_with`].
pub async fn serve(ctx: handlers::Ctx, listener: TcpListener) -> Result<(), ServeError> {
    serve_with(ctx, listener, ServeOptions::default()).await
}

/// Serves on an already bound listener until the process is stopped.
///
/// # Errors
/// [`ServeError::NoToken`] when the listener is not on a loopback address and no token is
/// configured (before any request is accepted); accepting a connection fails.
pub async fn serve_with(
    ctx: handlers::Ctx,
    listener: TcpListener,
    options: ServeOptions,
) -> Result<(), ServeError> {
    let local = listener.local_addr()?;
    if options.token.is_none() && !local.ip().is_loopback() {
        return Err(ServeError::NoToken(local));
    }
    tracing::info!(%local, store = %ctx.store().describe(), token = options.token.is_some(), scopes = %options.scopes, "listening");
    eprintln!(
        "whatsapp-lambda serving on http://{local} (store: {}; {})",
        ctx.store().describe(),
        if options.token.is_some() {
            "requests need Authorization: Bearer $SERVE_TOKEN"
        } else {
            "no token: loopback only"
        }
    );
    let guard = Arc::new(Guard::new(local, &options));
    let header_timeout = options.header_timeout;
    let live = Live::default();
    // Links to media this server hands out (the local media store has no http links of its own).
    let links = Arc::new(media::MediaLinks::new(media_origin(local, &options)));
    let ctx = ctx.clone().with_media(Arc::new(media::ServedMedia::new(
        ctx.media_handle(),
        links.clone(),
    )));
    loop {
        let (stream, peer) = listener.accept().await?;
        let ctx = ctx.clone();
        let guard = guard.clone();
        let live = live.clone();
        let links = links.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let served = Served {
                    guard: guard.clone(),
                    live: live.clone(),
                    links: links.clone(),
                };
                route(ctx.clone(), served, req, peer)
            });
            if let Err(e) = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection closed");
            }
        });
    }
}

/// The origin media links point to: the first public host when one is configured (the name
/// pages reach this server by), else the bound address (127.0.0.1 for an unspecified one).
fn media_origin(local: SocketAddr, options: &ServeOptions) -> String {
    if let Some(public) = options
        .public_hosts
        .iter()
        .map(|h| h.trim())
        .find(|h| !h.is_empty())
    {
        return format!("http://{}", public.to_ascii_lowercase());
    }
    if local.ip().is_unspecified() {
        return format!("http://127.0.0.1:{}", local.port());
    }
    format!("http://{local}")
}

/// What every request of one server shares besides the context.
struct Served {
    guard: Arc<Guard>,
    live: Live,
    links: Arc<media::MediaLinks>,
}

/// Answers a request on its [`Route`], the decision API Gateway's function makes too: the
/// page's files, media links, the live stream and the metrics here; raw events, webhooks and
/// actions by [`answer`]. Only actions carry the server's scopes, and only behind its token.
async fn route(
    ctx: handlers::Ctx,
    served: Served,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    let Served { guard, live, links } = &served;
    let (parts, body) = req.into_parts();
    let (path, query) = (parts.uri.path(), parts.uri.query());
    let route = Route::of(Surface::Serve, &parts.method, path, query);
    let checked = |refusal: Option<Response<Full<Bytes>>>| refusal.map(|r| r.map(BodyExt::boxed));
    let answered = match route {
        Route::Page => checked(guard.check_address(&parts)).unwrap_or_else(|| {
            page::file(path, query, links.origin())
                .unwrap_or_else(|| not_found().map(BodyExt::boxed))
        }),
        // Media links carry their own signature instead of the token (an <img> sends none).
        Route::Media => match checked(guard.check_address(&parts)) {
            Some(refusal) => refusal,
            None => {
                let head = parts.method == hyper::Method::HEAD;
                let range = (parts.headers.get(http::header::RANGE)).and_then(|v| v.to_str().ok());
                media::answer(ctx.media(), links, path, query, range, head).await
            }
        },
        Route::Metrics => match checked(guard.check(&parts)) {
            Some(refusal) => refusal,
            None => Response::builder()
                .header(
                    "content-type",
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )
                .body(Full::new(Bytes::from(crate::prom::render(&ctx).await)))
                .expect("static response parts")
                .map(BodyExt::boxed),
        },
        Route::Live => checked(guard.check(&parts)).unwrap_or_else(|| live.stream()),
        // Nothing runs, so the token is not needed to be told so.
        Route::MethodNotAllowed { allow } => checked(guard.check_address(&parts))
            .unwrap_or_else(|| method_not_allowed(&parts.method, allow).map(BodyExt::boxed)),
        Route::RawEvent | Route::Webhook(_) | Route::MetaHandshake | Route::Action => {
            let handler = match route {
                Route::RawEvent => Handler::RawEvent,
                Route::Action => Handler::Action,
                _ => Handler::Webhook,
            };
            answer(ctx, &served, handler, parts, body, peer)
                .await
                .map(BodyExt::boxed)
        }
    };
    Ok(answered)
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_token_is_not_printed() {
        let options = super::ServeOptions {
            token: Some("s3cret-s3cret-s3cret".into()),
            ..Default::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
