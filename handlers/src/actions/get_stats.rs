//! `get_stats`: counts over a recent window, read from the table (`gsi-direction` by day, and
//! failed webhook events from `gsi-itemType`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::Direction;
use crate::params;
use crate::params::lenient;
use crate::registry::ActionSpec;
use crate::store::PageRequest;
use crate::time;

pub const NAME: &str = "get_stats";

pub const SPEC: ActionSpec = crate::action_spec!(
    Config,
    Read,
    "Counts messages in and out (by type and status), active conversations and failed webhook records over the last hours."
);

/// At most this many messages are read per call; past it the counts say `truncated`.
const MAX_ITEMS: usize = 20_000;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<String>,
    /// 1 to 168, default 24.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub hours: Option<i64>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectionStats {
    pub total: usize,
    pub by_type: BTreeMap<String, usize>,
    pub by_status: BTreeMap<String, usize>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub phone_number_id: String,
    pub since: String,
    pub until: String,
    pub inbound: DirectionStats,
    pub outbound: DirectionStats,
    pub active_conversations: usize,
    pub failed_webhook_records: usize,
    pub truncated: bool,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let phone = params::phone_number_id(p.phone_number_id.as_deref(), ctx.default_phone())?;
    let hours = p.hours.unwrap_or(24);
    if !(1..=168).contains(&hours) {
        return Err(HandlerError::invalid("hours", "must be 1 to 168"));
    }
    let now = Utc::now();
    let since_t = now - Duration::hours(hours);
    let since = time::iso(since_t);
    let mut truncated = false;
    let mut read = 0usize;
    let mut conversations = BTreeSet::new();
    let (mut inbound, mut outbound) = (DirectionStats::default(), DirectionStats::default());
    let mut day = since_t.date_naive();
    let last = now.date_naive();
    while day <= last && !truncated {
        let day_iso = format!("{day}T00:00:00Z");
        for (direction, stats) in [
            (Direction::Inbound, &mut inbound),
            (Direction::Outbound, &mut outbound),
        ] {
            let pk = keys::direction(&phone, direction.as_str(), &day_iso);
            let mut page = PageRequest {
                limit: 100,
                cursor: None,
            };
            loop {
                let got = ctx.store().list_by_direction(&pk, &since, &page).await?;
                for m in &got.items {
                    stats.total += 1;
                    *stats
                        .by_type
                        .entry(m.kind.clone().unwrap_or_else(|| "unknown".into()))
                        .or_default() += 1;
                    *stats.by_status.entry(m.status.to_string()).or_default() += 1;
                    if let Some(c) = &m.conversation_pk {
                        conversations.insert(c.clone());
                    }
                }
                read += got.items.len();
                if read >= MAX_ITEMS {
                    truncated = true;
                    break;
                }
                match got.next_cursor {
                    Some(c) => page.cursor = Some(c),
                    None => break,
                }
            }
        }
        day = match day.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    let mut failed = 0;
    let mut page = PageRequest {
        limit: 100,
        cursor: None,
    };
    'failed: loop {
        let got = ctx
            .store()
            .list_by_item_type(keys::item_type::FAILED_WEBHOOK_EVENT, &page)
            .await?;
        for item in &got.items {
            if item["createdAt"].as_str().unwrap_or("") < since.as_str() {
                break 'failed;
            }
            failed += 1;
        }
        match got.next_cursor {
            Some(c) if failed < MAX_ITEMS => page.cursor = Some(c),
            _ => break,
        }
    }
    Ok(Output {
        phone_number_id: phone,
        since,
        until: time::iso(now),
        inbound,
        outbound,
        active_conversations: conversations.len(),
        failed_webhook_records: failed,
        truncated,
    })
}
