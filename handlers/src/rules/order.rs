//! The order of a conversation: the order in which things happened.
//!
//! Meta's time has whole seconds, and a customer's question and the business's answer often
//! share one. Within a second, messages are ordered by when this system learned of them
//! (`arrivedAt`: EUM Social's receipt of the webhook, which the record carries, so a redelivery
//! brings the same time; or the moment a send was asked for, kept on its intent), and only then
//! by id. A message without `arrivedAt` (stored before it existed, or created by a status before
//! its message) comes first within its second.
//!
//! `receivedAt` stays Meta's time and the sort key of `gsi-conversation`; that index returns the
//! messages of one second in no particular order, so the stores list them with
//! [`cut_page`] (DynamoDB) or in this order in SQL (embedded), and page by [`Position`].

use serde_json::{Value, json};

use crate::model::{ConversationItem, MessageItem};
use crate::store::{ConversationTouch, Page, StoreError, decode_cursor, encode_cursor};

/// A message's place in its conversation; larger is newer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Meta's time, whole seconds (`receivedAt`).
    pub at: String,
    /// When this system learned of it (`arrivedAt`); `None` sorts first.
    pub arrived_at: Option<String>,
    pub id: String,
}

/// The place of a stored message.
pub fn position(m: &MessageItem) -> Position {
    Position {
        at: m.received_at.clone(),
        arrived_at: m.arrived_at.clone(),
        id: m.wa_message_id.clone(),
    }
}

/// The place of the message a touch records.
pub fn touch_position(t: &ConversationTouch) -> Position {
    Position {
        at: t.message_at.clone(),
        arrived_at: t.message_arrived_at.clone(),
        id: t.message_id.clone(),
    }
}

/// The place of a conversation's newest message, when it has one.
pub fn last_position(c: &ConversationItem) -> Option<Position> {
    (!c.last_message_at.is_empty()).then(|| Position {
        at: c.last_message_at.clone(),
        arrived_at: c.last_message_arrived_at.clone(),
        id: c.last_message_id.clone().unwrap_or_default(),
    })
}

/// The page token of a thread: the position of the page's last message, in its conversation.
pub fn encode_thread_cursor(conversation_pk: &str, after: &Position) -> String {
    encode_cursor(&json!({
        "conversationPk": conversation_pk,
        "receivedAt": after.at,
        "arrivedAt": after.arrived_at,
        "waMessageId": after.id,
    }))
}

/// The position a thread token names.
///
/// # Errors
/// [`StoreError::BadCursor`] when the token is not a thread token of `conversation_pk`.
pub fn decode_thread_cursor(token: &str, conversation_pk: &str) -> Result<Position, StoreError> {
    let bad = |why: &str| StoreError::BadCursor(why.to_string());
    let Value::Object(map) = decode_cursor(token)? else {
        return Err(bad("not a token issued by this API"));
    };
    if map.get("conversationPk").and_then(Value::as_str) != Some(conversation_pk) {
        return Err(bad("the token belongs to another list"));
    }
    let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_string);
    let arrived_at = match map.get("arrivedAt") {
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        _ => return Err(bad("not a token issued by this API")),
    };
    match (text("receivedAt"), text("waMessageId"), map.len()) {
        (Some(at), Some(id), 4) => Ok(Position { at, arrived_at, id }),
        _ => Err(bad("not a token issued by this API")),
    }
}

/// One page of a thread, newest first, from messages read in index order (newest second
/// first, any order within a second) that all come before the page's start. `read` must hold
/// every message of each second it holds, except the oldest second when more than `limit`
/// were read; `more` tells that the index has messages after `read`.
pub fn cut_page(
    conversation_pk: &str,
    mut read: Vec<MessageItem>,
    limit: usize,
    more: bool,
) -> Page<MessageItem> {
    read.sort_by_cached_key(|m| std::cmp::Reverse(position(m)));
    let next_cursor = (read.len() > limit || (more && read.len() == limit))
        .then(|| read.get(limit.max(1) - 1))
        .flatten()
        .map(|last| encode_thread_cursor(conversation_pk, &position(last)));
    read.truncate(limit);
    Page {
        items: read,
        next_cursor,
    }
}

/// True when the messages read so far (in index order) settle a page of `limit`: more than
/// `limit` were read, and the one after the page is of an older second than the page's last,
/// so no message of the page's seconds is still unread.
pub fn page_is_settled(read: &[MessageItem], limit: usize) -> bool {
    match (read.get(limit.max(1) - 1), read.get(limit.max(1))) {
        (Some(last), Some(next)) => next.received_at < last.received_at,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, at: &str, arrived: Option<&str>) -> MessageItem {
        MessageItem {
            wa_message_id: id.into(),
            received_at: at.into(),
            arrived_at: arrived.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn within_a_second_arrival_orders_before_the_id() {
        let question = m(
            "wamid.Z",
            "2025-11-20T10:00:00Z",
            Some("2025-11-20T10:00:00.2Z"),
        );
        let answer = m(
            "wamid.A",
            "2025-11-20T10:00:00Z",
            Some("2025-11-20T10:00:00.9Z"),
        );
        let older_second = m(
            "wamid.ZZ",
            "2025-11-19T10:00:00Z",
            Some("2025-11-20T10:00:09Z"),
        );
        let stored_before = m("wamid.ZZZ", "2025-11-20T10:00:00Z", None);
        assert!(position(&answer) > position(&question));
        assert!(position(&question) > position(&older_second));
        assert!(position(&question) > position(&stored_before));
    }

    #[test]
    fn a_page_ends_at_a_settled_second_and_its_token_resumes_after_it() {
        let read = vec![
            m("wamid.B", "2025-11-20T10:00:01Z", Some("1")),
            m("wamid.C", "2025-11-20T10:00:00Z", Some("1")),
            m("wamid.A", "2025-11-20T10:00:00Z", Some("2")),
            m("wamid.D", "2025-11-20T09:00:00Z", Some("0")),
        ];
        // a page of two would end inside the second 10:00:00, whose messages may not all be read
        assert!(!page_is_settled(&read, 2));
        assert!(!page_is_settled(&read[..3], 3));
        assert!(page_is_settled(&read, 3));
        let page = cut_page("CONV#1", read, 3, true);
        let ids: Vec<_> = page
            .items
            .iter()
            .map(|m| m.wa_message_id.as_str())
            .collect();
        assert_eq!(ids, ["wamid.B", "wamid.A", "wamid.C"]);
        let token = page.next_cursor.unwrap();
        let after = decode_thread_cursor(&token, "CONV#1").unwrap();
        assert_eq!(
            after,
            position(&m("wamid.C", "2025-11-20T10:00:00Z", Some("1")))
        );
        assert!(matches!(
            decode_thread_cursor(&token, "CONV#2"),
            Err(StoreError::BadCursor(_))
        ));
        let last = cut_page("CONV#1", vec![m("wamid.A", "x", None)], 2, false);
        assert_eq!(last.next_cursor, None);
    }
}
