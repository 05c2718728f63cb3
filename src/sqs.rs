//! The fast-ack queue on SQS ([`handlers::ports::queue::WebhookQueue`]): enqueue verified
//! webhooks, delay a failed message's next attempt (`ChangeMessageVisibility`), and the DLQ
//! monitor operations.
//!
//! - Depths come from `GetQueueAttributes` (`ApproximateNumberOfMessages`, `…NotVisible`,
//!   `…Delayed`). The age of the oldest message is a CloudWatch metric
//!   (`ApproximateAgeOfOldestMessage`), not an attribute: for the DLQ it is computed from a peek's
//!   `SentTimestamp`; the main queue is never peeked (a receive counts toward its
//!   `maxReceiveCount`), its age is alarmed in CloudWatch.
//! - A peek receives with `VisibilityTimeout=0`, so the messages stay where they are.
//! - A redrive receives from the DLQ (hidden 30 s), sends each chosen body to the queue with its
//!   attributes, then deletes it from the DLQ; messages not chosen are made visible again.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    Message, MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
};
use handlers::ports::queue::{
    DeadLetter, QueueError, QueueStats, QueuedWebhook, Redriven, WebhookQueue,
};

pub struct SqsQueue {
    client: Client,
    queue_url: String,
    dlq_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: String, dlq_url: String) -> Self {
        SqsQueue {
            client,
            queue_url,
            dlq_url,
        }
    }
}

/// The queue's name: the last segment of its URL.
fn name_of(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

fn error<E, R>(operation: &'static str, e: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let (code, message) = match &e {
        SdkError::ServiceError(service) => (
            service.err().code().unwrap_or("Unknown").to_string(),
            service.err().message().unwrap_or_default().to_string(),
        ),
        SdkError::TimeoutError(_) => ("Timeout".into(), "SQS did not answer in time".into()),
        _ => ("Unreachable".into(), "SQS could not be reached".into()),
    };
    let access_denied = code.contains("AccessDenied")
        || code.contains("NonExistentQueue")
        || code.contains("QueueDoesNotExist")
        || code.contains("InvalidClientTokenId");
    let retryable = !access_denied
        && (matches!(
            code.as_str(),
            "Timeout" | "Unreachable" | "ServiceUnavailable" | "InternalError"
        ) || code.contains("Throttl")
            || code.contains("RequestThrottled")
            || code.contains("OverLimit"));
    QueueError {
        operation,
        message: handlers::error::scrub(&format!("{code}: {message}")),
        retryable,
        access_denied,
        source: Some(Box::new(e)),
    }
}

fn attribute(message: &Message, name: MessageSystemAttributeName) -> Option<&String> {
    message.attributes().and_then(|a| a.get(&name))
}

fn dead_letter(message: &Message, include_body: bool) -> DeadLetter {
    let body = message.body().unwrap_or_default();
    let sent_ms = attribute(message, MessageSystemAttributeName::SentTimestamp)
        .and_then(|t| t.parse::<i64>().ok());
    let sent_at = sent_ms
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(handlers::time::iso);
    let age_seconds = sent_ms.and_then(|ms| {
        u64::try_from(chrono::Utc::now().timestamp_millis() - ms)
            .ok()
            .map(|d| d / 1000)
    });
    DeadLetter {
        message_id: message.message_id().unwrap_or_default().to_string(),
        source: QueuedWebhook::parse(body).map(|w| w.source),
        sent_at,
        age_seconds,
        receive_count: attribute(message, MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        body_bytes: body.len(),
        body: include_body.then(|| body.to_string()),
        failure: None,
    }
}

impl SqsQueue {
    async fn receive(&self, visibility: i32) -> Result<Vec<Message>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(visibility)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| error("ReceiveMessage", e))?;
        Ok(out.messages.unwrap_or_default())
    }

    async fn counts(&self, url: &str) -> Result<HashMap<QueueAttributeName, String>, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(|e| error("GetQueueAttributes", e))?;
        Ok(out.attributes.unwrap_or_default())
    }
}

fn count(attrs: &HashMap<QueueAttributeName, String>, name: QueueAttributeName) -> u64 {
    attrs.get(&name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[async_trait]
impl WebhookQueue for SqsQueue {
    async fn enqueue(&self, webhook: &QueuedWebhook) -> Result<String, QueueError> {
        let source = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&webhook.source)
            .build()
            .map_err(|e| QueueError::new("SendMessage", e.to_string()))?;
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(webhook.to_json())
            .message_attributes("source", source)
            .send()
            .await
            .map_err(|e| error("SendMessage", e))?;
        Ok(out.message_id.unwrap_or_default())
    }

    async fn retry_later(&self, receipt_handle: &str, delay_secs: u32) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(delay_secs).unwrap_or(30))
            .send()
            .await
            .map_err(|e| error("ChangeMessageVisibility", e))?;
        Ok(())
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        let main = self.counts(&self.queue_url).await?;
        let dlq = self.counts(&self.dlq_url).await?;
        let peeked = self.receive(0).await?;
        Ok(QueueStats {
            queue: name_of(&self.queue_url),
            dlq: Some(name_of(&self.dlq_url)),
            visible: count(&main, QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(
                &main,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            ),
            delayed: count(
                &main,
                QueueAttributeName::ApproximateNumberOfMessagesDelayed,
            ),
            dlq_visible: count(&dlq, QueueAttributeName::ApproximateNumberOfMessages),
            dlq_in_flight: count(
                &dlq,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            ),
            dlq_oldest_age_seconds: peeked
                .iter()
                .filter_map(|m| dead_letter(m, false).age_seconds)
                .max(),
        })
    }

    async fn peek_dlq(
        &self,
        limit: usize,
        include_body: bool,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let mut seen: Vec<DeadLetter> = Vec::new();
        // Visibility 0 leaves every message where it is, so a receive may return one again:
        // a few rounds, deduplicated by id.
        for _ in 0..limit.div_ceil(10) + 2 {
            let batch = self.receive(0).await?;
            if batch.is_empty() {
                break;
            }
            for message in &batch {
                let letter = dead_letter(message, include_body);
                if seen.len() < limit && !seen.iter().any(|s| s.message_id == letter.message_id) {
                    seen.push(letter);
                }
            }
            if seen.len() >= limit {
                break;
            }
        }
        Ok(seen)
    }

    async fn redrive_dlq(&self, ids: Option<&[String]>) -> Result<Redriven, QueueError> {
        let mut redriven = Redriven::default();
        // (id, receipt handle) of messages received but not chosen.
        let mut passed: Vec<(String, String)> = Vec::new();
        loop {
            let batch = self.receive(30).await?;
            if batch.is_empty() {
                break;
            }
            let mut fresh = false;
            for message in batch {
                let id = message.message_id().unwrap_or_default().to_string();
                let handle = message.receipt_handle().unwrap_or_default().to_string();
                let chosen = ids.is_none_or(|ids| ids.contains(&id));
                if !chosen {
                    if !passed.iter().any(|(p, _)| *p == id) {
                        fresh = true;
                    }
                    passed.push((id, handle));
                    continue;
                }
                fresh = true;
                let mut send = self
                    .client
                    .send_message()
                    .queue_url(&self.queue_url)
                    .message_body(message.body().unwrap_or_default());
                for (name, value) in message.message_attributes().cloned().unwrap_or_default() {
                    send = send.message_attributes(name, value);
                }
                send.send().await.map_err(|e| error("SendMessage", e))?;
                self.client
                    .delete_message()
                    .queue_url(&self.dlq_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map_err(|e| error("DeleteMessage", e))?;
                redriven.moved.push(id);
            }
            let all_found = ids.is_some_and(|ids| ids.iter().all(|id| redriven.moved.contains(id)));
            if !fresh || all_found {
                break;
            }
        }
        // What was received but not chosen is hidden for 30 s: show it again now.
        for (id, handle) in passed {
            let shown = self
                .client
                .change_message_visibility()
                .queue_url(&self.dlq_url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await;
            if let Err(e) = shown {
                tracing::warn!(message_id = %id, error = %error("ChangeMessageVisibility", e), "DLQ message stays hidden for 30 s");
            }
        }
        redriven.not_found = ids
            .unwrap_or_default()
            .iter()
            .filter(|id| !redriven.moved.contains(id))
            .cloned()
            .collect();
        Ok(redriven)
    }

    async fn purge_dlq(&self) -> Result<(), QueueError> {
        self.client
            .purge_queue()
            .queue_url(&self.dlq_url)
            .send()
            .await
            .map_err(|e| error("PurgeQueue", e))?;
        Ok(())
    }

    fn dlq_name(&self) -> String {
        name_of(&self.dlq_url)
    }

    fn describe(&self) -> String {
        format!("sqs://{}", name_of(&self.queue_url))
    }
}
