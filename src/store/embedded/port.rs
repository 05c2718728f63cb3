//! The `Store` port on the SQLite file: each method is one read (`call`) or one write
//! (`write`, grouped with concurrent writes into one transaction) applying `handlers::rules`.

use async_trait::async_trait;
use handlers::keys;
use handlers::model::{
    ConversationItem, MediaPart, MessageItem, QualityItem, TemplateItem, WebhookEventItem,
};
use handlers::rules;
use handlers::store::{
    Annotation, ConversationEvent, ConversationTouch, CustomerLink, Forward, Page, PageRequest,
    Recorded, StatusApplied, StatusUpdate, Store, StoreError, Transition,
};
use serde_json::Value;

use super::EmbeddedStore;
use super::db;
use super::lifecycle;
use super::rows::{get_as, get_doc, inbound_messages, pk_of, query, thread, typed, with_unread};

#[async_trait]
impl Store for EmbeddedStore {
    async fn record_message(
        &self,
        message: &MessageItem,
        touch: &ConversationTouch,
    ) -> Result<Recorded, StoreError> {
        let (mut message, mut touch) = (message.clone(), touch.clone());
        self.write("record_message", move |w| {
            // A number the customer changed to leads to the conversation that carries on.
            let target = lifecycle::resolve(w, &touch.pk)?;
            if target != touch.pk {
                message.conversation_pk = Some(target.clone());
                touch.pk = target;
            }
            let existing: Option<MessageItem> = w.get(&message.pk)?;
            let merged = rules::merge_message(existing, &message);
            let settled = merged
                .as_ref()
                .and_then(|m| rules::lifecycle::settled_event(m, &touch.now));
            // The conversation merge is idempotent: a duplicate is merged too, as DynamoDB's
            // two independent writes do (it completes a conversation a crash left behind).
            let old: Option<ConversationItem> = w.get(&touch.pk)?;
            let mut conversation = rules::merge_conversation(old.clone(), &touch);
            if let Some(event) = &settled
                && let Some(after) =
                    rules::lifecycle::apply_event(Some(conversation.clone()), event)
            {
                conversation = after;
            }
            if old.as_ref() != Some(&conversation) {
                w.put(&conversation.pk, &conversation)?;
            }
            match merged {
                Some(merged) => {
                    w.put(&merged.pk, &merged)?;
                    Ok(Recorded::New)
                }
                None => Ok(Recorded::Duplicate),
            }
        })
        .await
    }

    async fn annotate_message(&self, a: &Annotation) -> Result<Option<MessageItem>, StoreError> {
        let a = a.clone();
        self.write("annotate_message", move |w| {
            let pk = keys::message(&a.target);
            let existing: Option<MessageItem> = w.get(&pk)?;
            let changed = rules::lifecycle::annotate(existing, &a);
            if let Some(item) = &changed {
                w.put(&pk, item)?;
            }
            Ok(changed)
        })
        .await
    }

    async fn apply_conversation_event(&self, ev: &ConversationEvent) -> Result<bool, StoreError> {
        let mut ev = ev.clone();
        self.write("apply_conversation_event", move |w| {
            ev.pk = lifecycle::resolve(w, &ev.pk)?;
            let existing: Option<ConversationItem> = w.get(&ev.pk)?;
            match rules::lifecycle::apply_event(existing, &ev) {
                Some(conv) => {
                    w.put(&ev.pk, &conv)?;
                    Ok(true)
                }
                None => Ok(false),
            }
        })
        .await
    }

    async fn link_customer(&self, link: &CustomerLink) -> Result<(), StoreError> {
        let link = link.clone();
        self.write("link_customer", move |w| lifecycle::link(w, &link))
            .await
    }

    async fn apply_status(&self, update: &StatusUpdate) -> Result<StatusApplied, StoreError> {
        let update = update.clone();
        self.write("apply_status", move |w| {
            let pk = keys::message(&update.wa_message_id);
            let existing: Option<MessageItem> = w.get(&pk)?;
            match rules::apply_status(existing, &update) {
                None => Ok(StatusApplied::Stale),
                Some(item) => {
                    w.put(&pk, &item)?;
                    Ok(StatusApplied::Applied)
                }
            }
        })
        .await
    }

    async fn put_webhook_event(&self, item: &WebhookEventItem) -> Result<(), StoreError> {
        let item = item.clone();
        self.write("put_webhook_event", move |w| w.put(&item.pk, &item))
            .await
    }

    async fn put_template_status(&self, item: &TemplateItem) -> Result<bool, StoreError> {
        let item = item.clone();
        self.write("put_template_status", move |w| w.put_newer(&item.pk, &item))
            .await
    }

    async fn put_quality(&self, item: &QualityItem) -> Result<bool, StoreError> {
        let item = item.clone();
        self.write("put_quality", move |w| w.put_newer(&item.pk, &item))
            .await
    }

    async fn get_message(&self, wa_message_id: &str) -> Result<Option<MessageItem>, StoreError> {
        let pk = keys::message(wa_message_id);
        self.call(move |conn| get_as(conn, "get_message", &pk))
            .await
    }

    async fn list_messages(
        &self,
        conversation_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        let (pk, page) = (conversation_pk.to_string(), page.clone());
        self.call(move |conn| thread(conn, &pk, &page)).await
    }

    async fn get_conversation(&self, pk: &str) -> Result<Option<ConversationItem>, StoreError> {
        let pk = pk.to_string();
        self.call(move |conn| {
            let pk = match get_as::<serde_json::Value>(conn, "get_conversation", &pk)? {
                Some(item) if item["itemType"] == "CONVERSATION_ALIAS" => {
                    item["aliasOf"].as_str().unwrap_or_default().to_string()
                }
                _ => pk.clone(),
            };
            get_as(conn, "get_conversation", &pk)?
                .map(|conversation| with_unread(conn, conversation))
                .transpose()
        })
        .await
    }

    async fn list_conversations(
        &self,
        inbox_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError> {
        let index = keys::index(keys::GSI_INBOX);
        let (value, page) = (inbox_pk.to_string(), page.clone());
        self.call(move |conn| {
            let found: Page<ConversationItem> = typed(query(conn, index, &value, None, &page)?)?;
            let items = found
                .items
                .into_iter()
                .map(|conversation| with_unread(conn, conversation))
                .collect::<Result<_, _>>()?;
            Ok(Page {
                items,
                next_cursor: found.next_cursor,
            })
        })
        .await
    }

    async fn mark_conversation_read(
        &self,
        pk: &str,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let (pk, now) = (pk.to_string(), now.to_string());
        self.write("mark_conversation_read", move |w| {
            let Some(mut conv) = w.get::<ConversationItem>(&pk)? else {
                return Ok(None);
            };
            let mark = conv.last_message_at.clone();
            let at_mark = inbound_messages(w.conn, &pk, Some(&mark), i64::MAX)?
                .into_iter()
                .filter(|(_, at)| *at == mark)
                .map(|(id, _)| id)
                .collect();
            rules::mark_read(&mut conv, at_mark, &now);
            w.put(&pk, &conv)?;
            with_unread(w.conn, conv).map(Some)
        })
        .await
    }

    async fn set_archived(
        &self,
        pk: &str,
        archived: bool,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let (pk, now) = (pk.to_string(), now.to_string());
        self.write("set_archived", move |w| {
            let Some(mut conv) = w.get::<ConversationItem>(&pk)? else {
                return Ok(None);
            };
            conv.archived = archived;
            conv.inbox_pk = if archived {
                keys::archived_inbox(&conv.phone_number_id)
            } else {
                keys::inbox(&conv.phone_number_id)
            };
            conv.updated_at = now.clone();
            w.put(&pk, &conv)?;
            with_unread(w.conn, conv).map(Some)
        })
        .await
    }

    async fn set_message_media(
        &self,
        wa_message_id: &str,
        media: &MediaPart,
        now: &str,
    ) -> Result<bool, StoreError> {
        let (pk, media, now) = (keys::message(wa_message_id), media.clone(), now.to_string());
        self.write("set_message_media", move |w| {
            let Some(mut message) = w.get::<MessageItem>(&pk)? else {
                return Ok(false);
            };
            message.media = Some(media.clone());
            message.updated_at = Some(now.clone());
            w.put(&pk, &message)?;
            Ok(true)
        })
        .await
    }

    async fn put_record(&self, item: &Value) -> Result<(), StoreError> {
        let pk = pk_of(item)?;
        let item = item.clone();
        self.write("put_record", move |w| w.put(&pk, &item)).await
    }

    async fn create_record(&self, item: &Value) -> Result<bool, StoreError> {
        let pk = pk_of(item)?;
        let item = item.clone();
        self.write("create_record", move |w| {
            if get_doc(w.conn, "create_record", &pk)?.is_some() {
                return Ok(false);
            }
            w.put(&pk, &item)?;
            Ok(true)
        })
        .await
    }

    async fn merge_record(
        &self,
        pk: &str,
        set: &Value,
        forward: Option<&Forward>,
    ) -> Result<bool, StoreError> {
        let (pk, set, forward) = (pk.to_string(), set.clone(), forward.cloned());
        self.write("merge_record", move |w| {
            let old = w.get::<Value>(&pk)?;
            let (merged, applied) = handlers::rules::merge_record(old, &pk, &set, forward.as_ref());
            w.put(&pk, &merged)?;
            Ok(applied)
        })
        .await
    }

    async fn transition(&self, t: &Transition) -> Result<bool, StoreError> {
        let t = t.clone();
        self.write("transition", move |w| {
            let Some(changed) = rules::transition::apply(w.get::<Value>(&t.pk)?, &t) else {
                return Ok(false);
            };
            w.put(&t.pk, &changed)?;
            if let Some(counter) = t.counter_pk.as_deref().filter(|_| !t.add.is_empty()) {
                let old = w.get::<Value>(counter)?;
                w.put(
                    counter,
                    &rules::transition::add_counters(old, counter, &t.add),
                )?;
            }
            Ok(true)
        })
        .await
    }

    async fn put_records(&self, items: &[Value]) -> Result<(), StoreError> {
        let items: Vec<(String, Value)> = items
            .iter()
            .map(|item| Ok((pk_of(item)?, item.clone())))
            .collect::<Result<_, StoreError>>()?;
        self.write("put_records", move |w| {
            for (pk, item) in &items {
                w.put(pk, item)?;
            }
            Ok(())
        })
        .await
    }

    async fn get_item(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        let pk = pk.to_string();
        self.call(move |conn| get_as(conn, "get_item", &pk)).await
    }

    async fn list_by_item_type(
        &self,
        item_type_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<Value>, StoreError> {
        typed(
            self.list(keys::GSI_ITEM_TYPE, item_type_pk, None, page)
                .await?,
        )
    }

    async fn list_inbox_phones(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let index = keys::index(keys::GSI_INBOX);
        // The partial index of gsi-inbox holds exactly the conversations; DISTINCT walks it.
        let sql = format!(
            "SELECT DISTINCT {p} FROM items INDEXED BY {name} WHERE {p} IS NOT NULL AND {s} IS NOT NULL",
            p = index.partition,
            s = index.sort,
            name = db::index_name(index),
        );
        let partitions: Vec<String> = self
            .call(move |conn| {
                let error = |e| db::store_error("list_inbox_phones", e);
                let mut statement = conn.prepare_cached(&sql).map_err(error)?;
                let rows = statement
                    .query_map([], |row| row.get::<_, String>(0))
                    .map_err(error)?;
                rows.collect::<Result<_, _>>().map_err(error)
            })
            .await?;
        Ok(keys::inbox_phones(partitions, limit))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.call(|conn| {
            conn.query_row("SELECT count(*) FROM meta", [], |_| Ok(()))
                .map_err(|e| db::store_error("ping", e))
        })
        .await
    }

    async fn apply_status_change(
        &self,
        update: &StatusUpdate,
    ) -> Result<handlers::store::StatusChange, StoreError> {
        self.status_change(update).await
    }

    async fn add_counts(
        &self,
        pk: &str,
        set: &Value,
        counts: &[(String, i64)],
    ) -> Result<(), StoreError> {
        self.add_to_counts(pk, set, counts).await
    }

    async fn take_record(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        self.take(pk).await
    }

    async fn claim_lease(&self, lease: &handlers::store::Lease) -> Result<bool, StoreError> {
        self.lease(lease).await
    }

    fn describe(&self) -> String {
        match &self.path {
            Some(p) => format!("embedded:{}", p.display()),
            None => "embedded:memory".into(),
        }
    }
}
