//! The campaign work queue: a work item names a campaign run that the same function consumes
//! (SQS in AWS, an in-process queue in local mode, a list in unit tests).

use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::BoxError;

/// One unit of campaign work: continue campaign `campaign_id` in the chain `token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkItem {
    pub campaign_id: String,
    /// The chain this item belongs to: `start_campaign` and `resume_campaign` start a new one,
    /// and an item of an older chain is dropped.
    pub token: String,
    /// The run that enqueued this continuation: it hands its campaign lease over to the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The key under which a work item travels as JSON (`{"campaignWork": {...}}`), so that the
/// consumer can tell it from a webhook.
pub const WORK_KEY: &str = "campaignWork";

impl WorkItem {
    /// The message body.
    pub fn body(&self) -> String {
        serde_json::json!({ WORK_KEY: self }).to_string()
    }

    /// The work item of a message body, `None` when the body is not one.
    pub fn parse(body: &str) -> Option<WorkItem> {
        if !body.contains(WORK_KEY) {
            return None;
        }
        let value: serde_json::Value = serde_json::from_str(body).ok()?;
        serde_json::from_value(value.get(WORK_KEY)?.clone()).ok()
    }
}

/// Where campaign work is enqueued.
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Enqueues `item`, delivered no sooner than `delay_secs` from now (at most 900).
    async fn enqueue(&self, item: &WorkItem, delay_secs: u32) -> Result<(), BoxError>;

    fn describe(&self) -> String;
}

/// Keeps what was enqueued, for unit tests and contexts without a queue.
#[derive(Default)]
pub struct ListQueue {
    items: Mutex<Vec<(WorkItem, u32)>>,
}

impl ListQueue {
    /// Takes everything enqueued so far, with each delay.
    pub fn drain(&self) -> Vec<(WorkItem, u32)> {
        std::mem::take(&mut *self.items.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl WorkQueue for ListQueue {
    async fn enqueue(&self, item: &WorkItem, delay_secs: u32) -> Result<(), BoxError> {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((item.clone(), delay_secs));
        Ok(())
    }

    fn describe(&self) -> String {
        "list".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_work_item_round_trips_and_a_webhook_is_not_one() {
        let item = WorkItem {
            campaign_id: "c1".into(),
            token: "t".into(),
            after: Some("r".into()),
        };
        assert_eq!(WorkItem::parse(&item.body()), Some(item));
        assert_eq!(WorkItem::parse(r#"{"whatsAppWebhookEntry": "{}"}"#), None);
        assert_eq!(WorkItem::parse("campaignWork but not JSON"), None);
    }
}
