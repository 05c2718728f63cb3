//! The campaign work queue: SQS (`CAMPAIGN_QUEUE_URL`), consumed by this same function, or a
//! queue in the local SQLite file for local mode; the wall clock campaigns pace on; and the intake of work
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

use crate::store::embedded::local::{Job, LocalFile, Next};

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

/// Local mode: work items wait in the SQLite file of `DATA_DIR` (a private in-memory
/// database without one) until a run of this or another process takes them: `serve`'s runner
/// ([`LocalWorkQueue::spawn_runner`]) as they fall due, `invoke` before it exits
/// ([`LocalWorkQueue::drain`]). A process that dies first leaves them in the file for the next
/// start. A run that fails is tried again after 5 seconds (then 10, 15, ...); after
/// [`MAX_ATTEMPTS`] runs the item is kept in the file, marked dead, and no longer run.
pub struct LocalWorkQueue {
    file: LocalFile,
    ctx: OnceLock<Ctx>,
    wake: tokio::sync::Notify,
    /// How long a run holds its item: another process takes it after that (a run that died).
    lease_ms: i64,
}

/// Runs of one local work item before it is kept as dead.
pub const MAX_ATTEMPTS: u32 = 5;

/// How far ahead `invoke` waits for work to fall due before it exits (pacing, a retry, a
/// send awaiting its lease); work due later stays in the file for the next start.
pub const INVOKE_WAIT_MS: i64 = 60_000;

/// What [`LocalWorkQueue::drain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Items run (each successful or not).
    pub ran: usize,
    /// When the earliest item left in the file falls due (epoch ms); none left, `None`.
    pub left_until: Option<i64>,
}

impl LocalWorkQueue {
    /// The queue in `file`; a run holds its item for `lease_ms`.
    pub fn new(file: LocalFile, lease_ms: i64) -> Self {
        LocalWorkQueue {
            file,
            ctx: OnceLock::new(),
            wake: tokio::sync::Notify::new(),
            lease_ms,
        }
    }

    /// Gives the queue the context its work runs with (the context holds the queue).
    pub fn bind(&self, ctx: &Ctx) {
        let _ = self.ctx.set(ctx.clone());
    }

    fn ctx(&self) -> Result<&Ctx, BoxError> {
        self.ctx
            .get()
            .ok_or_else(|| "the local work queue is not bound to a context".into())
    }

    /// Runs the items in the file, as they fall due, until none is left that falls due within
    /// `wait_ms` and is not held by another run: what `invoke` does before it exits, so that a
    /// campaign it started is sent, and work an earlier process left behind too.
    ///
    /// # Errors
    /// The file cannot be read or written, or the queue is not bound.
    pub async fn drain(&self, wait_ms: i64) -> Result<Drained, BoxError> {
        let ctx = self.ctx()?.clone();
        let mut drained = Drained::default();
        loop {
            let now = WallClock.now_ms();
            match self.file.claim(now, self.lease_ms).await? {
                Next::Job(job) => {
                    self.run_job(&ctx, job).await?;
                    drained.ran += 1;
                }
                Next::DueAt(at) if at - now <= wait_ms => WallClock.sleep_until(at).await,
                Next::DueAt(at) | Next::Held(at) => {
                    drained.left_until = Some(at);
                    return Ok(drained);
                }
                Next::Idle => return Ok(drained),
            }
        }
    }

    /// `serve`: a task that runs the items as they fall due (those left by an earlier process
    /// first), woken at once by an enqueue.
    pub fn spawn_runner(self: &Arc<Self>) {
        let queue = self.clone();
        tokio::spawn(async move {
            loop {
                let wait_until = match queue.run_next().await {
                    Ok(Next::Job(_)) => continue,
                    Ok(Next::DueAt(at) | Next::Held(at)) => Some(at),
                    Ok(Next::Idle) => None,
                    Err(e) => {
                        warn!(error = %e, "local campaign work: the queue cannot be read; trying again in 5 s");
                        Some(WallClock.now_ms() + 5_000)
                    }
                };
                match wait_until {
                    Some(at) => {
                        tokio::select! {
                            () = WallClock.sleep_until(at) => {}
                            () = queue.wake.notified() => {}
                        }
                    }
                    None => queue.wake.notified().await,
                }
            }
        });
    }

    /// Claims and runs one item; answers what the claim found.
    async fn run_next(&self) -> Result<Next, BoxError> {
        let ctx = self.ctx()?.clone();
        let next = self.file.claim(WallClock.now_ms(), self.lease_ms).await?;
        if let Next::Job(job) = &next {
            self.run_job(&ctx, job.clone()).await?;
        }
        Ok(next)
    }

    /// Runs one claimed item and records how it went.
    async fn run_job(&self, ctx: &Ctx, job: Job) -> Result<(), BoxError> {
        let Some(item) = WorkItem::parse(&job.body) else {
            error!(
                job = job.id,
                "local work item is not a campaign work item; kept as dead"
            );
            let reason = "not a campaign work item".to_string();
            self.file.release(job.id, 0, reason, true).await?;
            return Ok(());
        };
        match handlers::campaigns::worker::run(ctx, &item, None).await {
            Ok(report) => {
                tracing::debug!(report = %json!(report), "campaign work item");
                self.file.finish(job.id).await?;
            }
            Err(e) if job.attempts >= MAX_ATTEMPTS => {
                error!(campaign = %item.campaign_id, attempts = job.attempts, error = %e, chain = %handlers::error::chain(&e), "campaign work item failed too often; kept as dead in the local queue");
                self.file.release(job.id, 0, e.to_string(), true).await?;
            }
            Err(e) => {
                warn!(campaign = %item.campaign_id, attempt = job.attempts, error = %e, "campaign run failed; trying again");
                let due = WallClock.now_ms() + 5_000 * i64::from(job.attempts);
                self.file.release(job.id, due, e.to_string(), false).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl WorkQueue for LocalWorkQueue {
    async fn enqueue(&self, item: &WorkItem, delay_secs: u32) -> Result<(), BoxError> {
        let due = WallClock.now_ms() + 1000 * i64::from(delay_secs);
        self.file.push(item.body(), due).await?;
        self.wake.notify_one();
        Ok(())
    }

    fn describe(&self) -> String {
        match self.file.path() {
            Some(path) => format!("local:{}", path.display()),
            None => "in-process".into(),
        }
    }
}

/// The work queue of the configuration: SQS when `CAMPAIGN_QUEUE_URL` is set, else the local
/// queue in `file` (bind it with [`LocalWorkQueue::bind`] once the context exists).
pub fn from_config(
    url: Option<&str>,
    shared: Option<&aws_config::SdkConfig>,
    file: &LocalFile,
    lease_ms: i64,
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
            let local = Arc::new(LocalWorkQueue::new(file.clone(), lease_ms));
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
