//! The template cache: one `TEMPLATE#{wabaId}#{name}#{language}` item per template and
//! language, written through the store's generic item operations (`get_item`, `put_record`,
//! `list_by_item_type`), so that both stores hold exactly the same item.
//!
//! Every write reads the cached item first and writes the whole merged item: what a source
//! does not carry (a list has no components, a quality webhook no status) is kept. A status
//! is replaced only by one at least as new (`statusAt`: Meta's time for a webhook, the time of
//! the read for a refresh from EUM Social).

use serde_json::Value;

use crate::keys;
use crate::model::{ItemType, TemplateItem};
use crate::ports::templates::TemplateSummary;
use crate::store::{PageRequest, Store, StoreError, get_item_as, put_item};

/// A new, empty item for a template, to be filled by the caller.
pub fn blank(waba_id: &str, name: &str, language: &str, now: &str) -> TemplateItem {
    TemplateItem {
        pk: keys::template(waba_id, name, language),
        item_type: ItemType::Template,
        item_type_pk: keys::item_type::TEMPLATE.into(),
        waba_id: waba_id.into(),
        name: name.into(),
        language: language.into(),
        status: "UNKNOWN".into(),
        created_at: now.into(),
        updated_at: now.into(),
        ..Default::default()
    }
}

/// The cached item of a template, if any.
///
/// # Errors
/// The store's.
pub async fn get(
    store: &dyn Store,
    waba_id: &str,
    name: &str,
    language: &str,
) -> Result<Option<TemplateItem>, StoreError> {
    get_item_as(store, &keys::template(waba_id, name, language)).await
}

/// Writes `item` whole (keeping the stored `createdAt`).
///
/// # Errors
/// The store's.
pub async fn put(store: &dyn Store, item: &TemplateItem) -> Result<(), StoreError> {
    put_item(store, item).await
}

/// Every cached template of a WABA (Meta's id), all pages of the `TEMPLATE` index partition.
///
/// # Errors
/// The store's.
pub async fn all(store: &dyn Store, waba_id: &str) -> Result<Vec<TemplateItem>, StoreError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_by_item_type(
                keys::item_type::TEMPLATE,
                &PageRequest { limit: 100, cursor },
            )
            .await?;
        for value in page.items {
            let pk = value[keys::PK].as_str().unwrap_or_default().to_string();
            let item: TemplateItem =
                serde_json::from_value(value).map_err(|e| StoreError::Corrupt {
                    pk,
                    reason: e.to_string(),
                })?;
            if item.waba_id == waba_id {
                out.push(item);
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(out),
        }
    }
}

/// Refreshes the cached item from a list entry of EUM Social; returns the stored item.
///
/// # Errors
/// The store's.
pub async fn refresh_from_summary(
    store: &dyn Store,
    waba_id: &str,
    s: &TemplateSummary,
    now: &str,
) -> Result<TemplateItem, StoreError> {
    let mut item = get(store, waba_id, &s.name, &s.language)
        .await?
        .unwrap_or_else(|| blank(waba_id, &s.name, &s.language, now));
    fill(&mut item.template_id, s.meta_template_id.clone());
    fill(&mut item.category, s.category.clone());
    fill(&mut item.quality_score, s.quality_score.clone());
    fill(&mut item.source, s.source.clone());
    item.correct_category.clone_from(&s.correct_category);
    if let Some(status) = &s.status {
        set_status(&mut item, status, now);
    }
    item.synced_at = Some(now.into());
    item.updated_at = now.into();
    put(store, &item).await?;
    Ok(item)
}

/// Refreshes the cached item from Meta's template JSON (`GetWhatsAppMessageTemplate`), which
/// has the components; returns the stored item.
///
/// # Errors
/// The store's.
pub async fn refresh_from_meta(
    store: &dyn Store,
    waba_id: &str,
    t: &Value,
    now: &str,
) -> Result<TemplateItem, StoreError> {
    let s = |k: &str| t.get(k).and_then(text);
    let (name, language) = (
        s("name").unwrap_or_default(),
        s("language").unwrap_or_default(),
    );
    let mut item = get(store, waba_id, &name, &language)
        .await?
        .unwrap_or_else(|| blank(waba_id, &name, &language, now));
    fill(&mut item.template_id, s("id"));
    fill(&mut item.category, s("category"));
    fill(&mut item.parameter_format, s("parameter_format"));
    fill(
        &mut item.quality_score,
        t["quality_score"]["score"].as_str().map(str::to_string),
    );
    if let Some(components) = t.get("components").filter(|c| c.is_array()) {
        set_components(&mut item, components, None);
    }
    if let Some(status) = s("status") {
        set_status(&mut item, &status, now);
    }
    item.synced_at = Some(now.into());
    item.updated_at = now.into();
    put(store, &item).await?;
    Ok(item)
}

/// Replaces the cached components of a template (as Meta returns them: HEADER, BODY, FOOTER,
/// BUTTONS) and, when given, its category, keeping the rest of the item; a template not cached
/// yet is added. Returns the stored item and whether its components changed. Used by the
/// refresh from EUM Social and by anything else that learns a template's new components.
///
/// # Errors
/// The store's.
pub async fn refresh_template_components(
    store: &dyn Store,
    waba_id: &str,
    name: &str,
    language: &str,
    components: &Value,
    category: Option<&str>,
    now: &str,
) -> Result<(TemplateItem, bool), StoreError> {
    let mut item = get(store, waba_id, name, language)
        .await?
        .unwrap_or_else(|| TemplateItem {
            status_at: String::new(),
            ..blank(waba_id, name, language, now)
        });
    let changed = set_components(&mut item, components, category);
    item.updated_at = now.into();
    put(store, &item).await?;
    Ok((item, changed))
}

/// Sets the components (and the category when given); true when the components changed.
fn set_components(item: &mut TemplateItem, components: &Value, category: Option<&str>) -> bool {
    let changed = item.components.as_ref() != Some(components);
    item.components = Some(components.clone());
    if let Some(category) = category.filter(|c| !c.is_empty()) {
        item.category = Some(category.into());
    }
    changed
}

/// Marks a cached template deleted at Meta (kept, not removed, so a send names the reason).
///
/// # Errors
/// The store's.
pub async fn mark_deleted(
    store: &dyn Store,
    mut item: TemplateItem,
    now: &str,
) -> Result<TemplateItem, StoreError> {
    item.status = "DELETED".into();
    item.status_at = now.into();
    item.deleted_at = Some(now.into());
    item.updated_at = now.into();
    put(store, &item).await?;
    Ok(item)
}

fn set_status(item: &mut TemplateItem, status: &str, at: &str) {
    if item.status_at.as_str() <= at {
        item.status = status.into();
        item.status_at = at.into();
        item.deleted_at = None;
        if status == "APPROVED" {
            item.reason = None;
        }
    }
}

pub(super) fn fill(slot: &mut Option<String>, value: Option<String>) {
    if value.is_some() {
        *slot = value;
    }
}

/// A string or a number (Meta sends `message_template_id` as a number) as text.
pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
