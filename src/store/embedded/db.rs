//! The SQLite file: opening a connection, its settings, the schema, and how SQLite's errors map
//! to [`StoreError`].

use std::path::Path;
use std::time::Duration;

use handlers::keys;
use handlers::store::StoreError;
use rusqlite::limits::Limit;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

/// The database file under the data directory.
pub const FILE_NAME: &str = "table.sqlite3";

/// How long a write waits for another connection's (or process's) write to finish before it
/// answers [`StoreError::Unavailable`]. Writes take well under a millisecond, so reaching this
/// means something holds the file locked.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest item, as its JSON text: DynamoDB's item size limit (400 KB), so that an item too
/// big for the table in AWS is refused locally too ([`StoreError::Rejected`]).
pub const MAX_ITEM_BYTES: i32 = 400 * 1024;

/// The schema version kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i32 = 3;

/// Opens (or creates) the database at `path`, or a private in-memory one, with the store's
/// settings: WAL journal, `synchronous=NORMAL`, a busy timeout, the item size limit.
pub fn connect(path: Option<&Path>) -> Result<Connection, StoreError> {
    let error = |e| store_error("open", e);
    let mut conn = match path {
        Some(path) => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(error)?,
        None => Connection::open_in_memory().map_err(error)?,
    };
    conn.busy_timeout(BUSY_TIMEOUT).map_err(error)?;
    if path.is_some() {
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                journal_mode = %mode,
                "SQLite could not use WAL here (a network file system?): writers will block readers"
            );
        }
    }
    // WAL + NORMAL: a commit is not fsynced, the WAL is at each checkpoint. A crash of the process
    // loses nothing committed; a power cut or OS crash may lose the last commits but never
    // corrupts the file. FULL would fsync every commit (see docs/operations.md).
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(error)?;
    // Checkpoints are run by the store on the blocking pool (`EmbeddedStore::after_writes`).
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(error)?;
    // After a checkpoint the WAL is reused from its start; past 64 MB it is cut back.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
        .map_err(error)?;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_ITEM_BYTES)
        .map_err(error)?;
    conn.set_prepared_statement_cache_capacity(64);
    init_schema(&mut conn)?;
    Ok(conn)
}

/// Copies the WAL's pages into the database file, as far as no reader still needs them
/// (PASSIVE: it never waits for a lock; another connection may write meanwhile).
pub fn checkpoint(conn: &Connection) -> Result<(), StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .map_err(|e| store_error("checkpoint", e))
}

/// The name of a `gsi-*` index as an SQL identifier (`gsi_inbox`).
pub fn index_name(index: &keys::IndexDef) -> String {
    index.name.replace('-', "_")
}

/// The statements that create the schema, derived from `keys::INDEXES`: one table of JSON
/// documents, each index attribute a generated column read from the document, and one partial
/// index per GSI holding only the items that have both its attributes (DynamoDB's sparse indexes).
pub fn schema_sql() -> String {
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS items (\n  pk TEXT PRIMARY KEY NOT NULL,\n  doc TEXT NOT NULL",
    );
    for attr in crate::store::schema::attribute_names() {
        if attr == keys::PK {
            continue;
        }
        sql.push_str(&format!(
            ",\n  {attr} TEXT GENERATED ALWAYS AS (doc ->> '$.{attr}') VIRTUAL"
        ));
    }
    sql.push_str("\n);\n");
    for index in keys::INDEXES {
        let (p, s) = (index.partition, index.sort);
        sql.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS {name} ON items ({p}, {s}, pk) WHERE {p} IS NOT NULL AND {s} IS NOT NULL;\n",
            name = index_name(&index),
        ));
    }
    // Version 2 dropped `gsi-from` and `gsi-direction` (written on every message; nothing
    // read the first, `get_stats` now reads conversations instead of the second).
    sql.push_str("DROP INDEX IF EXISTS gsi_from;\nDROP INDEX IF EXISTS gsi_direction;\n");
    sql.push_str(
        "CREATE TABLE IF NOT EXISTS meta (\n  key TEXT PRIMARY KEY NOT NULL,\n  value TEXT NOT NULL\n);\n",
    );
    // Version 3: local mode's campaign work queue and the sandbox's account state
    // (`super::local`). Every statement is `IF NOT EXISTS`, so a version-2 file gains them as
    // it is opened, its items untouched.
    sql.push_str(super::local::SCHEMA);
    sql
}

fn init_schema(conn: &mut Connection) -> Result<(), StoreError> {
    let error = |e| store_error("create schema", e);
    let version = |conn: &Connection| -> Result<i32, StoreError> {
        let v: i32 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(error)?;
        if v > SCHEMA_VERSION {
            return Err(StoreError::Fault {
                operation: "open",
                source: format!(
                    "the database has schema version {v}, newer than this program's {SCHEMA_VERSION}"
                )
                .into(),
            });
        }
        Ok(v)
    };
    if version(conn)? == SCHEMA_VERSION {
        return Ok(());
    }
    // Two processes opening a new directory at once: the second waits for the first's lock,
    // then finds the schema made.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(error)?;
    if version(&tx)? < SCHEMA_VERSION {
        tx.execute_batch(&schema_sql()).map_err(error)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(error)?;
    }
    tx.commit().map_err(error)
}

/// True when `e` is SQLite's "database is locked" (another connection holds the lock).
pub fn is_busy(e: &StoreError) -> bool {
    let StoreError::Unavailable { source, .. } = e else {
        return false;
    };
    source
        .downcast_ref::<rusqlite::Error>()
        .and_then(rusqlite::Error::sqlite_error_code)
        .is_some_and(|c| matches!(c, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// Maps an SQLite failure to what the caller should do about it.
pub fn store_error(operation: &'static str, e: rusqlite::Error) -> StoreError {
    let code = e.sqlite_error_code();
    let source = Box::new(e);
    match code {
        // Another writer held the lock for longer than the busy timeout: try again later.
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable { operation, source }
        }
        // An I/O error may pass (a full queue on a network disk); retrying is the right call.
        Some(ErrorCode::SystemIoFailure) => StoreError::Unavailable { operation, source },
        // The item itself: too big, or a value SQLite refuses.
        Some(ErrorCode::TooBig | ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch) => {
            StoreError::Rejected { operation, source }
        }
        // The file: read-only, no permission, cannot be opened, corrupt, not a database, a full
        // disk; and anything else (a bug of ours in SQL). Not the payload's fault.
        _ => match source.as_ref() {
            rusqlite::Error::ToSqlConversionFailure(_) => {
                StoreError::Rejected { operation, source }
            }
            _ => StoreError::Fault { operation, source },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn errors_map_to_what_the_caller_should_do() {
        use rusqlite::ffi;
        for code in [ffi::SQLITE_BUSY, ffi::SQLITE_LOCKED, ffi::SQLITE_IOERR] {
            assert!(matches!(
                store_error("t", failure(code)),
                StoreError::Unavailable { .. }
            ));
        }
        for code in [
            ffi::SQLITE_TOOBIG,
            ffi::SQLITE_CONSTRAINT,
            ffi::SQLITE_MISMATCH,
        ] {
            assert!(matches!(
                store_error("t", failure(code)),
                StoreError::Rejected { .. }
            ));
        }
        for code in [
            ffi::SQLITE_READONLY,
            ffi::SQLITE_PERM,
            ffi::SQLITE_CANTOPEN,
            ffi::SQLITE_CORRUPT,
            ffi::SQLITE_NOTADB,
            ffi::SQLITE_FULL,
        ] {
            assert!(matches!(
                store_error("t", failure(code)),
                StoreError::Fault { .. }
            ));
        }
    }

    #[test]
    fn every_access_pattern_reads_its_own_index() {
        let conn = connect(None).unwrap();
        for index in keys::INDEXES {
            let sql = super::super::rows::query_sql(&index, true, true);
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(
                    rusqlite::params!["p", "2026", "2026-11", "MSG#1", 10],
                    |row| row.get::<_, String>(3),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join(" | ");
            assert!(
                plan.contains(&format!("USING INDEX {}", index_name(&index))),
                "{}: {plan}",
                index.name
            );
            assert!(!plan.contains("TEMP B-TREE"), "{}: {plan}", index.name);
        }
    }
}
