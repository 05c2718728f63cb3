//! One-time import of the JSON-lines log that earlier versions kept (`DATA_DIR/table.jsonl`).
//!
//! The log is replayed into the database in one transaction (the last line of each `pk` wins,
//! as the old store replayed it), the import is recorded in the `meta` table in that same
//! transaction (with the file's size and hash), and the file is renamed `table.jsonl.imported`.
//! A crash before the commit imports nothing; a crash between the commit and the rename leaves
//! the file, which the next open recognises by its hash and only renames. So a log is never
//! imported twice, and two processes opening the directory at once import it once.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use handlers::keys;
use handlers::store::StoreError;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::db::store_error;

/// The old store's log file.
pub const LOG_FILE: &str = "table.jsonl";

/// What an import did (for logs and tests).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Lines whose item was written (a later line of the same pk overwrites an earlier one).
    pub lines: usize,
    /// Unreadable lines skipped (a torn last line, a line damaged in the middle).
    pub skipped: usize,
    /// Lines where a torn write had been glued to the next item (the old store's torn-line bug):
    /// the complete item at the end of the line was kept.
    pub salvaged: usize,
    /// Items over the size limit, left out (they are still in the renamed file).
    pub rejected: usize,
    /// Where the log was moved.
    pub renamed_to: Option<PathBuf>,
}

/// Imports `dir/table.jsonl` when there is one. `Ok(None)` when there is none.
pub fn import_log(conn: &mut Connection, dir: &Path) -> Result<Option<Imported>, StoreError> {
    let path = dir.join(LOG_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let io = |e: std::io::Error| StoreError::Fault {
        operation: "import table.jsonl",
        source: Box::new(e),
    };
    let sql = |e| store_error("import table.jsonl", e);
    let (size, hash) = fingerprint(&path).map_err(io)?;
    let meta_key = format!("import:{LOG_FILE}:{size}:{hash:016x}");

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    let mut done = Imported::default();
    let already: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [&meta_key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(sql)?;
    if already.is_some() {
        tracing::warn!(
            "{} was imported before (a crash before its rename?); not importing it again",
            path.display()
        );
    } else if path.exists() {
        // (Another process may have imported and renamed it while this one waited for the lock.)
        replay(&tx, &path, &mut done)?;
        let record = serde_json::json!({
            "file": path.display().to_string(),
            "bytes": size,
            "lines": done.lines,
            "skipped": done.skipped,
            "salvaged": done.salvaged,
            "rejected": done.rejected,
            "at": handlers::time::now_iso(),
        });
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![meta_key, record.to_string()],
        )
        .map_err(sql)?;
    } else {
        return Ok(None);
    }
    tx.commit().map_err(sql)?;

    let target = free_name(dir);
    match std::fs::rename(&path, &target) {
        Ok(()) => done.renamed_to = Some(target),
        // Another process renamed it first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        // The import is recorded, so it is not repeated; the next open tries the rename again.
        Err(e) => tracing::warn!(error = %e, "could not rename {}", path.display()),
    }
    tracing::info!(
        lines = done.lines,
        skipped = done.skipped,
        salvaged = done.salvaged,
        rejected = done.rejected,
        "imported {} into the SQLite store",
        path.display()
    );
    Ok(Some(done))
}

/// `table.jsonl.imported`, or `table.jsonl.imported.2`, ... when that name is taken.
fn free_name(dir: &Path) -> PathBuf {
    let first = dir.join(format!("{LOG_FILE}.imported"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{LOG_FILE}.imported.{n}")))
        .find(|p| !p.exists())
        .expect("a free name")
}

/// The file's size and FNV-1a hash: identifies a log that was imported already.
fn fingerprint(path: &Path) -> std::io::Result<(u64, u64)> {
    let mut reader = BufReader::new(File::open(path)?);
    let (mut size, mut hash) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((size, hash));
        }
        for b in buf {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        let n = buf.len();
        size += n as u64;
        reader.consume(n);
    }
}

fn replay(tx: &Connection, path: &Path, done: &mut Imported) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Fault {
        operation: "import table.jsonl",
        source: Box::new(e),
    };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            return Ok(());
        }
        number += 1;
        let complete = line.last() == Some(&b'\n');
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let item = match serde_json::from_slice::<Value>(text) {
            Ok(item) => item,
            Err(e) if !complete => {
                tracing::warn!(
                    line = number,
                    error = %e,
                    "skipping the torn last line of {} (a write cut short)",
                    path.display()
                );
                done.skipped += 1;
                continue;
            }
            Err(e) => match salvage(text) {
                Some(item) => {
                    tracing::warn!(
                        line = number,
                        "line of {} began with a torn write; kept the complete item after it",
                        path.display()
                    );
                    done.salvaged += 1;
                    item
                }
                None => {
                    tracing::warn!(
                        line = number,
                        error = %e,
                        "skipping an unreadable line of {}; an earlier version of its item may be the one imported",
                        path.display()
                    );
                    done.skipped += 1;
                    continue;
                }
            },
        };
        let Some(pk) = item.get(keys::PK).and_then(Value::as_str) else {
            tracing::warn!(line = number, "skipping a line without pk");
            done.skipped += 1;
            continue;
        };
        match super::rows::put_value(tx, pk, &item) {
            Ok(()) => done.lines += 1,
            Err(StoreError::Rejected { source, .. }) => {
                tracing::warn!(line = number, pk, error = %source, "skipping an item the store refuses");
                done.rejected += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The old store appended a line to a torn one (a crash mid-write), so a line can be a torn
/// prefix followed by a complete item. Returns that item: the longest tail of the line, starting
/// at a `{`, that is a JSON object with a `pk`.
fn salvage(line: &[u8]) -> Option<Value> {
    line.iter()
        .enumerate()
        .skip(1)
        .filter(|(_, b)| **b == b'{')
        .find_map(|(i, _)| {
            serde_json::from_slice::<Value>(&line[i..])
                .ok()
                .filter(|v| v.get(keys::PK).and_then(Value::as_str).is_some())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_write_glued_to_the_next_item_gives_that_item_back() {
        let line = br#"{"pk":"MSG#1","text":"cut sh{"pk":"MSG#2","text":"whole {x}"}"#;
        assert_eq!(
            salvage(line),
            Some(serde_json::json!({"pk": "MSG#2", "text": "whole {x}"}))
        );
        assert_eq!(salvage(br#"{"pk":"MSG#1","te"#), None);
        assert_eq!(salvage(br#"{"pk":"MSG#1","text":"a {"b": 1} c"#), None);
    }
}
