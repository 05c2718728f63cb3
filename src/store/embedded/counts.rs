//! The embedded store's side of the analytics counters, the status transitions they follow,
//! leases and taking an item: each one write applying `handlers::rules`.

use handlers::keys;
use handlers::model::{MessageItem, MessageStatus};
use handlers::rules;
use handlers::store::{Lease, StatusApplied, StatusChange, StatusUpdate, StoreError};
use rusqlite::params;
use serde_json::Value;

use super::EmbeddedStore;
use super::db;

impl EmbeddedStore {
    pub(super) async fn status_change(
        &self,
        update: &StatusUpdate,
    ) -> Result<StatusChange, StoreError> {
        let update = update.clone();
        self.write("apply_status_change", move |w| {
            let pk = keys::message(&update.wa_message_id);
            let existing: Option<MessageItem> = w.get(&pk)?;
            // An item a change created before its message has no status yet.
            let previous: Option<MessageStatus> = existing
                .as_ref()
                .filter(|m| m.kind.is_some() || m.status_rank > 0)
                .map(|m| m.status.clone());
            match rules::apply_status(existing, &update) {
                None => Ok(StatusChange {
                    applied: StatusApplied::Stale,
                    previous: None,
                }),
                Some(item) => {
                    w.put(&pk, &item)?;
                    Ok(StatusChange {
                        applied: StatusApplied::Applied,
                        previous,
                    })
                }
            }
        })
        .await
    }

    pub(super) async fn add_to_counts(
        &self,
        pk: &str,
        set: &Value,
        counts: &[(String, i64)],
    ) -> Result<(), StoreError> {
        let (pk, set, counts) = (pk.to_string(), set.clone(), counts.to_vec());
        self.write("add_counts", move |w| {
            let old = w.get::<Value>(&pk)?;
            w.put(&pk, &rules::counts::add_counts(old, &pk, &set, &counts))
        })
        .await
    }

    pub(super) async fn take(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        let pk = pk.to_string();
        self.write("take_record", move |w| {
            let old = w.get::<Value>(&pk)?;
            if old.is_some() {
                w.conn
                    .prepare_cached("DELETE FROM items WHERE pk = ?1")
                    .and_then(|mut stmt| stmt.execute(params![pk]))
                    .map_err(|e| db::store_error("take_record", e))?;
                w.writes.set(w.writes.get() + 1);
            }
            Ok(old)
        })
        .await
    }

    pub(super) async fn lease(&self, lease: &Lease) -> Result<bool, StoreError> {
        let lease = lease.clone();
        self.write("claim_lease", move |w| {
            let old = w.get::<Value>(&lease.pk)?;
            if !rules::counts::lease_allows(old.as_ref(), &lease) {
                return Ok(false);
            }
            w.put(&lease.pk, &rules::counts::lease_item(&lease))?;
            Ok(true)
        })
        .await
    }
}
