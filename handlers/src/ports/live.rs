//! The live-updates port of a deployed function: pages connected through the API Gateway
//! WebSocket API are told that something of a business phone changed. The root crate implements
//! it with `PostToConnection`; locally, `serve` has its own Server-Sent Events stream instead.

use async_trait::async_trait;
use serde_json::Value;

/// Tells connected pages that something changed.
#[async_trait]
pub trait LiveFeed: Send + Sync {
    /// The `wss://…` URL pages connect to (a ticket is appended as `?ticket=`).
    fn socket_url(&self) -> &str;

    /// Tells the pages following any of `phones` (Meta phone number ids), and those following
    /// every phone, that something changed; `note` says what (a hint: pages re-read through
    /// the actions). Never fails and is bounded in time: a push must not delay or fail the
    /// record or the action that caused it.
    async fn changed(&self, phones: &[String], note: &Value);
}
