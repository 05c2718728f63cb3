//! `read` and `delivery` events → statuses of the business's messages, only forward.
//!
//! Instagram names the message read (`read.mid`); Messenger names the delivered messages
//! (`delivery.mids`) when it can, and always a `watermark`: every message sent up to that time.
//! A watermark applies to the business's messages of the conversation up to it, among its
//! newest [`WATERMARK_SCAN`] messages.

use serde_json::Value;

use super::{Event, from_millis};
use crate::ctx::Ctx;
use crate::inbound::{RecordReport, tolerate};
use crate::model::{Direction, MessageStatus};
use crate::store::{PageRequest, StatusApplied, StatusUpdate, StoreError};

/// How many of a conversation's newest messages a watermark is applied to.
pub const WATERMARK_SCAN: usize = 200;

pub(super) async fn apply(
    ctx: &Ctx,
    event: &Event<'_>,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let (status, receipt) = match (event.raw.get("read"), event.raw.get("delivery")) {
        (Some(read), _) => (MessageStatus::Read, read),
        (None, Some(delivery)) => (MessageStatus::Delivered, delivery),
        (None, None) => return Ok(()),
    };
    let mut mids: Vec<String> = receipt
        .get("mids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if let Some(mid) = receipt.get("mid").and_then(Value::as_str) {
        mids.push(mid.to_string());
    }
    let watermark = receipt.get("watermark").and_then(from_millis);
    // The receipt's own time; Messenger's delivery has none, its watermark stands in.
    let at = match (&watermark, event.raw.get("timestamp")) {
        (Some(w), None) => w.clone(),
        _ => event.at.clone(),
    };
    if mids.is_empty() {
        let Some(watermark) = watermark else {
            report.counts.poison += 1;
            report
                .errors
                .push("receipt without mid(s) or watermark".into());
            return Ok(());
        };
        mids = up_to(ctx, event, &watermark, &status).await?;
    }
    for mid in mids {
        let update = StatusUpdate {
            wa_message_id: mid.clone(),
            status: status.clone(),
            at: at.clone(),
            conversation_pk: Some(event.conversation_pk()),
            phone_number_id: Some(event.account.to_string()),
            to: Some(event.customer.clone()),
            now: event.now.to_string(),
            ..Default::default()
        };
        let what = format!("{} of {mid}", status.as_str());
        match tolerate(ctx.store().apply_status(&update).await, &what, report)? {
            Some(StatusApplied::Applied) => {
                report.counts.statuses += 1;
                report.applied_statuses.push(status.clone());
            }
            Some(StatusApplied::Stale) => report.counts.stale_statuses += 1,
            None => {}
        }
    }
    Ok(())
}

/// The business's messages of the conversation sent at or before `watermark` that are not yet
/// at `status`.
async fn up_to(
    ctx: &Ctx,
    event: &Event<'_>,
    watermark: &str,
    status: &MessageStatus,
) -> Result<Vec<String>, StoreError> {
    let pk = event.conversation_pk();
    let mut found = Vec::new();
    let mut cursor = None;
    let mut seen = 0;
    while seen < WATERMARK_SCAN {
        let page = ctx
            .store()
            .list_messages(
                &pk,
                &PageRequest {
                    limit: 50,
                    cursor: cursor.take(),
                },
            )
            .await?;
        seen += page.items.len();
        for message in page.items {
            if message.direction == Direction::Outbound
                && message.received_at.as_str() <= watermark
                && message.status_rank < status.rank()
            {
                found.push(message.wa_message_id);
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(found)
}
