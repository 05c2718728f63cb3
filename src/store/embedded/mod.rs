//! The embedded store: the single table in memory, persisted as an append-only JSON-lines file
//! under a local data directory. Same semantics as DynamoDB (conditional writes are decided
//! under one lock, index queries and pagination), for local mode and tests with no AWS at all.
//!
//! One process at a time should own a data directory.

mod log;

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use handlers::model::{
    ConversationItem, MediaPart, MessageItem, QualityItem, TemplateItem, WebhookEventItem, attr,
};
use handlers::store::{
    ConversationTouch, Page, PageRequest, Recorded, StatusApplied, StatusUpdate, Store, StoreError,
    decode_cursor, encode_cursor,
};
use handlers::{keys, rules};
use serde::Serialize;
use serde_json::{Value, json};

/// See the module documentation.
pub struct EmbeddedStore {
    path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl EmbeddedStore {
    /// Item writes so far (for the benchmark).
    pub fn item_writes(&self) -> u64 {
        self.lock().writes
    }
}

#[derive(Default)]
struct Inner {
    items: HashMap<String, Value>,
    log: Option<BufWriter<File>>,
    log_lines: usize,
    writes: u64,
}

impl EmbeddedStore {
    /// A store that keeps nothing after the process ends (tests, benchmarks).
    pub fn in_memory() -> Self {
        EmbeddedStore {
            path: None,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Opens (or creates) the store under `dir`, replaying its log.
    ///
    /// # Errors
    /// The directory cannot be created or the log cannot be read or written.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let (path, inner) = log::open(dir)?;
        Ok(EmbeddedStore {
            path: Some(path),
            inner: Mutex::new(inner),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves complete items behind (each write replaces a
        // whole item), so the data is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn io_error(
    operation: &'static str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::Unavailable {
        operation,
        source: Box::new(e),
    }
}

impl Inner {
    fn get<T: serde::de::DeserializeOwned>(&self, pk: &str) -> Result<Option<T>, StoreError> {
        self.items
            .get(pk)
            .map(|v| {
                serde_json::from_value(v.clone()).map_err(|e| StoreError::Corrupt {
                    pk: pk.to_string(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    fn put<T: Serialize>(&mut self, pk: &str, item: &T) -> Result<(), StoreError> {
        let value = serde_json::to_value(item).map_err(|e| io_error("put", e))?;
        if let Some(log) = self.log.as_mut() {
            log::append(log, &value).map_err(|e| io_error("put", e))?;
            self.log_lines += 1;
        }
        self.items.insert(pk.to_string(), value);
        self.writes += 1;
        Ok(())
    }

    /// Writes an item unless the stored one has a newer `statusAt`; keeps the first `createdAt`.
    fn put_newer<T: Serialize>(&mut self, pk: &str, item: &T) -> Result<bool, StoreError> {
        let mut value = serde_json::to_value(item).map_err(|e| io_error("put", e))?;
        if let Some(old) = self.items.get(pk) {
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

    /// Items whose `partition` attribute equals `value`, sorted by `sort` then pk, newest first,
    /// from after the cursor's position.
    fn query(
        &self,
        partition: &str,
        value: &str,
        sort: &str,
        since: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Value>, StoreError> {
        let after = match &page.cursor {
            None => None,
            Some(token) => {
                let pos = decode_cursor(token)?;
                let part = pos.get("p").and_then(Value::as_str);
                let (Some(sk), Some(pk)) = (
                    pos.get("s").and_then(Value::as_str),
                    pos.get("k").and_then(Value::as_str),
                ) else {
                    return Err(StoreError::BadCursor(
                        "not a token issued by this API".into(),
                    ));
                };
                if part != Some(value) {
                    return Err(StoreError::BadCursor(
                        "the token belongs to another list".into(),
                    ));
                }
                Some((sk.to_string(), pk.to_string()))
            }
        };
        let sort_of = |v: &Value| {
            v.get(sort)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let mut hits: Vec<(String, String, &Value)> = self
            .items
            .iter()
            .filter(|(_, v)| v.get(partition).and_then(Value::as_str) == Some(value))
            .filter(|(_, v)| since.is_none_or(|lower| sort_of(v).as_str() >= lower))
            .map(|(pk, v)| (sort_of(v), pk.clone(), v))
            .filter(|(sk, pk, _)| {
                after
                    .as_ref()
                    .is_none_or(|(a_sk, a_pk)| (sk, pk) < (a_sk, a_pk))
            })
            .collect();
        hits.sort_by(|a, b| (&b.0, &b.1).cmp(&(&a.0, &a.1)));
        let limit = page.limit as usize;
        let next_cursor = (hits.len() > limit).then(|| {
            let (sk, pk, _) = &hits[limit - 1];
            encode_cursor(&json!({"p": value, "s": sk, "k": pk}))
        });
        Ok(Page {
            items: hits
                .into_iter()
                .take(limit)
                .map(|(_, _, v)| v.clone())
                .collect(),
            next_cursor,
        })
    }
}

fn typed<T: serde::de::DeserializeOwned>(page: Page<Value>) -> Result<Page<T>, StoreError> {
    let items = page
        .items
        .into_iter()
        .map(|v| {
            let pk = v
                .get(keys::PK)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            serde_json::from_value(v).map_err(|e| StoreError::Corrupt {
                pk,
                reason: e.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn record_message(
        &self,
        message: &MessageItem,
        touch: &ConversationTouch,
    ) -> Result<Recorded, StoreError> {
        let mut inner = self.lock();
        let existing: Option<MessageItem> = inner.get(&message.pk)?;
        let Some(merged) = rules::merge_message(existing, message) else {
            return Ok(Recorded::Duplicate);
        };
        let conversation: Option<ConversationItem> = inner.get(&touch.pk)?;
        let conversation = rules::merge_conversation(conversation, touch);
        inner.put(&merged.pk, &merged)?;
        inner.put(&conversation.pk, &conversation)?;
        Ok(Recorded::New)
    }

    async fn apply_status(&self, update: &StatusUpdate) -> Result<StatusApplied, StoreError> {
        let mut inner = self.lock();
        let pk = keys::message(&update.wa_message_id);
        let existing: Option<MessageItem> = inner.get(&pk)?;
        match rules::apply_status(existing, update) {
            None => Ok(StatusApplied::Stale),
            Some(item) => {
                inner.put(&pk, &item)?;
                Ok(StatusApplied::Applied)
            }
        }
    }

    async fn put_webhook_event(&self, item: &WebhookEventItem) -> Result<(), StoreError> {
        self.lock().put(&item.pk, item)
    }

    async fn put_template_status(&self, item: &TemplateItem) -> Result<bool, StoreError> {
        self.lock().put_newer(&item.pk, item)
    }

    async fn put_quality(&self, item: &QualityItem) -> Result<bool, StoreError> {
        self.lock().put_newer(&item.pk, item)
    }

    async fn get_message(&self, wa_message_id: &str) -> Result<Option<MessageItem>, StoreError> {
        self.lock().get(&keys::message(wa_message_id))
    }

    async fn list_messages(
        &self,
        conversation_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        let index = keys::index(keys::GSI_CONVERSATION);
        typed(
            self.lock()
                .query(index.partition, conversation_pk, index.sort, None, page)?,
        )
    }

    async fn get_conversation(&self, pk: &str) -> Result<Option<ConversationItem>, StoreError> {
        self.lock().get(pk)
    }

    async fn list_conversations(
        &self,
        inbox_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError> {
        let index = keys::index(keys::GSI_INBOX);
        typed(
            self.lock()
                .query(index.partition, inbox_pk, index.sort, None, page)?,
        )
    }

    async fn mark_conversation_read(
        &self,
        pk: &str,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let mut inner = self.lock();
        let Some(mut conv) = inner.get::<ConversationItem>(pk)? else {
            return Ok(None);
        };
        conv.unread_count = 0;
        conv.updated_at = now.to_string();
        inner.put(pk, &conv)?;
        Ok(Some(conv))
    }

    async fn set_archived(
        &self,
        pk: &str,
        archived: bool,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let mut inner = self.lock();
        let Some(mut conv) = inner.get::<ConversationItem>(pk)? else {
            return Ok(None);
        };
        conv.archived = archived;
        conv.inbox_pk = if archived {
            keys::archived_inbox(&conv.phone_number_id)
        } else {
            keys::inbox(&conv.phone_number_id)
        };
        conv.updated_at = now.to_string();
        inner.put(pk, &conv)?;
        Ok(Some(conv))
    }

    async fn set_message_media(
        &self,
        wa_message_id: &str,
        media: &MediaPart,
        now: &str,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let pk = keys::message(wa_message_id);
        let Some(mut message) = inner.get::<MessageItem>(&pk)? else {
            return Ok(false);
        };
        message.media = Some(media.clone());
        message.updated_at = Some(now.to_string());
        inner.put(&pk, &message)?;
        Ok(true)
    }

    async fn put_record(&self, item: &Value) -> Result<(), StoreError> {
        let pk = item
            .get(keys::PK)
            .and_then(Value::as_str)
            .ok_or_else(|| StoreError::Corrupt {
                pk: String::new(),
                reason: "an item without pk".into(),
            })?;
        self.lock().put(pk, item)
    }

    async fn create_record(&self, item: &Value) -> Result<bool, StoreError> {
        let pk = item
            .get(keys::PK)
            .and_then(Value::as_str)
            .ok_or_else(|| StoreError::Corrupt {
                pk: String::new(),
                reason: "an item without pk".into(),
            })?;
        let mut inner = self.lock();
        if inner.items.contains_key(pk) {
            return Ok(false);
        }
        inner.put(pk, item)?;
        Ok(true)
    }

    async fn get_item(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        Ok(self.lock().items.get(pk).cloned())
    }

    async fn list_by_item_type(
        &self,
        item_type_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<Value>, StoreError> {
        let index = keys::index(keys::GSI_ITEM_TYPE);
        self.lock()
            .query(index.partition, item_type_pk, index.sort, None, page)
    }

    async fn list_by_direction(
        &self,
        direction_pk: &str,
        since: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        let index = keys::index(keys::GSI_DIRECTION);
        typed(
            self.lock()
                .query(index.partition, direction_pk, index.sort, Some(since), page)?,
        )
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn describe(&self) -> String {
        match &self.path {
            Some(p) => format!("embedded:{}", p.display()),
            None => "embedded:memory".into(),
        }
    }
}
