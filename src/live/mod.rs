//! Live updates for deployed pages: the API Gateway WebSocket API (`LIVE_SOCKET_URL`).
//!
//! - [`socket`]: the `$connect` authorizer (a one-time ticket from `create_live_ticket`), and
//!   the `$connect` / `$disconnect` routes, which keep one item per open connection.
//! - [`Pusher`]: after records are processed or an action changed something, one
//!   `PostToConnection` per connection following the phones touched; a connection API Gateway
//!   says is gone (410) is deleted. The pushes run concurrently within [`PUSH_BUDGET`] and never
//!   fail or hold up what caused them.

pub mod socket;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use chrono::Utc;
use futures_util::future::join_all;
use handlers::live;
use handlers::ports::live::LiveFeed;
use handlers::store::{PageRequest, Store};
use serde_json::Value;

/// The longest a push may take, all connections together.
pub const PUSH_BUDGET: Duration = Duration::from_millis(1_500);

/// The most connections one audience is pushed to (one query page).
pub const MAX_CONNECTIONS: u32 = 200;

/// See the module documentation.
pub struct Pusher {
    client: Client,
    store: Arc<dyn Store>,
    socket_url: String,
}

impl Pusher {
    pub fn new(client: Client, store: Arc<dyn Store>, socket_url: String) -> Self {
        Pusher {
            client,
            store,
            socket_url,
        }
    }

    async fn push_all(&self, phones: &[String], note: &Value) {
        let now = Utc::now();
        let data = Blob::new(note.to_string());
        let mut connections: Vec<String> = Vec::new();
        for audience in live::audiences(phones) {
            let page = PageRequest {
                limit: MAX_CONNECTIONS,
                cursor: None,
            };
            match self.store.list_by_item_type(&audience, &page).await {
                Ok(page) => connections.extend(
                    page.items
                        .iter()
                        .filter(|item| live::is_current(item, now))
                        .filter_map(|item| item["connectionId"].as_str().map(str::to_string)),
                ),
                Err(e) => tracing::warn!(error = %e, %audience, "live connections not read"),
            }
        }
        connections.sort();
        connections.dedup();
        let pushes = connections.iter().map(|id| self.push_one(id, data.clone()));
        join_all(pushes).await;
    }

    async fn push_one(&self, connection_id: &str, data: Blob) {
        let sent = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(data)
            .send()
            .await;
        match sent {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => {
                let pk = handlers::keys::live_connection(connection_id);
                if let Err(e) = self.store.take_record(&pk).await {
                    tracing::warn!(error = %e, "a gone live connection was not deleted");
                }
            }
            Err(e) => {
                let e = aws_sdk_apigatewaymanagement::error::DisplayErrorContext(e);
                tracing::warn!(error = %e, "live update not pushed");
            }
        }
    }
}

#[async_trait]
impl LiveFeed for Pusher {
    fn socket_url(&self) -> &str {
        &self.socket_url
    }

    async fn changed(&self, phones: &[String], note: &Value) {
        if tokio::time::timeout(PUSH_BUDGET, self.push_all(phones, note))
            .await
            .is_err()
        {
            tracing::warn!(
                budget_ms = PUSH_BUDGET.as_millis(),
                "live updates cut short"
            );
        }
    }
}

/// The management endpoint of a WebSocket URL: `wss://host/stage` → `https://host/stage`.
pub fn management_endpoint(socket_url: &str) -> Option<String> {
    let rest = socket_url
        .strip_prefix("wss://")
        .map(|r| format!("https://{r}"))
        .or_else(|| {
            socket_url
                .strip_prefix("ws://")
                .map(|r| format!("http://{r}"))
        })?;
    Some(
        rest.split('?')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_management_endpoint_follows_the_socket_url() {
        assert_eq!(
            management_endpoint("wss://abc.execute-api.eu-west-1.amazonaws.com/live/").as_deref(),
            Some("https://abc.execute-api.eu-west-1.amazonaws.com/live")
        );
        assert_eq!(
            management_endpoint("ws://127.0.0.1:9/live?x=1").as_deref(),
            Some("http://127.0.0.1:9/live")
        );
        assert_eq!(management_endpoint("https://nope"), None);
    }
}
