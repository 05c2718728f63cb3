//! The campaign work queue: SQS (`CAMPAIGN_QUEUE_URL`), consumed by this same function, or an
//! in-process queue for local mode; the wall clock campaigns pace on; and the intake of work
//! items from an SQS batch.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use handlers::Ctx;
use handlers::campaigns::pace::Clock;
use handlers::ports::BoxError;
use handlers::ports::work_queue::{WorkItem, WorkQueue};
use serde_json::{Value, json};
use tracing::{error, warn};

tokio::task_local! {
    /// Lambda's deadline of the current invocation (epoch ms), set by `main` around each event.
    pub static DEADLINE_MS: i64;
}

/// The deadline of the invocation being handled, when Lambda gave one.
pub fn deadline_ms() -> Option<i64> {
    DEADLINE_MS.try_with(|d| *d).ok()
}

/// The wall clock, sleeping with tokio.
pub struct WallClock;

#[async_trait]
impl Clock for WallClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    async fn sleep_until(&self, at_ms: i64) {
        let wait = (at_ms - self.now_ms()).max(0) as u64;
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
}

/// Work items as SQS messages (`SendMessage` with `DelaySeconds`).
pub struct SqsWorkQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsWorkQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: String) -> Self {
        SqsWorkQueue { client, url }
    }
}

#[async_trait]
impl WorkQueue for SqsWorkQueue {
    async fn enqueue(&self, item: &WorkItem, delay_secs: u32) -> Result<(), BoxError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(item.body())
            .delay_seconds(delay_secs.min(900) as i32)
            .send()
            .await
            .map_err(|e| -> BoxError {
                aws_sdk_sqs::error::DisplayErrorContext(e)
                    .to_string()
                    .into()
            })?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("sqs:{}", self.url)
    }
}

/// Local mode: each work item runs in a task of this process after its delay (`serve` runs
/// campaigns with no AWS). A run that fails is tried again after 5 seconds.
#[derive(Default)]
pub struct LocalWorkQueue {
    ctx: OnceLock<Ctx>,
}

impl LocalWorkQueue {
    /// Gives the queue the context its work runs with (the context holds the queue).
    pub fn bind(&self, ctx: &Ctx) {
        let _ = self.ctx.set(ctx.clone());
    }
}

#[async_trait]
impl WorkQueue for LocalWorkQueue {
    async fn enqueue(&self, item: &WorkItem, delay_secs: u32) -> Result<(), BoxError> {
        let Some(ctx) = self.ctx.get().cloned() else {
            return Err("the local work queue is not bound to a context".into());
        };
        let item = item.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(u64::from(delay_secs))).await;
            for attempt in 1..=5 {
                match handlers::campaigns::worker::run(&ctx, &item, None).await {
                    Ok(_) => return,
                    Err(e) => {
                        warn!(campaign = %item.campaign_id, attempt, error = %e, "campaign run failed; trying again");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
        });
        Ok(())
    }

    fn describe(&self) -> String {
        "in-process".into()
    }
}

/// The work queue of the configuration: SQS when `CAMPAIGN_QUEUE_URL` is set, else in-process
/// (bind it with [`bind_local`] once the context exists).
pub fn from_config(
    url: Option<&str>,
    shared: Option<&aws_config::SdkConfig>,
) -> (Arc<dyn WorkQueue>, Option<Arc<LocalWorkQueue>>) {
    match (url, shared) {
        (Some(url), Some(shared)) => (
            Arc::new(SqsWorkQueue::new(
                aws_sdk_sqs::Client::new(shared),
                url.to_string(),
            )),
            None,
        ),
        _ => {
            let local = Arc::new(LocalWorkQueue::default());
            (local.clone(), Some(local))
        }
    }
}

/// An SQS batch whose records are all campaign work items: each is run; the ones that failed
/// are listed in `batchItemFailures` (delivered again after the visibility timeout). `None` when
/// the batch is not work (webhooks go on to the inbound path).
pub async fn handle_work(ctx: &Ctx, event: &Value) -> Option<Value> {
    let records = event.get("Records")?.as_array()?;
    let items: Vec<(String, WorkItem)> = records
        .iter()
        .map(|r| {
            let body = r.get("body").and_then(Value::as_str)?;
            let id = r.get("messageId").and_then(Value::as_str)?.to_string();
            Some((id, WorkItem::parse(body)?))
        })
        .collect::<Option<_>>()?;
    let mut response = SqsBatchResponse::default();
    for (id, item) in items {
        match handlers::campaigns::worker::run(ctx, &item, deadline_ms()).await {
            Ok(report) => tracing::info!(report = %json!(report), "campaign work item"),
            Err(e) => {
                error!(campaign = %item.campaign_id, error = %e, chain = %handlers::error::chain(&e), "campaign work item failed; it is delivered again");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    Some(serde_json::to_value(response).unwrap_or_else(|_| json!({"batchItemFailures": []})))
}
