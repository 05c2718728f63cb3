//! The conversation lifecycle on the SQLite file: number-change aliases, and the moves a number
//! change makes. Each function runs inside one write transaction, applying
//! `handlers::rules::lifecycle`.

use handlers::keys;
use handlers::model::{ConversationAliasItem, ConversationItem, ItemType, MessageItem, attr};
use handlers::rules::{self, lifecycle::CustomerLink};
use handlers::store::{PageRequest, StoreError};
use serde_json::Value;

use super::rows::{Writer, decode, query};

/// The conversation `pk` leads to: itself, or the conversation an alias names.
pub(super) fn resolve(w: &Writer<'_>, pk: &str) -> Result<String, StoreError> {
    Ok(alias_of(w.get::<Value>(pk)?.as_ref()).unwrap_or_else(|| pk.to_string()))
}

fn alias_of(item: Option<&Value>) -> Option<String> {
    let item = item?;
    (item[attr::ITEM_TYPE] == ItemType::ConversationAlias.as_str())
        .then(|| item["aliasOf"].as_str().map(str::to_string))
        .flatten()
}

/// See [`handlers::Store::link_customer`].
pub(super) fn link(w: &Writer<'_>, link: &CustomerLink) -> Result<(), StoreError> {
    let target = resolve(w, &link.pk)?;
    for (alias_pk, customer_id) in &link.aliases {
        if *alias_pk == target {
            continue;
        }
        let stored = w.get::<Value>(alias_pk)?;
        if alias_of(stored.as_ref()).is_some() {
            continue;
        }
        if stored.is_some() {
            let started: ConversationItem = w.get(alias_pk)?.unwrap_or_default();
            absorb(w, &started, &target)?;
        }
        let alias = ConversationAliasItem {
            pk: alias_pk.clone(),
            item_type: ItemType::ConversationAlias,
            alias_of: target.clone(),
            customer_id: customer_id.clone(),
            created_at: link.now.clone(),
        };
        w.put(alias_pk, &alias)?;
    }
    if let Some(conv) = w.get::<ConversationItem>(&target)?
        && let Some(linked) = rules::lifecycle::link_numbers(conv, link)
    {
        w.put(&target, &linked)?;
    }
    Ok(())
}

/// Moves a conversation that started under the new number before the change was known into
/// `target`: its messages, its newest message and its 24-hour window.
fn absorb(w: &Writer<'_>, started: &ConversationItem, target: &str) -> Result<(), StoreError> {
    let index = keys::index(keys::GSI_CONVERSATION);
    let mut page = PageRequest {
        limit: 500,
        cursor: None,
    };
    loop {
        let found = query(w.conn, index, &started.pk, None, &page)?;
        for (pk, doc) in &found.items {
            let mut message: MessageItem = decode(pk, doc)?;
            message.conversation_pk = Some(target.to_string());
            w.put(pk, &message)?;
        }
        match found.next_cursor {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    let existing: Option<ConversationItem> = w.get(target)?;
    let mut merged = match (
        rules::lifecycle::absorb_touch(started, target),
        existing.clone(),
    ) {
        (Some(touch), existing) => rules::merge_conversation(existing, &touch),
        (None, Some(existing)) => existing,
        (None, None) => return Ok(()),
    };
    if started.last_inbound_at > merged.last_inbound_at {
        merged.last_inbound_at = started.last_inbound_at.clone();
    }
    if existing.as_ref() != Some(&merged) {
        w.put(target, &merged)?;
    }
    Ok(())
}
