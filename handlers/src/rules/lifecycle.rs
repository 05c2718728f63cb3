//! What happens to a message after it is sent: edits, deletions ("revokes") and reactions, and
//! the conversation events that are not messages (a chat opened with `request_welcome`, a
//! number change). Plain functions over typed items, like the rest of [`crate::rules`]: the
//! embedded store applies them under its write lock, the DynamoDB store applies them to the item
//! it read and writes the difference only if the item's `rev` has not moved.
//!
//! Every rule is idempotent and commutative, so redelivery and disorder give the same item:
//! - an edit is one version among the message's versions, ordered by (Meta's time, wamid); the
//!   newest is the text, the others are the history;
//! - a deletion is a mark; without `KEEP_DELETED_CONTENT` the content goes and later edits
//!   find nothing to change;
//! - a reaction replaces the same person's reaction only if it is newer by (time, wamid); a
//!   removal stays as a mark without emoji, so a late older reaction cannot bring it back;
//! - an edit, deletion or reaction that arrives before its message is kept on an item without
//!   `type` (as a status that arrives first is), and [`settle_arrival`] applies it when the
//!   message comes.

use crate::keys;
use crate::model::{
    ConversationItem, Direction, EditVersion, ItemType, MessageItem, ReactionState,
};

/// At most this many earlier versions of an edited message are kept (the oldest go first).
/// WhatsApp allows edits for 15 minutes, so a real message rarely has more than a few.
pub const MAX_EDITS: usize = 20;

/// What a message-changing webhook does to its target.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The new text or caption (`None` when the edit carries none).
    Edit { text: Option<String> },
    /// Deleted for everyone by its sender.
    Revoke { by: Direction },
    /// `reactor`'s reaction; `None` removes it.
    React {
        reactor: String,
        emoji: Option<String>,
    },
}

/// One edit, revoke or reaction, aimed at the message `target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// The wamid of the message it changes.
    pub target: String,
    /// Its own wamid.
    pub id: String,
    /// Meta's time of it.
    pub at: String,
    pub change: Change,
    /// `KEEP_DELETED_CONTENT`: a deleted message keeps its content (for compliance).
    pub keep_deleted_content: bool,
    pub now: String,
}

/// The message after `a`, or `None` when `a` changes nothing (a duplicate, an older reaction, an
/// edit of a deleted message). With no stored message, the change is kept on a new item without
/// `type` and without conversation (so it is neither listed nor counted) until the message
/// arrives.
pub fn annotate(existing: Option<MessageItem>, a: &Annotation) -> Option<MessageItem> {
    let mut item = existing.unwrap_or_else(|| MessageItem {
        pk: keys::message(&a.target),
        item_type: ItemType::Message,
        wa_message_id: a.target.clone(),
        direction: Direction::Inbound,
        received_at: a.at.clone(),
        created_at: a.now.clone(),
        ..Default::default()
    });
    let changed = match &a.change {
        Change::Edit { text } => edit(&mut item, &a.id, &a.at, text.clone()),
        Change::Revoke { by } => revoke(&mut item, &a.at, *by, a.keep_deleted_content),
        Change::React { reactor, emoji } => react(&mut item, reactor, emoji.clone(), a),
    };
    changed.then(|| {
        item.rev += 1;
        item.updated_at = Some(a.now.clone());
        item
    })
}

fn edit(item: &mut MessageItem, id: &str, at: &str, text: Option<String>) -> bool {
    if item.deleted_at.is_some() && !item.deleted_content_kept {
        return false;
    }
    if item.wa_message_id == id
        || item.edit_id.as_deref() == Some(id)
        || item.edits.iter().any(|v| v.id == id)
    {
        return false;
    }
    let new = EditVersion {
        text,
        at: at.to_string(),
        id: id.to_string(),
    };
    let mut versions = versions(item);
    versions.push(new);
    set_versions(item, versions);
    true
}

/// Every version of the message's text, oldest first: the original (when the message has
/// arrived), the kept history, the current one.
fn versions(item: &MessageItem) -> Vec<EditVersion> {
    let mut versions = item.edits.clone();
    match &item.edit_id {
        Some(id) => versions.push(EditVersion {
            text: item.text.clone(),
            at: item.edited_at.clone().unwrap_or_default(),
            id: id.clone(),
        }),
        // Not edited yet: the message's own text is the first version (if it has arrived).
        None if item.kind.is_some() => versions.push(EditVersion {
            text: item.text.clone(),
            at: item.received_at.clone(),
            id: item.wa_message_id.clone(),
        }),
        None => {}
    }
    versions
}

/// Orders the versions (the original first, then by time and wamid), keeps the newest as the
/// text and at most [`MAX_EDITS`] of the others.
fn set_versions(item: &mut MessageItem, mut versions: Vec<EditVersion>) {
    let original = item.wa_message_id.clone();
    versions
        .sort_by(|a, b| (a.id != original, &a.at, &a.id).cmp(&(b.id != original, &b.at, &b.id)));
    versions.dedup_by(|a, b| a.id == b.id);
    let Some(current) = versions.pop() else {
        return;
    };
    if current.id == original {
        item.text = current.text;
        item.edit_id = None;
        item.edited_at = None;
    } else {
        item.text = current.text;
        item.edit_id = Some(current.id);
        item.edited_at = Some(current.at);
    }
    let drop = versions.len().saturating_sub(MAX_EDITS);
    item.edits = versions.split_off(drop);
}

fn revoke(item: &mut MessageItem, at: &str, by: Direction, keep: bool) -> bool {
    if item.deleted_at.is_some() {
        return false;
    }
    item.deleted_at = Some(at.to_string());
    item.deleted_by = Some(by);
    item.deleted_content_kept = keep;
    if !keep {
        strip_content(item);
    }
    true
}

/// Removes what a deleted message said, as WhatsApp removes it from the customer's phone: text,
/// media, location, contacts, replies, orders, the kept raw object and the edit history. Who
/// sent it, when, its status and its reactions stay.
pub fn strip_content(item: &mut MessageItem) {
    item.text = None;
    item.media = None;
    item.location = None;
    item.contacts = None;
    item.interactive = None;
    item.button = None;
    item.order = None;
    item.raw = None;
    item.edits.clear();
    item.edit_id = None;
    item.edited_at = None;
}

fn react(item: &mut MessageItem, reactor: &str, emoji: Option<String>, a: &Annotation) -> bool {
    let newer = item
        .reactions
        .get(reactor)
        .is_none_or(|old| (old.at.as_str(), old.id.as_str()) < (a.at.as_str(), a.id.as_str()));
    if newer {
        item.reactions.insert(
            reactor.to_string(),
            ReactionState {
                emoji: emoji.filter(|e| !e.is_empty()),
                at: a.at.clone(),
                id: a.id.clone(),
            },
        );
    }
    newer
}

/// Applies to a message that just arrived what was kept for it before it came: its edits
/// (the message's own text becomes the first version), its deletion and its reactions.
/// `merged` is the arriving message already merged with the waiting item's status.
pub fn settle_arrival(waiting: &MessageItem, merged: &mut MessageItem) {
    merged.reactions = waiting.reactions.clone();
    merged.rev = waiting.rev;
    if waiting.edit_id.is_some() {
        let mut versions = versions(merged);
        versions.extend(waiting.edits.iter().cloned());
        versions.extend(versions_of_pending(waiting));
        set_versions(merged, versions);
    }
    if waiting.deleted_at.is_some() {
        merged.deleted_at = waiting.deleted_at.clone();
        merged.deleted_by = waiting.deleted_by;
        merged.deleted_content_kept = waiting.deleted_content_kept;
        if !waiting.deleted_content_kept {
            strip_content(merged);
        }
    }
}

fn versions_of_pending(waiting: &MessageItem) -> Option<EditVersion> {
    Some(EditVersion {
        text: waiting.text.clone(),
        at: waiting.edited_at.clone()?,
        id: waiting.edit_id.clone()?,
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
        message_id: started.last_message_id.clone()?,
        preview: started.last_message_preview.clone().unwrap_or_default(),
        direction: started.last_message_direction.unwrap_or(Direction::Inbound),
        // Its window moves separately (`lastInboundAt` is not always its newest message).
        inbound: false,
        now: started.updated_at.clone(),
    })
}

/// True when the item holds only changes waiting for their message (no `type`, no status).
pub fn is_waiting(item: &MessageItem) -> bool {
    item.kind.is_none() && item.rev > 0
}

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

#[cfg(test)]
mod tests;
