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
use crate::model::{Direction, EditVersion, ItemType, MessageItem, ReactionState};

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

/// True when the item holds only changes waiting for their message (no `type`, no status).
pub fn is_waiting(item: &MessageItem) -> bool {
    item.kind.is_none() && item.rev > 0
}

mod conversation;
pub use conversation::{
    ConversationEvent, ConversationOpen, CustomerLink, absorb_touch, apply_event, link_numbers,
    settled_event,
};

#[cfg(test)]
mod tests;
