//! The fast-ack queue port: webhooks verified at the door are put on a queue as they arrived and
//! processed by the same binary from it, with a growing delay between attempts and a dead-letter
//! queue (DLQ) after the configured number. The root crate implements it with SQS
//! (`src/sqs.rs`); [`MemoryQueue`] is the local one (no fast ack: the monitor actions see an
//! empty queue, tests fill its DLQ).
//!
//! A message's body is a [`QueuedWebhook`]: the source (`twilio`, `wix`, `meta`, ...), the raw
//! body as it arrived, the headers its processing needs and when it arrived. Verification happens
//! before the enqueue, so the consumer trusts it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::BoxError;

/// The marker field of a [`QueuedWebhook`] body, and its version.
pub const MARKER: &str = "whatsappLambdaWebhook";

/// One verified webhook on its way through the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedWebhook {
    /// Always 1 (the envelope's version); tells this body from an SNS notification or an EUM event.
    #[serde(rename = "whatsappLambdaWebhook")]
    pub version: u32,
    /// `twilio`, `wix`, `meta`, ...: which processor takes it.
    pub source: String,
    /// The request body as it arrived (decoded from base64 when API Gateway encoded it).
    pub body: String,
    /// The headers processing needs (lower-case names), never the signature's secret.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// ISO-8601 UTC time the webhook reached us (Twilio sends no timestamp of its own).
    pub received_at: String,
}

impl QueuedWebhook {
    pub fn new(
        source: &str,
        body: String,
        headers: BTreeMap<String, String>,
        received_at: String,
    ) -> Self {
        QueuedWebhook {
            version: 1,
            source: source.to_string(),
            body,
            headers,
            received_at,
        }
    }

    /// The envelope in a queue message body, `None` for any other body.
    pub fn parse(body: &str) -> Option<Self> {
        if !body.contains(MARKER) {
            return None;
        }
        serde_json::from_str::<Self>(body)
            .ok()
            .filter(|w| w.version == 1)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The delay before the next attempt of a message received `receive_count` times: 2 s,
/// doubling, at most 30 s (2, 4, 8, 16, 30, 30, ...).
pub fn backoff_secs(receive_count: u32) -> u32 {
    let exponent = receive_count.max(1).saturating_sub(1).min(5);
    (2u32 << exponent).min(30)
}

/// Why the queue failed.
#[derive(Debug, thiserror::Error)]
#[error("queue ({operation}): {message}")]
pub struct QueueError {
    pub operation: &'static str,
    pub message: String,
    /// Throttled, unreachable, timed out: a retry may pass (503).
    pub retryable: bool,
    /// Access denied or the queue does not exist: the deployment is wrong (502 otherwise).
    pub access_denied: bool,
    #[source]
    pub source: Option<BoxError>,
}

impl QueueError {
    pub fn new(operation: &'static str, message: impl Into<String>) -> Self {
        QueueError {
            operation,
            message: message.into(),
            retryable: false,
            access_denied: false,
            source: None,
        }
    }
}

/// Depths of the queue and its DLQ (SQS's approximate counts).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub queue: String,
    pub dlq: Option<String>,
    /// Waiting to be received.
    pub visible: u64,
    /// Received and not yet deleted (being processed, or waiting out its retry delay).
    pub in_flight: u64,
    pub delayed: u64,
    pub dlq_visible: u64,
    pub dlq_in_flight: u64,
    /// Age of the oldest DLQ message seen by a peek (its `SentTimestamp`), seconds.
    pub dlq_oldest_age_seconds: Option<u64>,
}

/// A message of the DLQ, as a peek saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub message_id: String,
    /// The envelope's source, when the body is one.
    pub source: Option<String>,
    /// When it was first sent to the queue (ISO-8601 UTC).
    pub sent_at: Option<String>,
    pub age_seconds: Option<u64>,
    /// How often it was received (in the DLQ: the peeks).
    pub receive_count: u32,
    pub body_bytes: usize,
    /// The raw message body (only for `list_dlq` with `includeBody`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Why the consumer failed it, from the record written on its last failed attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Value>,
}

/// What a redrive did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Redriven {
    /// DLQ message ids moved back to the queue.
    pub moved: Vec<String>,
    /// Ids asked for that the DLQ did not show.
    pub not_found: Vec<String>,
}

/// The fast-ack queue and its DLQ.
#[async_trait]
pub trait WebhookQueue: Send + Sync {
    /// Puts a verified webhook on the queue; returns the queue's message id.
    async fn enqueue(&self, webhook: &QueuedWebhook) -> Result<String, QueueError>;

    /// Makes a received message visible again after `delay_secs` (the retry delay).
    async fn retry_later(&self, receipt_handle: &str, delay_secs: u32) -> Result<(), QueueError>;

    async fn stats(&self) -> Result<QueueStats, QueueError>;

    /// Up to `limit` DLQ messages, without taking them (visibility 0).
    async fn peek_dlq(
        &self,
        limit: usize,
        include_body: bool,
    ) -> Result<Vec<DeadLetter>, QueueError>;

    /// Moves DLQ messages back to the queue: all, or those with the given ids.
    async fn redrive_dlq(&self, ids: Option<&[String]>) -> Result<Redriven, QueueError>;

    /// Deletes every DLQ message.
    async fn purge_dlq(&self) -> Result<(), QueueError>;

    /// The DLQ's name (what `purge_dlq` wants as its confirmation).
    fn dlq_name(&self) -> String;

    /// `sqs://queue` or `memory://local`.
    fn describe(&self) -> String;
}

#[derive(Debug, Clone)]
struct Held {
    id: String,
    body: String,
    sent_at: String,
}

/// The local queue: messages in memory. Nothing consumes it (without `FAST_ACK_QUEUE_URL`
/// webhooks are processed as they arrive); tests put dead letters in it with [`MemoryQueue::dead_letter`].
#[derive(Default)]
pub struct MemoryQueue {
    state: Mutex<(Vec<Held>, Vec<Held>, u64)>,
}

impl MemoryQueue {
    /// Puts a message straight into the DLQ (as SQS's redrive policy would); returns its id.
    pub fn dead_letter(&self, body: &str) -> String {
        let mut state = self.state.lock().expect("queue lock");
        state.2 += 1;
        let id = format!("local-{}", state.2);
        state.1.push(Held {
            id: id.clone(),
            body: body.to_string(),
            sent_at: crate::time::now_iso(),
        });
        id
    }

    /// The bodies waiting in the queue (not the DLQ).
    pub fn queued(&self) -> Vec<String> {
        let state = self.state.lock().expect("queue lock");
        state.0.iter().map(|h| h.body.clone()).collect()
    }
}

fn age(sent_at: &str) -> Option<u64> {
    let sent = crate::time::parse_iso(sent_at)?;
    u64::try_from((chrono::Utc::now() - sent).num_seconds()).ok()
}

#[async_trait]
impl WebhookQueue for MemoryQueue {
    async fn enqueue(&self, webhook: &QueuedWebhook) -> Result<String, QueueError> {
        let mut state = self.state.lock().expect("queue lock");
        state.2 += 1;
        let id = format!("local-{}", state.2);
        state.0.push(Held {
            id: id.clone(),
            body: webhook.to_json(),
            sent_at: webhook.received_at.clone(),
        });
        Ok(id)
    }

    async fn retry_later(&self, _receipt_handle: &str, _delay_secs: u32) -> Result<(), QueueError> {
        Ok(())
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        let state = self.state.lock().expect("queue lock");
        Ok(QueueStats {
            queue: self.describe(),
            dlq: Some(self.dlq_name()),
            visible: state.0.len() as u64,
            dlq_visible: state.1.len() as u64,
            dlq_oldest_age_seconds: state.1.iter().filter_map(|h| age(&h.sent_at)).max(),
            ..Default::default()
        })
    }

    async fn peek_dlq(
        &self,
        limit: usize,
        include_body: bool,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let state = self.state.lock().expect("queue lock");
        Ok(state
            .1
            .iter()
            .take(limit)
            .map(|h| DeadLetter {
                message_id: h.id.clone(),
                source: QueuedWebhook::parse(&h.body).map(|w| w.source),
                sent_at: Some(h.sent_at.clone()),
                age_seconds: age(&h.sent_at),
                receive_count: 0,
                body_bytes: h.body.len(),
                body: include_body.then(|| h.body.clone()),
                failure: None,
            })
            .collect())
    }

    async fn redrive_dlq(&self, ids: Option<&[String]>) -> Result<Redriven, QueueError> {
        let mut state = self.state.lock().expect("queue lock");
        let (moving, staying): (Vec<Held>, Vec<Held>) = state
            .1
            .drain(..)
            .partition(|h| ids.is_none_or(|ids| ids.contains(&h.id)));
        state.1 = staying;
        let moved: Vec<String> = moving.iter().map(|h| h.id.clone()).collect();
        state.0.extend(moving);
        let not_found = ids
            .unwrap_or_default()
            .iter()
            .filter(|id| !moved.contains(id))
            .cloned()
            .collect();
        Ok(Redriven { moved, not_found })
    }

    async fn purge_dlq(&self) -> Result<(), QueueError> {
        self.state.lock().expect("queue lock").1.clear();
        Ok(())
    }

    fn dlq_name(&self) -> String {
        "local-dlq".into()
    }

    fn describe(&self) -> String {
        "memory://local (no FAST_ACK_QUEUE_URL: webhooks are processed as they arrive)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_from_two_seconds_up_to_thirty() {
        let delays: Vec<u32> = (1..=7).map(backoff_secs).collect();
        assert_eq!(delays, vec![2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff_secs(0), 2);
    }

    #[test]
    fn the_envelope_round_trips_and_other_bodies_are_not_one() {
        let webhook = QueuedWebhook::new(
            "twilio",
            "a=b".into(),
            BTreeMap::new(),
            "2026-01-01T00:00:00Z".into(),
        );
        assert_eq!(QueuedWebhook::parse(&webhook.to_json()), Some(webhook));
        assert_eq!(QueuedWebhook::parse(r#"{"Type":"Notification"}"#), None);
        assert_eq!(
            QueuedWebhook::parse(
                r#"{"whatsappLambdaWebhook":2,"source":"x","body":"","receivedAt":""}"#
            ),
            None
        );
    }

    #[tokio::test]
    async fn the_memory_dlq_redrives_chosen_ids_and_purges() {
        let queue = MemoryQueue::default();
        let a = queue.dead_letter("a");
        let b = queue.dead_letter("b");
        let redriven = queue
            .redrive_dlq(Some(&[b.clone(), "nope".into()]))
            .await
            .unwrap();
        assert_eq!(redriven.moved, vec![b]);
        assert_eq!(redriven.not_found, vec!["nope".to_string()]);
        assert_eq!(queue.queued(), vec!["b".to_string()]);
        assert_eq!(queue.peek_dlq(10, false).await.unwrap()[0].message_id, a);
        queue.purge_dlq().await.unwrap();
        assert_eq!(queue.stats().await.unwrap().dlq_visible, 0);
    }
}
