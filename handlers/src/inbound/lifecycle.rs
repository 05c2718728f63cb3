//! Elements of `messages[]` that change the conversation rather than add to it: an edit, a
//! deletion (`revoke`) or a reaction changes the message it names; `request_welcome` opens the
//! chat; a number change (`system` of type `user_changed_number`) moves the conversation to the
//! new number. None of them is stored as a message, counted unread or shown as the last message.
//! The rules are `rules::lifecycle`, applied by the store.

use serde_json::Value;
use tracing::debug;

use super::{RecordReport, push_lag, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::model::{self, Arrival, Contact, Customer, Direction, MessageItem};
use crate::redact::mask;
use crate::rules::lifecycle::{
    Annotation, Change, ConversationEvent, ConversationOpen, CustomerLink,
};
use crate::store::StoreError;
use crate::time;

/// The `type`s handled here instead of being stored as messages.
const KINDS: [&str; 4] = ["edit", "revoke", "reaction", "request_welcome"];

/// True for an element of `messages[]` that is a change, not a message.
pub(super) fn is_change(raw: &Value) -> bool {
    raw.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| KINDS.contains(&t))
}

/// Applies one change (see [`is_change`]) made by `by`: the customer (`INBOUND`, the
/// `messages` field), or the business from the WhatsApp Business app (`OUTBOUND`, an echo,
/// whose `from` the caller has set to the customer). A change without the ids it needs is
/// poison.
pub(super) async fn process_change(
    ctx: &Ctx,
    raw: &Value,
    arrival: &Arrival<'_>,
    contacts: &[Contact],
    by: Direction,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let kind = raw.get("type").and_then(Value::as_str).unwrap_or_default();
    let id = text(raw, "/id");
    let customer = model::inbound_customer(raw, contacts);
    let (Some(id), Some(customer_id)) = (id, customer.id().map(str::to_string)) else {
        report.counts.poison += 1;
        report
            .errors
            .push(format!("{kind} without `id` or customer"));
        return Ok(());
    };
    let at = raw
        .get("timestamp")
        .and_then(time::from_meta_timestamp)
        .unwrap_or_else(|| arrival.now.to_string());
    let conversation_pk = keys::conversation(arrival.phone_number_id, &customer_id);
    let mut event = ConversationEvent {
        pk: conversation_pk,
        at: at.clone(),
        now: arrival.now.to_string(),
        ..Default::default()
    };
    if kind == "request_welcome" {
        event.open = Some(open(arrival, &customer, &customer_id));
        let what = format!("request_welcome {id}");
        if let Some(changed) = tolerate(
            ctx.store().apply_conversation_event(&event).await,
            &what,
            report,
        )? {
            count(report, kind, changed);
        }
        // automations (issue 9): the welcome rules answer a chat the customer opened
        crate::automations::after_welcome_request(
            ctx,
            arrival.phone_number_id,
            &customer_id,
            &id,
            &at,
            report,
        )
        .await;
        return Ok(());
    }

    let reactor = match by {
        Direction::Inbound => customer_id.clone(),
        Direction::Outbound => arrival.phone_number_id.to_string(),
    };
    let Some(annotation) = annotation(ctx, raw, kind, &id, &at, &reactor, by, arrival.now) else {
        report.counts.poison += 1;
        report
            .errors
            .push(format!("{kind} {id} does not name the message it changes"));
        return Ok(());
    };
    let what = format!("{kind} {id}");
    let Some(changed) = tolerate(
        ctx.store().annotate_message(&annotation).await,
        &what,
        report,
    )?
    else {
        return Ok(());
    };
    debug!(wamid = %id, target = %annotation.target, customer = %mask(&customer_id), kind, applied = changed.is_some(), "message change");
    push_lag(report, &at, arrival.now);
    if matches!(
        annotation.change,
        Change::Edit { .. } | Change::Revoke { .. }
    ) {
        event.preview = changed
            .as_ref()
            .map(|item: &MessageItem| (annotation.target.clone(), model::preview(item)));
    }
    count(report, kind, changed.is_some());
    // Applied even when the change was a duplicate: a crash between the two writes is
    // completed by the redelivery (the event is idempotent).
    tolerate(
        ctx.store().apply_conversation_event(&event).await,
        &what,
        report,
    )?;
    Ok(())
}

fn count(report: &mut RecordReport, kind: &str, changed: bool) {
    if changed {
        report.counts.changes += 1;
        report.new_types.push(kind.to_string());
    } else {
        report.counts.duplicates += 1;
    }
}

fn open(arrival: &Arrival<'_>, customer: &Customer, customer_id: &str) -> ConversationOpen {
    ConversationOpen {
        inbox_pk: keys::inbox(arrival.phone_number_id),
        phone_number_id: arrival.phone_number_id.to_string(),
        waba_id: Some(arrival.waba_id.to_string()),
        customer_id: customer_id.to_string(),
        wa_id: customer.wa_id.clone(),
        user_id: customer.user_id.clone(),
        profile_name: customer.profile_name.clone(),
    }
}

/// The change an `edit`, `revoke` or `reaction` makes, or `None` without the message it names.
#[allow(clippy::too_many_arguments)]
fn annotation(
    ctx: &Ctx,
    raw: &Value,
    kind: &str,
    id: &str,
    at: &str,
    reactor: &str,
    by: Direction,
    now: &str,
) -> Option<Annotation> {
    let (target, change) = match kind {
        "edit" => {
            let message = raw.pointer("/edit/message").cloned().unwrap_or_default();
            let new_text = message.get("type").and_then(Value::as_str).and_then(|t| {
                text(&message, &format!("/{t}/body"))
                    .or_else(|| text(&message, &format!("/{t}/caption")))
            });
            (
                text(raw, "/edit/original_message_id")?,
                Change::Edit { text: new_text },
            )
        }
        "revoke" => (
            text(raw, "/revoke/original_message_id")?,
            Change::Revoke { by },
        ),
        _ => (
            text(raw, "/reaction/message_id")?,
            Change::React {
                reactor: reactor.to_string(),
                emoji: text(raw, "/reaction/emoji").filter(|e| !e.is_empty()),
            },
        ),
    };
    Some(Annotation {
        target,
        id: id.to_string(),
        at: at.to_string(),
        change,
        keep_deleted_content: ctx.settings().inbound.keep_deleted_content,
        now: now.to_string(),
    })
}

/// After a `system` message is recorded: a number change links the customer's conversation
/// to the new number (and to the customer's BSUID, the identity that does not change).
pub(super) async fn after_system_message(
    ctx: &Ctx,
    raw: &Value,
    item: &MessageItem,
    customer: &Customer,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let kind = text(raw, "/system/type").unwrap_or_default();
    if !matches!(
        kind.as_str(),
        "user_changed_number" | "customer_changed_number"
    ) {
        return Ok(());
    }
    let new = text(raw, "/system/new_wa_id").or_else(|| text(raw, "/system/wa_id"));
    let (Some(new), Some(old), Some(pk), Some(phone)) = (
        new,
        customer.wa_id.clone(),
        item.conversation_pk.clone(),
        item.phone_number_id.clone(),
    ) else {
        return Ok(());
    };
    if new == old {
        return Ok(());
    }
    let mut aliases = vec![(keys::conversation(&phone, &new), new.clone())];
    let bsuid = text(raw, "/system/user_id").or_else(|| customer.user_id.clone());
    if let Some(bsuid) = bsuid.filter(|b| *b != old) {
        aliases.push((keys::conversation(&phone, &bsuid), bsuid));
    }
    let link = CustomerLink {
        pk,
        aliases,
        old_wa_id: old,
        new_wa_id: new,
        at: item.received_at.clone(),
        now: item.created_at.clone(),
    };
    let what = format!("number change {}", item.wa_message_id);
    tolerate(ctx.store().link_customer(&link).await, &what, report)?;
    Ok(())
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
