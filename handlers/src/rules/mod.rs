//! The merge rules of the single table, as plain functions over typed items.
//!
//! The embedded store applies them directly; the DynamoDB store expresses the same rules as
//! condition and update expressions. The conformance suite holds both to the same results.

use crate::model::{ConversationItem, Direction, ItemType, MessageItem, MessageStatus};
use crate::store::{ConversationTouch, StatusUpdate};

pub mod counts;
pub mod lifecycle;
pub mod order;
pub mod transition;

pub use order::{Position, position};

/// The message item after recording `new`, or `None` when the message is already stored (a
/// duplicate). An item that a status created first keeps its status and status times.
pub fn merge_message(existing: Option<MessageItem>, new: &MessageItem) -> Option<MessageItem> {
    match existing {
        Some(old) if old.kind.is_some() => None,
        Some(old) => {
            let waiting = old.clone();
            // An item that only edits, deletions or reactions made has no status of its own.
            let (status, status_rank) = if lifecycle::is_waiting(&old) && old.status_rank == 0 {
                (new.status.clone(), new.status_rank)
            } else {
                (old.status, old.status_rank)
            };
            let mut merged = MessageItem {
                status,
                status_rank,
                sent_at: old.sent_at,
                delivered_at: old.delivered_at,
                read_at: old.read_at,
                played_at: old.played_at,
                failed_at: old.failed_at,
                error: old.error.or_else(|| new.error.clone()),
                pricing: old.pricing,
                billing_conversation: old.billing_conversation,
                created_at: old.created_at,
                updated_at: old.updated_at,
                biz_opaque_callback_data: new
                    .biz_opaque_callback_data
                    .clone()
                    .or(old.biz_opaque_callback_data),
                // What the status knew and the message does not say is kept (DynamoDB only SETs
                // the attributes a message has).
                to: new.to.clone().or(old.to),
                to_user_id: new.to_user_id.clone().or(old.to_user_id),
                phone_number_id: new.phone_number_id.clone().or(old.phone_number_id),
                waba_id: new.waba_id.clone().or(old.waba_id),
                conversation_pk: new.conversation_pk.clone().or(old.conversation_pk),
                ..new.clone()
            };
            lifecycle::settle_arrival(&waiting, &mut merged);
            Some(merged)
        }
        None => Some(new.clone()),
    }
}

/// The message item after a status, or `None` when the status is not newer than the stored one.
/// A status for an unknown message creates the item; its message merges into it later.
pub fn apply_status(existing: Option<MessageItem>, u: &StatusUpdate) -> Option<MessageItem> {
    let rank = u.status.rank();
    if existing.as_ref().is_some_and(|old| old.status_rank >= rank) {
        return None;
    }
    let mut item = existing.unwrap_or_else(|| MessageItem {
        pk: crate::keys::message(&u.wa_message_id),
        item_type: ItemType::Message,
        wa_message_id: u.wa_message_id.clone(),
        direction: Direction::Outbound,
        received_at: u.at.clone(),
        created_at: u.now.clone(),
        ..Default::default()
    });
    item.status = u.status.clone();
    item.status_rank = rank;
    let at = Some(u.at.clone());
    match u.status {
        MessageStatus::Sent => item.sent_at = at,
        MessageStatus::Delivered => item.delivered_at = at,
        MessageStatus::Read => item.read_at = at,
        MessageStatus::Played => item.played_at = at,
        MessageStatus::Failed => item.failed_at = at,
        MessageStatus::Accepted | MessageStatus::Received | MessageStatus::Other(_) => {}
    }
    item.updated_at = Some(u.now.clone());
    item.conversation_pk = item.conversation_pk.or_else(|| u.conversation_pk.clone());
    item.phone_number_id = item.phone_number_id.or_else(|| u.phone_number_id.clone());
    item.waba_id = item.waba_id.or_else(|| u.waba_id.clone());
    item.to = item.to.or_else(|| u.to.clone());
    item.to_user_id = item.to_user_id.or_else(|| u.to_user_id.clone());
    item.biz_opaque_callback_data = item
        .biz_opaque_callback_data
        .or_else(|| u.biz_opaque_callback_data.clone());
    if u.error.is_some() {
        item.error = u.error.clone();
    }
    if u.pricing.is_some() {
        item.pricing = u.pricing.clone();
    }
    if u.billing_conversation.is_some() {
        item.billing_conversation = u.billing_conversation.clone();
    }
    Some(item)
}

/// Unread counts stop here (an inbox shows "1000+"): counting a conversation never reads more.
pub const MAX_UNREAD_COUNT: i64 = 1000;

/// Whether `message` is unread in `conversation`: an inbound message after the read mark, or at
/// the mark's second but not among the messages it covered. The one definition of unread; the
/// stores count the conversation's messages with it (DynamoDB as a filtered `Query`).
pub fn is_unread(conversation: &ConversationItem, message: &MessageItem) -> bool {
    message.direction == Direction::Inbound
        && match conversation.last_read_at.as_deref() {
            None => true,
            Some(mark) => {
                message.received_at.as_str() > mark
                    || (message.received_at == mark
                        && !conversation.last_read_ids.contains(&message.wa_message_id))
            }
        }
}

/// The conversation marked read up to its newest message: `at_mark` are the ids of its inbound
/// messages at exactly that time. A mark never moves backwards.
pub fn mark_read(conversation: &mut ConversationItem, at_mark: Vec<String>, now: &str) {
    let mark = conversation.last_message_at.clone();
    if conversation
        .last_read_at
        .as_deref()
        .is_none_or(|old| old <= mark.as_str())
    {
        conversation.last_read_at = Some(mark);
        conversation.last_read_ids = at_mark;
    }
    conversation.unread_count = 0;
    conversation.updated_at = now.to_string();
}

/// A conversation as it looks after `touch` is applied to `existing` (or to nothing): the one
/// definition of the merge rules, used by the embedded store and by tests of the DynamoDB store.
pub fn merge_conversation(
    existing: Option<ConversationItem>,
    touch: &ConversationTouch,
) -> ConversationItem {
    let mut conv = existing.unwrap_or_else(|| ConversationItem {
        pk: touch.pk.clone(),
        item_type: ItemType::Conversation,
        inbox_pk: touch.inbox_pk.clone(),
        phone_number_id: touch.phone_number_id.clone(),
        customer_id: touch.customer_id.clone(),
        last_message_at: String::new(),
        created_at: touch.now.clone(),
        ..Default::default()
    });
    // The newest message wins by its place in the thread (time, then when we learned of it,
    // then id: `order::Position`), so the result does not depend on the order of processing,
    // and a redelivery, which brings the same arrival time, changes nothing.
    let newest = order::last_position(&conv).is_none_or(|last| order::touch_position(touch) > last);
    if newest {
        conv.last_message_at = touch.message_at.clone();
        conv.last_message_arrived_at = touch.message_arrived_at.clone();
        conv.last_message_id = Some(touch.message_id.clone());
        conv.last_message_preview = Some(touch.preview.clone());
        conv.last_message_direction = Some(touch.direction);
        conv.waba_id = touch.waba_id.clone().or(conv.waba_id);
        conv.wa_id = touch.wa_id.clone().or(conv.wa_id);
        conv.user_id = touch.user_id.clone().or(conv.user_id);
        conv.profile_name = touch.profile_name.clone().or(conv.profile_name);
    }
    let mut changed = newest;
    if touch.inbound {
        if conv
            .last_inbound_at
            .as_deref()
            .is_none_or(|l| touch.message_at.as_str() > l)
        {
            conv.last_inbound_at = Some(touch.message_at.clone());
            changed = true;
        }
        if newest {
            // A customer writing again brings an archived conversation back to the inbox.
            conv.archived = false;
            conv.inbox_pk = touch.inbox_pk.clone();
        }
    }
    if changed {
        conv.updated_at = touch.now.clone();
    }
    conv
}

/// [`crate::store::Store::merge_record`] over a stored item (JSON): `set`'s attributes written
/// (an existing `createdAt` kept), `forward`'s only when the stored rank is absent or lower.
/// Returns the merged item and whether `forward` was applied.
pub fn merge_record(
    existing: Option<serde_json::Value>,
    pk: &str,
    set: &serde_json::Value,
    forward: Option<&crate::store::Forward>,
) -> (serde_json::Value, bool) {
    use serde_json::Value;
    let mut item = match existing {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let had_created = item.contains_key(crate::model::attr::CREATED_AT);
    item.insert(crate::keys::PK.into(), Value::String(pk.to_string()));
    for (name, value) in set.as_object().into_iter().flatten() {
        if name == crate::model::attr::CREATED_AT && had_created {
            continue;
        }
        item.insert(name.clone(), value.clone());
    }
    let mut applied = false;
    if let Some(f) = forward {
        let stored = item.get(f.rank_attr).and_then(Value::as_i64);
        if stored.is_none_or(|r| r < f.rank) {
            for (name, value) in f.attrs.as_object().into_iter().flatten() {
                if name == crate::model::attr::CREATED_AT && had_created {
                    continue;
                }
                item.insert(name.clone(), value.clone());
            }
            item.insert(f.rank_attr.into(), Value::from(f.rank));
            applied = true;
        }
    }
    (Value::Object(item), applied)
}
