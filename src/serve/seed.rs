//! Seeding: `serve` runs the webhook events of a directory (`events/inbound/` by default)
//! through the intake when the embedded store holds no conversation yet, so that the inbox
//! shows conversations on the first run.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::intake;

/// Runs each JSON event of `dir` (sorted by file name) through [`intake::handle`], as
/// `POST /events` would, when the store holds no conversation and `dir` exists. Answers how
/// many events were processed (`None`: nothing to do). An unreadable event or a failed one is
/// logged and skipped.
///
/// # Errors
/// The store cannot be read, or the directory cannot be listed.
pub async fn seed(
    ctx: &handlers::Ctx,
    dir: &Path,
) -> Result<Option<usize>, Box<dyn std::error::Error + Send + Sync>> {
    if !dir.is_dir() || !ctx.store().list_inbox_phones(1).await?.is_empty() {
        return Ok(None);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut seeded = 0;
    for file in &files {
        let event = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()));
        match event {
            Ok(event) => match intake::handle(ctx, event).await {
                Ok(_) => seeded += 1,
                Err(e) => tracing::warn!(file = %file.display(), error = %e, "seed event failed"),
            },
            Err(e) => tracing::warn!(file = %file.display(), error = %e, "seed event unreadable"),
        }
    }
    Ok(Some(seeded))
}
