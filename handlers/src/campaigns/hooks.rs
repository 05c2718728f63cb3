//! The campaign side of the inbound path: a status webhook of a campaign message moves its
//! recipient (and the counters), a customer's message counts as a reply to the last campaign
//! message they got within its window. Both are idempotent per recipient (`count::apply`).

use serde_json::{Value, json};
use tracing::info;

use super::count::{self, Event, RATE_LIMIT_CODE};
use super::model::{CampaignItem, state};
use crate::ctx::Ctx;
use crate::keys;
use crate::model::{MessageStatus, Status};
use crate::store::{StoreError, get_item_as};

/// The campaign statuses of one messages change (called by `inbound::messages` after the
/// statuses are applied). A status that is not a campaign's is left alone.
///
/// # Errors
/// The store's: the record is delivered again, and counts nothing twice.
pub async fn on_statuses(ctx: &Ctx, statuses: &[Value], now: &str) -> Result<(), StoreError> {
    for raw in statuses {
        let Ok(status) = serde_json::from_value::<Status>(raw.clone()) else {
            continue;
        };
        let Some(data) = status.biz_opaque_callback_data.as_deref() else {
            continue;
        };
        let caller = match crate::outbound::parse_tag(data) {
            Some((_, caller)) => caller,
            None => Some(data.to_string()),
        };
        let Some((campaign_id, seq)) = caller.as_deref().and_then(super::worker::parse_callback)
        else {
            continue;
        };
        let at = status
            .timestamp
            .as_ref()
            .and_then(crate::time::from_meta_timestamp)
            .unwrap_or_else(|| now.to_string());
        let error = status.errors.first();
        let event = Event::Status {
            wa_message_id: status.id.clone(),
            rank: i64::from(MessageStatus::from(status.status.clone()).rank()),
            at,
            error_code: error.and_then(|e| e.code).map(|c| c.to_string()),
            error: error.and_then(|e| e.title.clone().or_else(|| e.message.clone())),
        };
        let pk = keys::campaign_recipient(&campaign_id, seq);
        let after = count::apply(ctx.store(), &pk, &event).await?;
        let rate_limited = matches!(&event, Event::Status { error_code: Some(code), .. } if code == RATE_LIMIT_CODE);
        if rate_limited && after.is_some() {
            rate_limit_hit(ctx, &campaign_id).await?;
        }
    }
    Ok(())
}

/// Meta answered 130429 for one of the campaign's messages: the campaign slows down, and one that
/// had completed runs again for the recipients put back.
async fn rate_limit_hit(ctx: &Ctx, campaign_id: &str) -> Result<(), StoreError> {
    let set = json!({"throttledAt": ctx.campaigns().clock.now_ms()});
    ctx.store()
        .merge_record(&keys::campaign(campaign_id), &set, None)
        .await?;
    let Some(c) = get_item_as::<CampaignItem>(ctx.store(), &keys::campaign(campaign_id)).await?
    else {
        return Ok(());
    };
    if c.state == state::COMPLETED {
        info!(campaign = %campaign_id, "rate-limited recipients after completion: running again");
        if let Err(e) = super::start_chain(ctx, &c, state::RUNNING, 60).await {
            tracing::warn!(campaign = %campaign_id, error = %e, "could not restart the campaign; resume_campaign sends to the recipients put back");
        }
    }
    Ok(())
}

/// A message from `customer_id` to business phone `phone_number_id` at `at`: a reply to the
/// last campaign message they got, when within its window (called by `inbound::messages` after
/// the message is stored).
///
/// # Errors
/// The store's.
pub async fn on_inbound(
    ctx: &Ctx,
    phone_number_id: &str,
    customer_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    let Some(touch) = ctx
        .store()
        .get_item(&keys::campaign_touch(phone_number_id, customer_id))
        .await?
    else {
        return Ok(());
    };
    let Some(pk) = touch["recipientPk"].as_str() else {
        return Ok(());
    };
    let window_hours = touch["replyWindowHours"].as_u64().unwrap_or(24) as u32;
    count::apply(
        ctx.store(),
        pk,
        &Event::Replied {
            at: at.to_string(),
            window_hours,
        },
    )
    .await?;
    Ok(())
}
