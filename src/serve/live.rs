//! Live updates for open inbox pages: `GET /live` is a Server-Sent Events stream. Each change
//! the server makes (a raw event processed on `/events`, an action with side effects that
//! succeeded) is one `change` event naming its source; a page then reads what changed through
//! the actions, as any client does. The stream carries no stored data.
//!
//! The channel is a [`tokio::sync::broadcast`] owned by the server: [`Live::notify`] never
//! waits and never fails (with no page open the note is dropped, a page that lags is told to
//! reload what it shows), so a notification can neither delay nor fail the record.

use std::convert::Infallible;
use std::time::Duration;

use futures_util::stream;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Bytes, Frame};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::Body;

/// How many notes a slow page may fall behind before it is told it lagged.
const CAPACITY: usize = 64;

/// A comment line is sent this often, so that a page gone away is noticed and proxies keep the
/// stream open.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// The server's side of the live channel. Cheap to clone.
#[derive(Clone)]
pub struct Live {
    sender: broadcast::Sender<String>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Live {
    /// Tells every open page that something changed. Never waits, never fails.
    pub fn notify(&self, note: &Value) {
        // An error means no page is listening: nothing to do.
        let _ = self.sender.send(note.to_string());
    }

    /// How many pages are listening.
    pub fn listeners(&self) -> usize {
        self.sender.receiver_count()
    }

    /// The `GET /live` answer: an event stream that starts with `ready` and then carries one
    /// `change` event per note.
    pub fn stream(&self) -> Response<Body> {
        let receiver = self.sender.subscribe();
        let mut keepalive = tokio::time::interval(KEEPALIVE);
        keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let start = frame("ready", &json!({"listeners": self.listeners()}).to_string());
        let events = stream::unfold(
            (receiver, keepalive, Some(start)),
            |(mut receiver, mut keepalive, first)| async move {
                if let Some(first) = first {
                    // The interval's first tick is immediate: take it with the greeting.
                    keepalive.tick().await;
                    return Some((Ok(first), (receiver, keepalive, None)));
                }
                let chunk = tokio::select! {
                    note = receiver.recv() => match note {
                        Ok(note) => frame("change", &note),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            frame("change", &json!({"source": "lagged", "missed": missed}).to_string())
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = keepalive.tick() => Bytes::from_static(b": keepalive\n\n"),
                };
                Some((Ok(chunk), (receiver, keepalive, None)))
            },
        );
        let body = StreamBody::new(stream::StreamExt::map(
            events,
            |chunk: Result<Bytes, Infallible>| chunk.map(Frame::data),
        ));
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-store")
            .header("x-accel-buffering", "no")
            .body(BodyExt::boxed(body))
            .expect("static response parts")
    }
}

/// One SSE event: `event: <name>` and its data on one line (JSON has no raw newlines).
fn frame(name: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_one_event() {
        assert_eq!(
            frame("change", r#"{"a":1}"#),
            Bytes::from_static(b"event: change\ndata: {\"a\":1}\n\n")
        );
    }

    #[test]
    fn notify_without_listeners_is_harmless() {
        let live = Live::default();
        live.notify(&json!({"source": "events"}));
        assert_eq!(live.listeners(), 0);
    }
}
