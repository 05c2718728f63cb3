//! Rows of the `items` table: reading and writing one item's JSON document, and the index
//! queries behind every list, with their page tokens.

use std::cell::Cell;

use handlers::keys::{self, IndexDef};
use handlers::model::{ConversationItem, Direction, MessageItem, attr};
use handlers::rules::{self, order};
use handlers::store::{Page, PageRequest, StoreError, decode_cursor, encode_cursor};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::db;

/// A write's view of the table, inside its transaction.
pub(super) struct Writer<'a> {
    pub(super) conn: &'a Connection,
    /// Items this write put (counted in the store's total once committed).
    pub(super) writes: &'a Cell<u64>,
    pub(super) operation: &'static str,
}

impl Writer<'_> {
    pub(super) fn get<T: DeserializeOwned>(&self, pk: &str) -> Result<Option<T>, StoreError> {
        get_as(self.conn, self.operation, pk)
    }

    pub(super) fn put<T: Serialize + ?Sized>(&self, pk: &str, item: &T) -> Result<(), StoreError> {
        put_value(self.conn, pk, item)?;
        self.writes.set(self.writes.get() + 1);
        Ok(())
    }

    /// Writes an item unless the stored one has a newer `statusAt`; keeps the first `createdAt`.
    pub(super) fn put_newer<T: Serialize>(&self, pk: &str, item: &T) -> Result<bool, StoreError> {
        let mut value = to_value(item)?;
        if let Some(old) = self.get::<Value>(pk)? {
            if old[attr::STATUS_AT].as_str() > value[attr::STATUS_AT].as_str() {
                return Ok(false);
            }
            if let Some(created) = old.get(attr::CREATED_AT) {
                value[attr::CREATED_AT] = created.clone();
            }
        }
        self.put(pk, &value)?;
        Ok(true)
    }
}

pub(super) fn to_value<T: Serialize + ?Sized>(item: &T) -> Result<Value, StoreError> {
    serde_json::to_value(item).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })
}

/// Inserts or replaces the item `pk` (its index columns follow from the document).
pub(super) fn put_value<T: Serialize + ?Sized>(
    conn: &Connection,
    pk: &str,
    item: &T,
) -> Result<(), StoreError> {
    let doc = serde_json::to_string(item).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })?;
    conn.prepare_cached(
        "INSERT INTO items (pk, doc) VALUES (?1, ?2) ON CONFLICT (pk) DO UPDATE SET doc = excluded.doc",
    )
    .and_then(|mut stmt| stmt.execute(params![pk, doc]))
    .map_err(|e| db::store_error("put", e))?;
    Ok(())
}

pub(super) fn get_doc(
    conn: &Connection,
    operation: &'static str,
    pk: &str,
) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT doc FROM items WHERE pk = ?1")
        .and_then(|mut stmt| stmt.query_row([pk], |row| row.get(0)).optional())
        .map_err(|e| db::store_error(operation, e))
}

pub(super) fn get_as<T: DeserializeOwned>(
    conn: &Connection,
    operation: &'static str,
    pk: &str,
) -> Result<Option<T>, StoreError> {
    get_doc(conn, operation, pk)?
        .map(|doc| decode(pk, &doc))
        .transpose()
}

pub(super) fn decode<T: DeserializeOwned>(pk: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        pk: pk.to_string(),
        reason: e.to_string(),
    })
}

/// The query of one index partition, newest first: `since` adds a lower bound on the sort
/// attribute, `after` starts after a cursor's position. Parameters: ?1 partition, ?2 since,
/// ?3 and ?4 the cursor's sort value and pk, ?5 the limit.
pub(super) fn query_sql(index: &IndexDef, since: bool, after: bool) -> String {
    let (p, s) = (index.partition, index.sort);
    let mut sql = format!(
        "SELECT pk, {s}, doc FROM items WHERE {p} = ?1 AND {p} IS NOT NULL AND {s} IS NOT NULL"
    );
    if since {
        sql.push_str(&format!(" AND {s} >= ?2"));
    }
    if after {
        sql.push_str(&format!(" AND ({s}, pk) < (?3, ?4)"));
    }
    sql.push_str(&format!(" ORDER BY {s} DESC, pk DESC LIMIT ?5"));
    sql
}

/// Items of one index partition, newest first (sort attribute, then pk), from after the cursor's
/// position, as (pk, document).
pub(super) fn query(
    conn: &Connection,
    index: &IndexDef,
    value: &str,
    since: Option<&str>,
    page: &PageRequest,
) -> Result<Page<(String, String)>, StoreError> {
    let after = match &page.cursor {
        None => None,
        Some(token) => {
            let pos = decode_cursor(token)?;
            let (Some(i), Some(p), Some(sk), Some(pk)) = (
                pos.get("i").and_then(Value::as_str),
                pos.get("p").and_then(Value::as_str),
                pos.get("s").and_then(Value::as_str),
                pos.get("k").and_then(Value::as_str),
            ) else {
                return Err(StoreError::BadCursor(
                    "not a token issued by this API".into(),
                ));
            };
            if i != index.name || p != value {
                return Err(StoreError::BadCursor(
                    "the token belongs to another list".into(),
                ));
            }
            Some((sk.to_string(), pk.to_string()))
        }
    };
    let limit = page.limit.max(1) as usize;
    let sql = query_sql(index, since.is_some(), after.is_some());
    let (after_sk, after_pk) = after.unzip();
    let error = |e| db::store_error("query", e);
    let mut stmt = conn.prepare_cached(&sql).map_err(error)?;
    let rows = stmt
        .query_map(
            params![value, since, after_sk, after_pk, (limit + 1) as i64],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .map_err(error)?;
    let mut hits: Vec<(String, String, String)> = Vec::new();
    let mut next_cursor = None;
    for row in rows {
        let row = row.map_err(error)?;
        if hits.len() == limit {
            // One more item than asked for: the page ends at the last one kept.
            let (last_pk, last_sk, _) = &hits[limit - 1];
            next_cursor = Some(encode_cursor(
                &json!({"i": index.name, "p": value, "s": last_sk, "k": last_pk}),
            ));
            break;
        }
        hits.push(row);
    }
    Ok(Page {
        items: hits.into_iter().map(|(pk, _, doc)| (pk, doc)).collect(),
        next_cursor,
    })
}

/// One page of a conversation's messages in thread order (`rules::order`): read newest second
/// first from the cursor's second on, until the page's seconds are whole, then ordered and cut,
/// as the DynamoDB store does.
pub(super) fn thread(
    conn: &Connection,
    conversation_pk: &str,
    page: &PageRequest,
) -> Result<Page<MessageItem>, StoreError> {
    let after = page
        .cursor
        .as_deref()
        .map(|c| order::decode_thread_cursor(c, conversation_pk))
        .transpose()?;
    let limit = page.limit.max(1) as usize;
    let mut sql = String::from(
        "SELECT pk, doc FROM items WHERE conversationPk = ?1 AND receivedAt IS NOT NULL",
    );
    if after.is_some() {
        sql.push_str(" AND receivedAt <= ?2");
    }
    sql.push_str(" ORDER BY receivedAt DESC, pk DESC");
    let error = |e| db::store_error("query", e);
    let mut stmt = conn.prepare_cached(&sql).map_err(error)?;
    let map = |row: &rusqlite::Row<'_>| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?));
    let mut rows = match &after {
        Some(a) => stmt.query_map(params![conversation_pk, a.at], map),
        None => stmt.query_map(params![conversation_pk], map),
    }
    .map_err(error)?;
    let mut read: Vec<MessageItem> = Vec::new();
    let more = loop {
        let Some(row) = rows.next() else {
            break false;
        };
        let (pk, doc) = row.map_err(error)?;
        let message: MessageItem = decode(&pk, &doc)?;
        // The cursor's second is read again: what the last page showed is skipped.
        if after
            .as_ref()
            .is_none_or(|a| order::position(&message) < *a)
        {
            read.push(message);
        }
        if order::page_is_settled(&read, limit) {
            break true;
        }
    };
    Ok(order::cut_page(conversation_pk, read, limit, more))
}

pub(super) fn typed<T: DeserializeOwned>(
    page: Page<(String, String)>,
) -> Result<Page<T>, StoreError> {
    let items = page
        .items
        .iter()
        .map(|(pk, doc)| decode(pk, doc))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

pub(super) fn pk_of(item: &Value) -> Result<String, StoreError> {
    item.get(keys::PK)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| StoreError::Corrupt {
            pk: String::new(),
            reason: "an item without pk".into(),
        })
}

/// The inbound messages of a conversation at or after `since` (all of them without it), as
/// (waMessageId, receivedAt), newest first, at most `limit`: what unread counts and read marks
/// are made of. Reads `gsi_conversation`.
pub(super) fn inbound_messages(
    conn: &Connection,
    conversation_pk: &str,
    since: Option<&str>,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let error = |e| db::store_error("query(unread)", e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT doc ->> '$.waMessageId', receivedAt FROM items \
             WHERE conversationPk = ?1 AND receivedAt IS NOT NULL AND receivedAt >= ?2 \
             AND doc ->> '$.direction' = 'INBOUND' ORDER BY receivedAt DESC LIMIT ?3",
        )
        .map_err(error)?;
    let rows = stmt
        .query_map(
            params![conversation_pk, since.unwrap_or(""), limit],
            |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    row.get::<_, String>(1)?,
                ))
            },
        )
        .map_err(error)?;
    rows.collect::<Result<_, _>>().map_err(error)
}

/// `conversation` with its unread count ([`rules::is_unread`]), counted from its messages.
pub(super) fn with_unread(
    conn: &Connection,
    mut conversation: ConversationItem,
) -> Result<ConversationItem, StoreError> {
    conversation.unread_count = 0;
    let quiet = match (&conversation.last_inbound_at, &conversation.last_read_at) {
        (None, _) => true,
        (Some(inbound), Some(mark)) => inbound < mark,
        (Some(_), None) => false,
    };
    if quiet {
        return Ok(conversation);
    }
    // Messages at the mark's second may be read or not; the id list tells. One more than the
    // cap covers the ids at the mark that do not count.
    let limit = rules::MAX_UNREAD_COUNT + conversation.last_read_ids.len() as i64;
    let messages = inbound_messages(
        conn,
        &conversation.pk,
        conversation.last_read_at.as_deref(),
        limit,
    )?;
    let unread = messages
        .into_iter()
        .filter(|(id, at)| {
            let probe = MessageItem {
                wa_message_id: id.clone(),
                received_at: at.clone(),
                direction: Direction::Inbound,
                ..Default::default()
            };
            rules::is_unread(&conversation, &probe)
        })
        .count() as i64;
    conversation.unread_count = unread.min(rules::MAX_UNREAD_COUNT);
    Ok(conversation)
}
