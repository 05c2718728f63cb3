//! `get_stats`: counts over a recent window, read from the table: the conversations with a
//! message in the window (`gsi-inbox`, open and archived), their messages in the window
//! (`gsi-conversation`), and failed webhook events (`gsi-itemType`). Reading costs are paid
//! here, by an occasional report, instead of an index written on every message.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::Direction;
use crate::params;
use crate::params::ids::PhoneNumberId;
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
    pub phone_number_id: Option<PhoneNumberId>,
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
    /// Conversations with a message in the window.
    pub active_conversations: usize,
    /// Of those, the ones with unread messages, and how many (each counted up to 1,000).
    pub unread_conversations: usize,
    pub unread_messages: i64,
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
    let mut active = 0usize;
    let (mut unread_conversations, mut unread_messages) = (0usize, 0i64);
    let (mut inbound, mut outbound) = (DirectionStats::default(), DirectionStats::default());
    // The conversations with a message in the window are the most recent of the phone's open
    // and archived inboxes; their messages in the window are the newest of each.
    'inboxes: for inbox in [keys::inbox(&phone), keys::archived_inbox(&phone)] {
        let mut page = PageRequest {
            limit: 100,
            cursor: None,
        };
        loop {
            let got = ctx.store().list_conversations(&inbox, &page).await?;
            for conversation in &got.items {
                if conversation.last_message_at < since {
                    continue 'inboxes;
                }
                active += 1;
                if conversation.unread_count > 0 {
                    unread_conversations += 1;
                    unread_messages += conversation.unread_count;
                }
                read += count_messages(ctx, &conversation.pk, &since, &mut inbound, &mut outbound)
                    .await?;
                if read >= MAX_ITEMS {
                    truncated = true;
                    break 'inboxes;
                }
            }
            match got.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => break,
            }
        }
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
        active_conversations: active,
        unread_conversations,
        unread_messages,
        failed_webhook_records: failed,
        truncated,
    })
}

/// Adds the messages of one conversation received at or after `since` to the counts; returns
/// how many were read.
async fn count_messages(
    ctx: &Ctx,
    conversation_pk: &str,
    since: &str,
    inbound: &mut DirectionStats,
    outbound: &mut DirectionStats,
) -> Result<usize, HandlerError> {
    let mut read = 0;
    let mut page = PageRequest {
        limit: 100,
        cursor: None,
    };
    loop {
        let got = ctx.store().list_messages(conversation_pk, &page).await?;
        for m in &got.items {
            if m.received_at.as_str() < since {
                return Ok(read);
            }
            read += 1;
            let stats = match m.direction {
                Direction::Inbound => &mut *inbound,
                Direction::Outbound => &mut *outbound,
            };
            stats.total += 1;
            *stats
                .by_type
                .entry(m.kind.clone().unwrap_or_else(|| "unknown".into()))
                .or_default() += 1;
            *stats.by_status.entry(m.status.to_string()).or_default() += 1;
        }
        match got.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return Ok(read),
        }
    }
}
