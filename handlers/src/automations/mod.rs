//! Automations: rules stored as `AUTOMATION#{id}` items that answer customer messages (a
//! welcome, keyword replies, an away message outside business hours, opt-out keywords).
//!
//! They run in the inbound path after a message is stored ([`after_inbound`], also on a
//! redelivery) and after a `request_welcome` ([`after_welcome_request`]). The reply is sent
//! through the send pipeline under the idempotency key `automation:{inbound wamid}`, so a
//! redelivered message never sends twice; a cooldown lease per rule and conversation
//! (`AUTOMATION_COOLDOWN#…`, [`crate::store::Store::claim_lease`]) keeps a rule from answering
//! the same customer again too soon (loops with another bot, floods). A rule that fails is
//! logged and counted (`automationFailures`), never fails the inbound record. OUTBOUND echoes,
//! statuses, reactions and edits never reach this module.

pub mod matching;
pub mod model;
mod send;

use chrono::Utc;
use serde_json::Value;
use tracing::{debug, warn};

use crate::ctx::Ctx;
use crate::inbound::RecordReport;
use crate::keys;
use crate::model::{Direction, MessageItem};
use crate::store::{PageRequest, StoreError};
pub use matching::{Incoming, choose};
pub use model::{AutomationItem, Kind, Rule};
pub use send::{Outcome, fire, reply_preview};

/// At most this many rules are read (one page of `gsi-itemType`).
pub const MAX_RULES: u32 = 100;

/// The stored rules, oldest first.
///
/// # Errors
/// The store's.
pub async fn load(ctx: &Ctx) -> Result<Vec<AutomationItem>, StoreError> {
    let page = ctx
        .store()
        .list_by_item_type(
            keys::item_type::AUTOMATION,
            &PageRequest {
                limit: MAX_RULES,
                cursor: None,
            },
        )
        .await?;
    let mut rules: Vec<AutomationItem> = page
        .items
        .into_iter()
        .filter_map(|v: Value| serde_json::from_value(v).ok())
        .collect();
    rules.reverse();
    Ok(rules)
}

/// Runs the rules for a customer message just stored (or stored before: a redelivery). Never
/// fails: a failure is logged and counted in the report.
pub async fn after_inbound(
    ctx: &Ctx,
    item: &MessageItem,
    customer_id: &str,
    report: &mut RecordReport,
) {
    if item.direction != Direction::Inbound || item.system.is_some() || customer_id.is_empty() {
        return;
    }
    let (Some(phone), Some(conv)) = (
        item.phone_number_id.as_deref(),
        item.conversation_pk.as_deref(),
    ) else {
        return;
    };
    let at = crate::time::parse_iso(&item.received_at).unwrap_or_else(Utc::now);
    let result = async {
        let rules = load(ctx).await?;
        if rules.is_empty() {
            return Ok(None);
        }
        let wants_first = matching::ordered(&rules, phone)
            .iter()
            .any(|r| r.rule.kind == Kind::Welcome);
        let first = wants_first && is_first(ctx, conv, &item.wa_message_id).await?;
        let incoming = Incoming {
            phone_number_id: phone,
            text: item.text.as_deref(),
            at,
            first,
            welcome_request: false,
        };
        let Some((rule, reason)) = choose(&rules, &incoming) else {
            return Ok(None);
        };
        debug!(rule = %rule.id, %reason, "automation matches");
        Ok(Some(
            fire(
                ctx,
                &rule,
                phone,
                conv,
                customer_id,
                &item.wa_message_id,
                at,
            )
            .await,
        ))
    }
    .await;
    tally(result, &item.wa_message_id, report);
}

/// Runs the welcome rules for a chat the customer opened (`request_welcome`, whose id keys the
/// reply). Never fails, as [`after_inbound`].
pub async fn after_welcome_request(
    ctx: &Ctx,
    phone: &str,
    customer_id: &str,
    request_id: &str,
    at: &str,
    report: &mut RecordReport,
) {
    let conv = keys::conversation(phone, customer_id);
    let at = crate::time::parse_iso(at).unwrap_or_else(Utc::now);
    let result = async {
        let rules = load(ctx).await?;
        let incoming = Incoming {
            phone_number_id: phone,
            text: None,
            at,
            first: true,
            welcome_request: true,
        };
        let Some((rule, _)) = choose(&rules, &incoming) else {
            return Ok(None);
        };
        Ok(Some(
            fire(ctx, &rule, phone, &conv, customer_id, request_id, at).await,
        ))
    }
    .await;
    tally(result, request_id, report);
}

fn tally(result: Result<Option<Outcome>, StoreError>, id: &str, report: &mut RecordReport) {
    match result {
        Ok(None) => {}
        Ok(Some(Outcome::Sent { .. })) => report.counts.automations_fired += 1,
        Ok(Some(Outcome::Cooldown)) => debug!(wamid = %id, "automation in cooldown"),
        Ok(Some(Outcome::Failed(e))) => {
            warn!(wamid = %id, error = %e, "automation failed; the message is stored");
            report.counts.automation_failures += 1;
        }
        Err(e) => {
            warn!(wamid = %id, error = %crate::error::chain(&e), "automations not run; the message is stored");
            report.counts.automation_failures += 1;
        }
    }
}

/// True when the conversation holds no customer message other than `wa_message_id`.
async fn is_first(ctx: &Ctx, conv: &str, wa_message_id: &str) -> Result<bool, StoreError> {
    let page = ctx
        .store()
        .list_messages(
            conv,
            &PageRequest {
                limit: 20,
                cursor: None,
            },
        )
        .await?;
    let other = page.items.iter().any(|m| {
        m.direction == Direction::Inbound && m.wa_message_id != wa_message_id && m.kind.is_some()
    });
    Ok(!other && page.next_cursor.is_none())
}

#[cfg(test)]
mod matching_tests;
