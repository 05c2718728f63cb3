//! The conversation side of the lifecycle: events that are not messages (`request_welcome`,
//! the activity and preview of an edit, deletion or reaction) and number changes.

use crate::model::{ConversationItem, Direction, ItemType, MessageItem};

/// A conversation event that is not a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationEvent {
    pub pk: String,
    /// Meta's time of the event.
    pub at: String,
    pub now: String,
    /// `request_welcome`: the customer opened the chat. It creates the conversation if needed
    /// and opens the 24-hour window, with no message and nothing unread.
    pub open: Option<ConversationOpen>,
    /// The conversation's preview when its last message is this id (an edited or deleted last
    /// message): `(message id, preview)`.
    pub preview: Option<(String, String)>,
}

/// Who the conversation opened by `request_welcome` is with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationOpen {
    pub inbox_pk: String,
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub customer_id: String,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub profile_name: Option<String>,
}

/// The conversation after `ev`, or `None` when nothing changes (or when there is no
/// conversation and `ev` does not open one). Only moves forward: `lastActivityAt` and
/// `lastInboundAt` only grow, `welcomeRequestedAt` is the first welcome.
pub fn apply_event(
    existing: Option<ConversationItem>,
    ev: &ConversationEvent,
) -> Option<ConversationItem> {
    let mut changed = false;
    let mut conv = match (existing, &ev.open) {
        (Some(conv), _) => conv,
        (None, Some(open)) => {
            changed = true;
            ConversationItem {
                pk: ev.pk.clone(),
                item_type: ItemType::Conversation,
                inbox_pk: open.inbox_pk.clone(),
                phone_number_id: open.phone_number_id.clone(),
                waba_id: open.waba_id.clone(),
                customer_id: open.customer_id.clone(),
                wa_id: open.wa_id.clone(),
                user_id: open.user_id.clone(),
                profile_name: open.profile_name.clone(),
                // Listed in the inbox at the time it was opened, with no message yet.
                last_message_at: ev.at.clone(),
                created_at: ev.now.clone(),
                ..Default::default()
            }
        }
        (None, None) => return None,
    };
    if conv
        .last_activity_at
        .as_deref()
        .is_none_or(|old| old < ev.at.as_str())
    {
        conv.last_activity_at = Some(ev.at.clone());
        changed = true;
    }
    if ev.open.is_some() {
        if conv.welcome_requested_at.is_none() {
            conv.welcome_requested_at = Some(ev.at.clone());
            changed = true;
        }
        if conv
            .last_inbound_at
            .as_deref()
            .is_none_or(|old| old < ev.at.as_str())
        {
            conv.last_inbound_at = Some(ev.at.clone());
            changed = true;
        }
    }
    if let Some((id, preview)) = &ev.preview
        && conv.last_message_id.as_deref() == Some(id.as_str())
        && conv.last_message_preview.as_deref() != Some(preview.as_str())
    {
        conv.last_message_preview = Some(preview.clone());
        changed = true;
    }
    changed.then(|| {
        conv.updated_at = ev.now.clone();
        conv
    })
}

/// A customer's number change (`user_changed_number`): the conversation `pk` follows the new
/// number, and the new number (and the customer's BSUID) lead to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerLink {
    /// The conversation that carries on (the old number's).
    pub pk: String,
    /// `(pk, customer id)` of each id that must lead to `pk`: `CONV#{phone}#{new wa_id}`, and
    /// the BSUID's when Meta sent one.
    pub aliases: Vec<(String, String)>,
    pub old_wa_id: String,
    pub new_wa_id: String,
    /// Meta's time of the change.
    pub at: String,
    pub now: String,
}

/// The kept conversation after a number change, or `None` when it already knows it. The
/// latest change (by Meta's time) names the number sends go to; every earlier number is kept.
pub fn link_numbers(mut conv: ConversationItem, link: &CustomerLink) -> Option<ConversationItem> {
    let before = conv.clone();
    if conv
        .number_changed_at
        .as_deref()
        .is_none_or(|old| old < link.at.as_str())
    {
        conv.number_changed_at = Some(link.at.clone());
        conv.wa_id = Some(link.new_wa_id.clone());
    }
    for number in [&link.old_wa_id, &link.new_wa_id] {
        if !conv.previous_wa_ids.contains(number) {
            conv.previous_wa_ids.push(number.clone());
        }
    }
    // The earlier numbers, as a sorted set: the same whatever order the changes arrive in.
    let current = conv.wa_id.clone();
    conv.previous_wa_ids.retain(|n| Some(n) != current.as_ref());
    conv.previous_wa_ids.sort();
    (conv != before).then(|| {
        conv.updated_at = link.now.clone();
        conv
    })
}

/// The conversation event of a message that arrived after changes to it (an edit, a deletion
/// or a reaction that came first): the conversation shows it as it is now, and its activity
/// is the latest change, as if the changes had come in order. `None` when nothing waited.
pub fn settled_event(merged: &MessageItem, now: &str) -> Option<ConversationEvent> {
    if merged.rev == 0 {
        return None;
    }
    let at = [merged.edited_at.as_ref(), merged.deleted_at.as_ref()]
        .into_iter()
        .flatten()
        .chain(merged.reactions.values().map(|r| &r.at))
        .max()?
        .clone();
    Some(ConversationEvent {
        pk: merged.conversation_pk.clone()?,
        at,
        now: now.to_string(),
        open: None,
        preview: Some((merged.wa_message_id.clone(), crate::model::preview(merged))),
    })
}

/// The touch that brings a conversation started under a new number (before the number change
/// was known) into `target`: its newest message, as a message of `target`. `None` when it has
/// no message.
pub fn absorb_touch(
    started: &ConversationItem,
    target: &str,
) -> Option<crate::store::ConversationTouch> {
    Some(crate::store::ConversationTouch {
        pk: target.to_string(),
        inbox_pk: started.inbox_pk.clone(),
        phone_number_id: started.phone_number_id.clone(),
        waba_id: started.waba_id.clone(),
        customer_id: started.customer_id.clone(),
        wa_id: started.wa_id.clone(),
        user_id: started.user_id.clone(),
        profile_name: started.profile_name.clone(),
        message_at: started.last_message_at.clone(),
        message_arrived_at: started.last_message_arrived_at.clone(),
        message_id: started.last_message_id.clone()?,
        preview: started.last_message_preview.clone().unwrap_or_default(),
        direction: started.last_message_direction.unwrap_or(Direction::Inbound),
        // Its window moves separately (`lastInboundAt` is not always its newest message).
        inbound: false,
        now: started.updated_at.clone(),
    })
}
