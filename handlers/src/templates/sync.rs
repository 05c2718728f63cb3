//! Refreshing the template cache from EUM Social: `get_templates` and `sync_templates`.

use std::collections::BTreeSet;

use serde::Serialize;

use super::cache;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::ports::templates::Waba;

/// Every template of the WABA, all pages of `ListWhatsAppMessageTemplates`, each refreshed in
/// the cache; and the (name, language) pairs seen.
///
/// # Errors
/// EUM Social's and the store's.
pub async fn list_all(
    ctx: &Ctx,
    waba: &Waba,
) -> Result<(Vec<TemplateItem>, BTreeSet<(String, String)>), HandlerError> {
    let now = crate::time::now_iso();
    let mut items = Vec::new();
    let mut seen = BTreeSet::new();
    let mut next: Option<String> = None;
    loop {
        let page = ctx
            .templates()
            .list_templates(&waba.eum_id, next.as_deref())
            .await?;
        for summary in &page.items {
            seen.insert((summary.name.clone(), summary.language.clone()));
            items.push(
                cache::refresh_from_summary(ctx.store(), &waba.meta_id, summary, &now).await?,
            );
        }
        match page.next_token {
            Some(token) if next.as_deref() != Some(token.as_str()) => next = Some(token),
            _ => return Ok((items, seen)),
        }
    }
}

/// What a sync found.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub waba_id: String,
    /// Templates EUM Social listed (all refreshed).
    pub templates: usize,
    /// `name (language)` of cached templates that were not cached before.
    pub added: Vec<String>,
    /// Cached templates whose status changed, as `name (language): OLD → NEW`.
    pub changed: Vec<String>,
    /// Cached templates no longer at Meta, now marked DELETED.
    pub marked_deleted: Vec<String>,
    /// Templates still PENDING at Meta (under review).
    pub pending: Vec<String>,
}

/// Refreshes every cached template of the WABA: each one EUM Social lists, and each cached
/// one it no longer lists is marked DELETED (not left stale).
///
/// # Errors
/// EUM Social's and the store's.
pub async fn sync(ctx: &Ctx, waba: &Waba) -> Result<SyncReport, HandlerError> {
    let before = cache::all(ctx.store(), &waba.meta_id).await?;
    let (items, seen) = list_all(ctx, waba).await?;
    let now = crate::time::now_iso();
    let label = |t: &TemplateItem| format!("{} ({})", t.name, t.language);
    let mut report = SyncReport {
        waba_id: waba.meta_id.clone(),
        templates: items.len(),
        added: Vec::new(),
        changed: Vec::new(),
        marked_deleted: Vec::new(),
        pending: items
            .iter()
            .filter(|t| t.status == "PENDING")
            .map(label)
            .collect(),
    };
    for item in &items {
        match before.iter().find(|b| b.pk == item.pk) {
            None => report.added.push(label(item)),
            Some(old) if old.status != item.status => {
                report
                    .changed
                    .push(format!("{}: {} → {}", label(item), old.status, item.status))
            }
            Some(_) => {}
        }
    }
    for old in before {
        if old.status != "DELETED" && !seen.contains(&(old.name.clone(), old.language.clone())) {
            report.marked_deleted.push(label(&old));
            cache::mark_deleted(ctx.store(), old, &now).await?;
        }
    }
    Ok(report)
}
