//! Persistence of the embedded store: an append-only JSON-lines file, replayed at start and
//! compacted when it has grown well past the live items.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use handlers::keys;
use serde_json::Value;

use super::Inner;

const FILE_NAME: &str = "table.jsonl";

/// Replays (and, when worth it, compacts) the log under `dir`, then opens it for appending.
pub(super) fn open(dir: &Path) -> std::io::Result<(PathBuf, Inner)> {
    fs::create_dir_all(dir)?;
    let path = dir.join(FILE_NAME);
    let mut items = HashMap::new();
    let mut log_lines = 0;
    if path.exists() {
        for (n, line) in BufReader::new(File::open(&path)?).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            // A torn last line (a crash mid-write) is skipped, not fatal.
            match serde_json::from_str::<Value>(&line) {
                Ok(item) => {
                    if let Some(pk) = item.get(keys::PK).and_then(Value::as_str) {
                        items.insert(pk.to_string(), item);
                        log_lines += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(line = n + 1, error = %e, "skipping unreadable line in {}", path.display())
                }
            }
        }
    }
    let mut inner = Inner {
        items,
        log: None,
        log_lines,
        writes: 0,
    };
    if inner.log_lines > 2 * inner.items.len() + 1000 {
        compact(&path, &inner.items)?;
        inner.log_lines = inner.items.len();
    }
    inner.log = Some(BufWriter::new(
        OpenOptions::new().create(true).append(true).open(&path)?,
    ));
    Ok((path, inner))
}

/// Appends one item as one line, flushed so that a crash loses at most that line.
pub(super) fn append(log: &mut BufWriter<File>, item: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *log, item)?;
    log.write_all(b"\n")?;
    log.flush()
}

/// Rewrites the log with one line per live item, through a temporary file and a rename so that
/// a crash leaves either the old or the new log.
fn compact(path: &Path, items: &HashMap<String, Value>) -> std::io::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut out = BufWriter::new(File::create(&tmp)?);
    for item in items.values() {
        serde_json::to_writer(&mut out, item)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    fs::rename(tmp, path)
}
