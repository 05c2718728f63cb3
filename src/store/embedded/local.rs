//! What local mode keeps beside the table, in the same SQLite file, so that nothing a user
//! started vanishes with the process: the campaign work queue (`work_queue`: a job waits in the
//! file until a `serve` or `invoke` runs it) and the sandbox's account state (`sandbox_state`:
//! templates and flows as JSON records). Without a data directory (DynamoDB without
//! `CAMPAIGN_QUEUE_URL`) the same tables live in a private in-memory database.
//!
//! Several processes may share the file: a job is claimed for a lease (`claimed_until`) inside
//! one `BEGIN IMMEDIATE` transaction, so only one of them runs it; a process killed while
//! running one leaves it to be claimed again once the lease has passed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use handlers::ports::BoxError;
use handlers::sandbox_state::SandboxState;
use handlers::store::StoreError;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::db;

/// The tables, created with the rest of the schema ([`db::schema_sql`]).
pub const SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS work_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL,
  due_ms INTEGER NOT NULL,
  claimed_until INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS work_queue_due ON work_queue (dead, due_ms, id);
CREATE TABLE IF NOT EXISTS sandbox_state (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, key)
);
";

/// A job claimed from the queue: run it, then [`LocalFile::finish`] or [`LocalFile::release`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub body: String,
    /// Runs of this job so far, this one included.
    pub attempts: u32,
}

/// What the queue has for a caller at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A job, now claimed by the caller.
    Job(Job),
    /// Nothing due yet; the earliest job falls due at this time (epoch ms).
    DueAt(i64),
    /// Every job waiting is claimed by another run (this or another process) until this time.
    Held(i64),
    /// The queue is empty (jobs that failed too often are kept, and not counted).
    Idle,
}

/// See the module documentation.
#[derive(Clone)]
pub struct LocalFile {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl LocalFile {
    /// The tables of the store in `dir` (`dir/table.sqlite3`), through a connection of their own.
    ///
    /// # Errors
    /// The directory or the database cannot be opened.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Fault {
            operation: "open",
            source: Box::new(e),
        })?;
        let path = dir.join(db::FILE_NAME);
        let conn = db::connect(Some(&path))?;
        Ok(LocalFile {
            conn: Arc::new(Mutex::new(conn)),
            path: Some(path),
        })
    }

    /// The same tables in a private in-memory database, gone with the process.
    pub fn in_memory() -> Self {
        let conn = db::connect(None).expect("an in-memory SQLite database opens");
        LocalFile {
            conn: Arc::new(Mutex::new(conn)),
            path: None,
        }
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` with the connection on tokio's blocking pool (it may wait for another
    /// process's write lock, up to [`db::BUSY_TIMEOUT`]).
    async fn run<T, F>(&self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        let blocking = tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn).map_err(|e| db::store_error(operation, e))
        });
        match blocking.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StoreError::Unavailable {
                operation,
                source: Box::new(e),
            }),
        }
    }

    /// Adds a job, due at `due_ms` (epoch ms).
    ///
    /// # Errors
    /// The file cannot be written.
    pub async fn push(&self, body: String, due_ms: i64) -> Result<(), StoreError> {
        self.run("work_queue push", move |conn| {
            conn.execute(
                "INSERT INTO work_queue (body, due_ms) VALUES (?1, ?2)",
                params![body, due_ms],
            )
            .map(|_| ())
        })
        .await
    }

    /// Claims the earliest job due at `now_ms` for `lease_ms`, or says when to look again.
    ///
    /// # Errors
    /// The file cannot be read or written.
    pub async fn claim(&self, now_ms: i64, lease_ms: i64) -> Result<Next, StoreError> {
        self.run("work_queue claim", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let job = tx
                .query_row(
                    "SELECT id, body, attempts FROM work_queue \
                     WHERE dead = 0 AND due_ms <= ?1 AND claimed_until <= ?1 \
                     ORDER BY due_ms, id LIMIT 1",
                    params![now_ms],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, u32>(2)?)),
                )
                .optional()?;
            let next = match job {
                Some((id, body, attempts)) => {
                    tx.execute(
                        "UPDATE work_queue SET claimed_until = ?2, attempts = attempts + 1 WHERE id = ?1",
                        params![id, now_ms.saturating_add(lease_ms)],
                    )?;
                    Next::Job(Job {
                        id,
                        body,
                        attempts: attempts + 1,
                    })
                }
                None => {
                    let (unclaimed, held): (Option<i64>, Option<i64>) = tx.query_row(
                        "SELECT MIN(CASE WHEN claimed_until <= ?1 THEN due_ms END), \
                                MIN(CASE WHEN claimed_until > ?1 THEN claimed_until END) \
                         FROM work_queue WHERE dead = 0",
                        params![now_ms],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )?;
                    match (unclaimed, held) {
                        (Some(due), _) => Next::DueAt(due),
                        (None, Some(until)) => Next::Held(until),
                        (None, None) => Next::Idle,
                    }
                }
            };
            tx.commit()?;
            Ok(next)
        })
        .await
    }

    /// A claimed job is done: it leaves the queue.
    ///
    /// # Errors
    /// The file cannot be written.
    pub async fn finish(&self, id: i64) -> Result<(), StoreError> {
        self.run("work_queue finish", move |conn| {
            conn.execute("DELETE FROM work_queue WHERE id = ?1", params![id])
                .map(|_| ())
        })
        .await
    }

    /// A claimed job failed: it is due again at `due_ms`, or, when `dead`, kept in the file
    /// with its error and no longer run.
    ///
    /// # Errors
    /// The file cannot be written.
    pub async fn release(
        &self,
        id: i64,
        due_ms: i64,
        error: String,
        dead: bool,
    ) -> Result<(), StoreError> {
        self.run("work_queue release", move |conn| {
            conn.execute(
                "UPDATE work_queue SET due_ms = ?2, claimed_until = 0, last_error = ?3, dead = ?4 \
                 WHERE id = ?1",
                params![id, due_ms, error, dead],
            )
            .map(|_| ())
        })
        .await
    }

    /// Jobs kept after failing too often.
    ///
    /// # Errors
    /// The file cannot be read.
    pub async fn dead_jobs(&self) -> Result<u64, StoreError> {
        self.run("work_queue dead", |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM work_queue WHERE dead = 1",
                [],
                |row| row.get::<_, i64>(0),
            )
        })
        .await
        .map(|n| n.max(0) as u64)
    }
}

fn boxed(e: StoreError) -> BoxError {
    Box::new(e)
}

fn parse(text: &str) -> rusqlite::Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

#[async_trait]
impl SandboxState for LocalFile {
    async fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, BoxError> {
        let (kind, key) = (kind.to_string(), key.to_string());
        self.run("sandbox_state get", move |conn| {
            conn.query_row(
                "SELECT value FROM sandbox_state WHERE kind = ?1 AND key = ?2",
                params![kind, key],
                |row| parse(&row.get::<_, String>(0)?),
            )
            .optional()
        })
        .await
        .map_err(boxed)
    }

    async fn put(&self, kind: &str, key: &str, value: &Value) -> Result<(), BoxError> {
        let (kind, key, value) = (kind.to_string(), key.to_string(), value.to_string());
        self.run("sandbox_state put", move |conn| {
            conn.execute(
                "INSERT INTO sandbox_state (kind, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
                params![kind, key, value],
            )
            .map(|_| ())
        })
        .await
        .map_err(boxed)
    }

    async fn put_new(&self, kind: &str, key: &str, value: &Value) -> Result<bool, BoxError> {
        let (kind, key, value) = (kind.to_string(), key.to_string(), value.to_string());
        self.run("sandbox_state put_new", move |conn| {
            conn.execute(
                "INSERT INTO sandbox_state (kind, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (kind, key) DO NOTHING",
                params![kind, key, value],
            )
            .map(|n| n == 1)
        })
        .await
        .map_err(boxed)
    }

    async fn delete(&self, kind: &str, key: &str) -> Result<bool, BoxError> {
        let (kind, key) = (kind.to_string(), key.to_string());
        self.run("sandbox_state delete", move |conn| {
            conn.execute(
                "DELETE FROM sandbox_state WHERE kind = ?1 AND key = ?2",
                params![kind, key],
            )
            .map(|n| n == 1)
        })
        .await
        .map_err(boxed)
    }

    async fn list(&self, kind: &str, prefix: &str) -> Result<Vec<(String, Value)>, BoxError> {
        let (kind, prefix) = (kind.to_string(), prefix.to_string());
        self.run("sandbox_state list", move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT key, value FROM sandbox_state \
                 WHERE kind = ?1 AND substr(key, 1, length(?2)) = ?2 ORDER BY key",
            )?;
            let rows = statement.query_map(params![kind, prefix], |row| {
                Ok((row.get::<_, String>(0)?, parse(&row.get::<_, String>(1)?)?))
            })?;
            rows.collect()
        })
        .await
        .map_err(boxed)
    }

    async fn next_number(&self, name: &str) -> Result<u64, BoxError> {
        let name = name.to_string();
        let text: String = self
            .run("sandbox_state next_number", move |conn| {
                conn.query_row(
                    "INSERT INTO sandbox_state (kind, key, value) VALUES ('counter', ?1, '1') \
                     ON CONFLICT (kind, key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 \
                     RETURNING value",
                    params![name],
                    |row| row.get(0),
                )
            })
            .await
            .map_err(boxed)?;
        text.parse()
            .map_err(|e| format!("the counter reads `{text}`: {e}").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_is_claimed_once_until_its_lease_passes() {
        let file = LocalFile::in_memory();
        assert_eq!(file.claim(0, 10).await.unwrap(), Next::Idle);
        file.push("later".into(), 500).await.unwrap();
        file.push("now".into(), 100).await.unwrap();
        assert_eq!(file.claim(50, 10).await.unwrap(), Next::DueAt(100));
        let Next::Job(job) = file.claim(100, 1_000).await.unwrap() else {
            panic!("the job due at 100");
        };
        assert_eq!((job.body.as_str(), job.attempts), ("now", 1));
        // The other job is not due yet, and the claimed one is held.
        assert_eq!(file.claim(200, 1_000).await.unwrap(), Next::DueAt(500));
        file.finish(job.id).await.unwrap();
        let Next::Job(later) = file.claim(600, 100).await.unwrap() else {
            panic!("the job due at 500");
        };
        assert_eq!(file.claim(650, 100).await.unwrap(), Next::Held(700));
        // A run that died: the lease passes and the job is claimed again.
        let Next::Job(again) = file.claim(700, 100).await.unwrap() else {
            panic!("claimed again after the lease");
        };
        assert_eq!((again.id, again.attempts), (later.id, 2));
        file.release(again.id, 0, "boom".into(), true)
            .await
            .unwrap();
        assert_eq!(file.claim(10_000, 100).await.unwrap(), Next::Idle);
        assert_eq!(file.dead_jobs().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn sandbox_records_are_kept_by_kind_and_key() {
        let file = LocalFile::in_memory();
        assert!(
            file.put_new("t", "a\u{1f}x", &serde_json::json!(1))
                .await
                .unwrap()
        );
        assert!(
            !file
                .put_new("t", "a\u{1f}x", &serde_json::json!(2))
                .await
                .unwrap()
        );
        file.put("t", "a\u{1f}y", &serde_json::json!({"y": true}))
            .await
            .unwrap();
        file.put("t", "b\u{1f}z", &serde_json::json!(3))
            .await
            .unwrap();
        let listed = file.list("t", "a\u{1f}").await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0], ("a\u{1f}x".to_string(), serde_json::json!(1)));
        assert!(file.delete("t", "a\u{1f}x").await.unwrap());
        assert!(!file.delete("t", "a\u{1f}x").await.unwrap());
        assert_eq!(
            file.get("t", "b\u{1f}z").await.unwrap(),
            Some(serde_json::json!(3))
        );
        assert_eq!(file.next_number("n").await.unwrap(), 1);
        assert_eq!(file.next_number("n").await.unwrap(), 2);
    }
}
