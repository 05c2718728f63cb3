//! Where the sandbox keeps its account state (templates, flows): a small table of JSON records
//! by kind and key. Locally it is the SQLite file of `DATA_DIR`, so that what one `invoke`
//! creates is there for the next and for `serve`; in memory for unit tests and contexts
//! without a data directory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::Value;

use crate::ports::BoxError;

/// JSON records by `(kind, key)`. Each call is atomic on its own.
#[async_trait]
pub trait SandboxState: Send + Sync {
    /// The record `key` of `kind`.
    async fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, BoxError>;

    /// Writes the record, replacing any.
    async fn put(&self, kind: &str, key: &str, value: &Value) -> Result<(), BoxError>;

    /// Writes the record only when there is none; false when there was one.
    async fn put_new(&self, kind: &str, key: &str, value: &Value) -> Result<bool, BoxError>;

    /// Removes the record; false when there was none.
    async fn delete(&self, kind: &str, key: &str) -> Result<bool, BoxError>;

    /// The records of `kind` whose key starts with `prefix`, by key.
    async fn list(&self, kind: &str, prefix: &str) -> Result<Vec<(String, Value)>, BoxError>;

    /// The next number of the counter `name` (1, 2, ...), never the same twice.
    async fn next_number(&self, name: &str) -> Result<u64, BoxError>;
}

/// The state in memory, for the life of the value.
#[derive(Default)]
pub struct MemoryState {
    records: Mutex<BTreeMap<(String, String), Value>>,
}

impl MemoryState {
    fn records(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Value>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl SandboxState for MemoryState {
    async fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, BoxError> {
        Ok(self.records().get(&(kind.into(), key.into())).cloned())
    }

    async fn put(&self, kind: &str, key: &str, value: &Value) -> Result<(), BoxError> {
        self.records()
            .insert((kind.into(), key.into()), value.clone());
        Ok(())
    }

    async fn put_new(&self, kind: &str, key: &str, value: &Value) -> Result<bool, BoxError> {
        let mut records = self.records();
        let entry = records.entry((kind.into(), key.into()));
        match entry {
            std::collections::btree_map::Entry::Occupied(_) => Ok(false),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(value.clone());
                Ok(true)
            }
        }
    }

    async fn delete(&self, kind: &str, key: &str) -> Result<bool, BoxError> {
        Ok(self.records().remove(&(kind.into(), key.into())).is_some())
    }

    async fn list(&self, kind: &str, prefix: &str) -> Result<Vec<(String, Value)>, BoxError> {
        Ok(self
            .records()
            .range((kind.to_string(), prefix.to_string())..)
            .take_while(|((k, key), _)| k == kind && key.starts_with(prefix))
            .map(|((_, key), v)| (key.clone(), v.clone()))
            .collect())
    }

    async fn next_number(&self, name: &str) -> Result<u64, BoxError> {
        let mut records = self.records();
        let slot = records
            .entry(("counter".into(), name.into()))
            .or_insert(Value::from(0u64));
        let next = slot.as_u64().unwrap_or(0) + 1;
        *slot = Value::from(next);
        Ok(next)
    }
}
