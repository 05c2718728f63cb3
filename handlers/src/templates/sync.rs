//! Refreshing the template cache from EUM Social: `get_templates` and `sync_templates`.

use std::collections::BTreeSet;

use serde::Serialize;

use super::cache;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::ports::SendFailure;
use crate::ports::templates::{TemplateRef, Waba};

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
    /// Cached templates whose components (header, body, footer, buttons) changed at Meta.
    pub components_changed: Vec<String>,
}

/// Reads a listed template's definition (`GetWhatsAppMessageTemplate` by Meta's id: the list
/// has no components) into the cache; returns the stored item.
async fn read_definition(
    ctx: &Ctx,
    waba: &Waba,
    item: TemplateItem,
    now: &str,
) -> Result<TemplateItem, HandlerError> {
    let Some(id) = item.template_id.clone() else {
        return Ok(item);
    };
    match ctx
        .templates()
        .get_template(&waba.eum_id, &TemplateRef::Id(id))
        .await
    {
        Ok(meta)
            if meta["name"] == item.name.as_str() && meta["language"] == item.language.as_str() =>
        {
            Ok(cache::refresh_from_meta(ctx.store(), &waba.meta_id, &meta, now).await?)
        }
        // Deleted since it was listed (the next sync marks it), or another template's
        // definition: the list's copy stands.
        Ok(_) => Ok(item),
        Err(e) if e.kind == SendFailure::NotFound => Ok(item),
        Err(e) => Err(e.into()),
    }
}

/// Refreshes every cached template of the WABA: each one EUM Social lists (status, category,
/// and its definition read one by one: components, so that a send is checked against what
/// Meta has now), and each cached one it no longer lists is marked DELETED (not left stale).
///
/// # Errors
/// EUM Social's and the store's.
pub async fn sync(ctx: &Ctx, waba: &Waba) -> Result<SyncReport, HandlerError> {
    let before = cache::all(ctx.store(), &waba.meta_id).await?;
    let (listed, seen) = list_all(ctx, waba).await?;
    let now = crate::time::now_iso();
    let mut items = Vec::with_capacity(listed.len());
    for item in listed {
        items.push(read_definition(ctx, waba, item, &now).await?);
    }
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
        components_changed: Vec::new(),
    };
    for item in &items {
        let old = before.iter().find(|b| b.pk == item.pk);
        if let Some(old) = old
            && old.components.is_some()
            && old.components != item.components
        {
            report.components_changed.push(label(item));
        }
        match old {
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
