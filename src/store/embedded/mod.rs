//! The embedded store: the single table in an SQLite file under the local data directory
//! (`DATA_DIR/table.sqlite3`), for local mode and tests with no AWS at all. Same semantics as
//! DynamoDB: conditional writes are decided inside one `BEGIN IMMEDIATE` transaction, so two
//! processes sharing the directory (`serve` and `invoke`) cannot race; index queries read real
//! (partial) indexes and paginate with a cursor.
//!
//! Items are JSON documents (`doc`); the attributes the indexes need are generated columns read
//! from the document. Nothing is cached in memory: every call reads the file (SQLite's page
//! cache is bounded). rusqlite is synchronous: a call runs in place when the store's one
//! connection is free, and waits on tokio's blocking pool when it is not.
//!
//! Writes are group-committed ([`group`]): the writes called while a transaction is committing
//! run together in the next one, each in its own savepoint, so a write that fails is rolled back
//! alone; each caller is answered once the `COMMIT` holding its write has succeeded. One caller
//! at a time gets one transaction per write, as without groups. Crash safety is SQLite's (WAL
//! journal). See "The SQLite store" in `docs/operations.md`.
//!
//! # Layout
//! - this module: the store, its connection, `call` (reads) and `write` (group-committed);
//! - `port`: the `Store` methods, each one read or one write applying `handlers::rules`;
//! - `local`: what local mode keeps beside the table in the same file (the campaign work
//!   queue, the sandbox's templates and flows);
//! - `group`: group commit; `rows`: item rows, index queries, unread counts; `db`: schema and
//!   errors; `import`: the one-time import of an old `table.jsonl`.

mod counts;
mod db;
mod group;
mod import;
mod lifecycle;
pub mod local;
mod port;
mod rows;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use handlers::keys;
use handlers::store::{Page, PageRequest, StoreError};
use rusqlite::Connection;

use rows::{Writer, query};

pub use db::{BUSY_TIMEOUT, FILE_NAME, MAX_ITEM_BYTES};
pub use import::LOG_FILE;

/// See the module documentation.
pub struct EmbeddedStore {
    path: Option<PathBuf>,
    shared: Arc<Shared>,
}

struct Shared {
    conn: Mutex<Connection>,
    /// Writes waiting for the next transaction (group commit).
    queue: group::Queue,
    /// Write calls made through this handle (queued, answered or not).
    queued: AtomicU64,
    /// Write transactions committed through this handle.
    transactions: AtomicU64,
    /// Write calls answered by those transactions.
    calls: AtomicU64,
    /// Item writes committed through this handle.
    writes: AtomicU64,
    /// `writes` at the last checkpoint.
    checkpointed: AtomicU64,
    /// The connection that checkpoints without holding `conn` (on disk; opened at the first
    /// checkpoint).
    checkpointer: Mutex<Option<Connection>>,
}

/// See [`EmbeddedStore::hold_connection`].
#[doc(hidden)]
pub struct HeldConnection<'a>(#[allow(dead_code)] MutexGuard<'a, Connection>);

/// See [`EmbeddedStore::commit_counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitCounts {
    /// Write calls made (queued for a transaction), answered or not.
    pub queued: u64,
    /// Write transactions committed.
    pub transactions: u64,
    /// Write calls answered by a committed transaction (including a write that failed alone
    /// inside one: it was rolled back to its savepoint).
    pub calls: u64,
}

/// Item writes between two WAL checkpoints (about 4 000 WAL pages, 16 MB).
const CHECKPOINT_EVERY: u64 = 1000;

impl Shared {
    fn try_lock(&self) -> Option<MutexGuard<'_, Connection>> {
        match self.conn.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock dropped its transaction, which rolled back: the
        // connection is usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl EmbeddedStore {
    /// A private in-memory database that keeps nothing after the store is dropped (tests).
    pub fn in_memory() -> Self {
        let conn = db::connect(None).expect("an in-memory SQLite database opens");
        Self::with(None, conn)
    }

    /// Opens (or creates) the store in `dir` (`dir/table.sqlite3`), importing an old
    /// `table.jsonl` found there once. Any number of stores, in this process or others, may
    /// open the same directory.
    ///
    /// # Errors
    /// The directory cannot be created, the database cannot be opened or is not one, or the
    /// old log cannot be read.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE_NAME);
        let in_context = |e: StoreError| std::io::Error::other(format!("{}: {e}", path.display()));
        let mut conn = db::connect(Some(&path)).map_err(in_context)?;
        import::import_log(&mut conn, dir).map_err(in_context)?;
        Ok(Self::with(Some(path.clone()), conn))
    }

    fn with(path: Option<PathBuf>, conn: Connection) -> Self {
        EmbeddedStore {
            path,
            shared: Arc::new(Shared {
                conn: Mutex::new(conn),
                queue: group::Queue::default(),
                queued: AtomicU64::new(0),
                transactions: AtomicU64::new(0),
                calls: AtomicU64::new(0),
                writes: AtomicU64::new(0),
                checkpointed: AtomicU64::new(0),
                checkpointer: Mutex::new(None),
            }),
        }
    }

    /// Item writes committed through this handle so far (for the benchmark).
    pub fn item_writes(&self) -> u64 {
        self.shared.writes.load(Ordering::Relaxed)
    }

    /// Write calls made through this handle so far, the write transactions committed and the
    /// calls they answered: more calls than transactions when concurrent writes shared one
    /// (group commit).
    pub fn commit_counts(&self) -> CommitCounts {
        CommitCounts {
            queued: self.shared.queued.load(Ordering::Relaxed),
            transactions: self.shared.transactions.load(Ordering::Relaxed),
            calls: self.shared.calls.load(Ordering::Relaxed),
        }
    }

    /// Holds the store's connection until the guard is dropped, as a committing group does:
    /// writes called meanwhile queue and then commit together, and reads wait. For tests of the
    /// group commit (a way to make a group without timing).
    #[doc(hidden)]
    pub fn hold_connection(&self) -> HeldConnection<'_> {
        HeldConnection(self.shared.lock())
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` with the connection.
    ///
    /// When the connection is free, `f` runs here, with SQLite told not to wait for locks: a
    /// read or an uncontended write takes some microseconds, less than a trip to another thread.
    /// If the database is locked (another process is writing), nothing was done, and `f` runs
    /// again on tokio's blocking pool, where it may wait up to [`BUSY_TIMEOUT`] for the lock.
    /// So the async thread never waits for a lock or an fsync (checkpoints run on the blocking
    /// pool too, see [`Self::after_writes`]).
    async fn call<T, F>(&self, mut f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        if let Some(mut conn) = self.shared.try_lock() {
            let result = match conn.busy_timeout(Duration::ZERO) {
                Ok(()) => f(&mut conn),
                Err(e) => Err(db::store_error("busy_timeout", e)),
            };
            match result {
                Err(e) if db::is_busy(&e) => {}
                done => return done,
            }
        }
        let shared = self.shared.clone();
        let blocking = tokio::task::spawn_blocking(move || {
            let mut conn = shared.lock();
            conn.busy_timeout(BUSY_TIMEOUT)
                .map_err(|e| db::store_error("busy_timeout", e))?;
            f(&mut conn)
        });
        match blocking.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StoreError::Unavailable {
                operation: "spawn_blocking",
                source: Box::new(e),
            }),
        }
    }

    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`: it holds the database's write lock
    /// from its first read, so what it read cannot change before it writes) and answers once that
    /// transaction has committed; nothing of `f` is kept when it fails. Writes called while a
    /// transaction is committing share the next one, each in its own savepoint (group commit,
    /// see [`group`]). `f` may run more than once when an attempt found the database locked
    /// (nothing of that attempt is kept).
    async fn write<T, F>(&self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Writer<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let answer = group::queue(&self.shared, operation, f).await;
        let out = match answer {
            Ok(Ok(result)) => result?,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                return Err(StoreError::Unavailable {
                    operation,
                    source: "the write was dropped before its transaction ran (shutting down?)"
                        .into(),
                });
            }
        };
        self.after_writes();
        Ok(out)
    }

    /// Automatic checkpoints are off (they would fsync on the async thread): every
    /// [`CHECKPOINT_EVERY`] writes, one runs on the blocking pool, in two steps. First through a
    /// connection of its own, while writes go on committing (a checkpoint copies thousands of
    /// pages and fsyncs the WAL and the file: over 10 ms); then, holding the store's connection,
    /// a second one copies the pages committed meanwhile, so that the next write starts the WAL
    /// over from its beginning (it only does when the whole WAL is in the file). PASSIVE: a
    /// checkpoint copies what no reader still needs and never waits; a crash before it loses
    /// nothing (the WAL is replayed).
    fn after_writes(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let writes = self.shared.writes.load(Ordering::Relaxed);
        let last = self.shared.checkpointed.load(Ordering::Relaxed);
        if writes.saturating_sub(last) < CHECKPOINT_EVERY
            || self
                .shared
                .checkpointed
                .compare_exchange(last, writes, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let (shared, path) = (self.shared.clone(), path.clone());
        tokio::task::spawn_blocking(move || {
            let done = {
                let mut checkpointer = shared
                    .checkpointer
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                match &mut *checkpointer {
                    Some(conn) => db::checkpoint(conn),
                    None => db::connect(Some(&path))
                        .and_then(|conn| db::checkpoint(checkpointer.insert(conn))),
                }
            }
            .and_then(|()| db::checkpoint(&shared.lock()));
            if let Err(e) = done {
                tracing::warn!(error = %e, "SQLite checkpoint failed; the next one retries");
            }
        });
    }
}

impl EmbeddedStore {
    async fn list(
        &self,
        index: &'static str,
        value: &str,
        since: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<(String, String)>, StoreError> {
        let index = keys::index(index);
        let (value, since, page) = (value.to_string(), since.map(str::to_string), page.clone());
        self.call(move |conn| query(conn, index, &value, since.as_deref(), &page))
            .await
    }
}
