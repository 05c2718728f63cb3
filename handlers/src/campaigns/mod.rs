//! Campaigns: one approved template sent to an audience, exactly once per recipient, paced, and
//! counted exactly (issue 9; `docs/campaigns.md`).
//!
//! # Layout
//! - [`model`]: the `CAMPAIGN#…` item and the recipient items;
//! - [`audience`]: a list or a CSV object → deduplicated recipients;
//! - [`count`]: the recipient's state machine and its sharded counters (pure rules + CAS);
//! - [`pace`]: the clock and the pacer;
//! - [`worker`]: one invocation's run over the pending recipients, continued through the work
//!   queue;
//! - [`hooks`]: status webhooks and replies of the inbound path.

pub mod audience;
pub mod count;
pub mod hooks;
pub mod model;
pub mod pace;
pub mod worker;

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::ports::work_queue::{ListQueue, WorkItem, WorkQueue};
use crate::store::{Transition, get_item_as};
use model::CampaignItem;
use pace::{Clock, ManualClock};

/// `CAMPAIGN_RATE`: Meta's base throughput per business phone.
pub const DEFAULT_RATE: u32 = 80;
/// `CAMPAIGN_TIME_BUDGET_SECS`: how long one invocation works when Lambda gives no deadline.
pub const DEFAULT_TIME_BUDGET_SECS: u64 = 60;
/// Stop this long before Lambda's deadline.
pub const DEADLINE_MARGIN_MS: i64 = 10_000;
/// SQS delays at most 15 minutes.
pub const MAX_DELAY_SECS: u32 = 900;

/// How campaigns run.
#[derive(Debug, Clone)]
pub struct CampaignSettings {
    /// Sends per second per campaign (per business phone); 0 turns pacing off.
    pub rate: u32,
    /// Sends in flight at once in one invocation.
    pub concurrency: usize,
    /// Work time of one invocation without a Lambda deadline.
    pub time_budget_ms: i64,
    /// Recipients read per batch.
    pub batch: u32,
    /// Hours after the send within which a customer's message counts as a reply.
    pub reply_window_hours: u32,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        CampaignSettings {
            rate: DEFAULT_RATE,
            concurrency: 16,
            time_budget_ms: (DEFAULT_TIME_BUDGET_SECS * 1000) as i64,
            batch: 100,
            reply_window_hours: 24,
        }
    }
}

/// The work queue, the clock and the settings of campaigns (`Ctx::campaigns`).
#[derive(Clone)]
pub struct Runtime {
    pub queue: Arc<dyn WorkQueue>,
    pub clock: Arc<dyn Clock>,
    pub settings: CampaignSettings,
}

impl Default for Runtime {
    /// A queue that only keeps what is enqueued and a clock that does not wait (unit tests);
    /// the binary sets the real ones.
    fn default() -> Self {
        Runtime {
            queue: Arc::new(ListQueue::default()),
            clock: Arc::new(ManualClock::new(chrono::Utc::now().timestamp_millis())),
            settings: CampaignSettings::default(),
        }
    }
}

/// The campaign, or 404.
///
/// # Errors
/// 404 naming the id; the store's.
pub async fn load(ctx: &Ctx, campaign_id: &str) -> Result<CampaignItem, HandlerError> {
    get_item_as::<CampaignItem>(ctx.store(), &keys::campaign(campaign_id))
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("campaign `{campaign_id}` does not exist")))
}

/// Moves a campaign from state `from` to the attributes of `set`, if it is still in `from` (and
/// holds `token` when given). False when another request moved it first.
///
/// # Errors
/// The store's.
pub async fn move_campaign(
    ctx: &Ctx,
    c: &CampaignItem,
    set: Map<String, Value>,
    remove: &[&str],
) -> Result<bool, HandlerError> {
    let mut expect = Map::new();
    expect.insert("state".into(), json!(c.state));
    expect.insert(
        "token".into(),
        c.token.as_ref().map_or(Value::Null, |t| json!(t)),
    );
    let mut set = set;
    set.insert("updatedAt".into(), json!(crate::time::now_iso()));
    let t = Transition {
        pk: c.pk.clone(),
        expect,
        set,
        remove: remove.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    Ok(ctx.store().transition(&t).await?)
}

/// Starts a new chain of work for the campaign: state `running` with a new token, and its first
/// work item (after `delay_secs`). False when the campaign moved meanwhile.
///
/// # Errors
/// The store's; the queue's (500: the campaign is running but nothing will work on it until
/// `resume_campaign` is called again).
pub async fn start_chain(
    ctx: &Ctx,
    c: &CampaignItem,
    state: &str,
    delay_secs: u32,
) -> Result<Option<String>, HandlerError> {
    let token = uuid::Uuid::now_v7().simple().to_string();
    let mut set = Map::new();
    set.insert("state".into(), json!(state));
    set.insert("token".into(), json!(token));
    if state == model::state::RUNNING && c.started_at.is_none() {
        set.insert("startedAt".into(), json!(crate::time::now_iso()));
    }
    if !move_campaign(ctx, c, set, &["pausedReason", "completedAt"]).await? {
        return Ok(None);
    }
    enqueue(
        ctx,
        &WorkItem {
            campaign_id: c.campaign_id.clone(),
            token: token.clone(),
            after: None,
        },
        delay_secs,
    )
    .await?;
    Ok(Some(token))
}

/// Enqueues a work item.
///
/// # Errors
/// 500 when the queue refused it.
pub async fn enqueue(ctx: &Ctx, item: &WorkItem, delay_secs: u32) -> Result<(), HandlerError> {
    ctx.campaigns()
        .queue
        .enqueue(item, delay_secs.min(MAX_DELAY_SECS))
        .await
        .map_err(|e| {
            HandlerError::Internal(format!(
                "the campaign work queue refused the work item: {e}"
            ))
        })
}

/// The stats of a campaign: its counters, and the recipients not yet done.
///
/// # Errors
/// The store's.
pub async fn stats(ctx: &Ctx, c: &CampaignItem) -> Result<Value, HandlerError> {
    let totals = count::totals(ctx.store(), &c.campaign_id).await?;
    let n = |k: &str| totals.get(k).and_then(Value::as_i64).unwrap_or(0);
    let failures: Map<String, Value> = totals
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(count::FAILURE_PREFIX)
                .map(|code| (code.to_string(), v.clone()))
        })
        .collect();
    // A recipient Meta failed after EUM accepted it is counted both sent and failed.
    let done = n("sent") - n("failedAfterSend") + n("failed") + n("skipped");
    Ok(json!({
        "campaignId": c.campaign_id,
        "state": c.state,
        "total": c.total,
        "skippedOptedOut": c.skipped_opted_out,
        "duplicates": c.duplicates,
        "sent": n("sent"),
        "delivered": n("delivered"),
        "read": n("read"),
        "replied": n("replied"),
        "failed": n("failed"),
        "skipped": n("skipped"),
        "failuresByCode": failures,
        "remaining": (c.total as i64 - done).max(0),
    }))
}
