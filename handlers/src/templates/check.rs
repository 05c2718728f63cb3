//! What `send_template` checks before sending: the template exists, it is APPROVED, and the
//! send gives what its category needs: as many header and body parameters as the template has,
//! or, for an AUTHENTICATION template, the one-time code in the body and the OTP button
//! ([`authentication`]).

use serde_json::Value;

use super::WabaRef;
use super::authentication;
use super::cache;
use super::rules::{self, Expected};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::ports::SendFailure;
use crate::ports::templates::TemplateRef;
use crate::store::PageRequest;

/// The cached template `name`/`language`: of the given or configured WABA when there is one,
/// else of any WABA in the cache. Without a usable cached copy (none, or one without its
/// components, or one still PENDING: a missed webhook must not block sends) it is fetched once
/// from EUM Social and cached.
///
/// # Errors
/// 400 when the template does not exist or no WABA is known to fetch it from; EUM Social's and
/// the store's errors.
pub async fn cached_template(
    ctx: &Ctx,
    waba: &WabaRef,
    name: &str,
    language: &str,
) -> Result<TemplateItem, HandlerError> {
    let store = ctx.store();
    // A WABA that cannot be resolved now (EUM unreachable, no permission to list accounts)
    // does not block a send whose template is cached.
    let (resolved, unresolved) = match waba.resolve_named(ctx).await {
        Ok(w) => (w, None),
        Err(e) => (None, Some(e)),
    };
    let cached = match &resolved {
        Some(w) => cache::get(store, &w.meta_id, name, language).await?,
        None => find_any(ctx, name, language).await?,
    };
    if let Some(item) = &cached
        && item.components.is_some()
        && item.status != "PENDING"
    {
        return Ok(item.clone());
    }
    let waba = match (resolved, cached, unresolved, ctx.templates().default_waba()) {
        (Some(waba), ..) => waba,
        (None, Some(item), ..) => return Ok(item),
        (None, None, Some(e), _) => return Err(e),
        // Locally the sandbox knows its own WABA's templates (`hello_world` at least).
        (None, None, None, Some(own)) => ctx.templates().resolve_waba(own).await?,
        (None, None, None, None) => {
            return Err(HandlerError::invalid(
                "name",
                format!(
                    "template `{name}` ({language}) is not in the template cache and no WABA is \
                     known to fetch it from: give `wabaId`, set DEFAULT_WABA_ID, run \
                     `sync_templates`, or send with `skipTemplateCheck: true`"
                ),
            ));
        }
    };
    let which = TemplateRef::Name {
        name: name.into(),
        language: language.into(),
    };
    match ctx.templates().get_template(&waba.eum_id, &which).await {
        Ok(meta) => {
            let now = crate::time::now_iso();
            Ok(cache::refresh_from_meta(store, &waba.meta_id, &meta, &now).await?)
        }
        Err(e) if e.kind == SendFailure::NotFound => Err(HandlerError::invalid(
            "name",
            format!(
                "template `{name}` ({language}) does not exist in WABA {}",
                waba.meta_id
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn find_any(
    ctx: &Ctx,
    name: &str,
    language: &str,
) -> Result<Option<TemplateItem>, HandlerError> {
    let mut cursor = None;
    loop {
        let page = ctx
            .store()
            .list_by_item_type(
                crate::keys::item_type::TEMPLATE,
                &PageRequest { limit: 100, cursor },
            )
            .await?;
        for value in page.items {
            if value["name"] == name && value["language"] == language {
                return Ok(serde_json::from_value(value).ok());
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(None),
        }
    }
}

/// Checks a send's components against the template: APPROVED, and as many header and body
/// parameters as it has.
///
/// # Errors
/// 400 saying what is wrong.
pub fn check_send(item: &TemplateItem, components: &[Value]) -> Result<(), HandlerError> {
    let label = format!("template `{}` ({})", item.name, item.language);
    if item.status != "APPROVED" {
        let reason = item
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        return Err(HandlerError::invalid(
            "name",
            format!(
                "{label} is {}{reason}: only APPROVED templates can be sent",
                item.status
            ),
        ));
    }
    // Meta writes an authentication template's body and button: its rules are the category's.
    if authentication::is_authentication(item.category.as_deref(), item.components.as_ref()) {
        return authentication::check_send(&label, item.components.as_ref(), components);
    }
    // Without its components (cached from a webhook, no WABA to fetch them from) only the
    // status can be checked.
    let Some(template_components) = &item.components else {
        return Ok(());
    };
    let Expected {
        header,
        header_media,
        body,
    } = rules::expected(template_components);
    let header_wanted = if header_media { 1 } else { header };
    for (kind, wanted) in [("header", header_wanted), ("body", body)] {
        let given = rules::given(components, kind);
        if given != wanted {
            let what = if kind == "header" && header_media {
                "a media header parameter".to_string()
            } else {
                format!(
                    "{wanted} {kind} parameter{}",
                    if wanted == 1 { "" } else { "s" }
                )
            };
            return Err(HandlerError::invalid(
                kind,
                format!("{label} expects {what}; {given} given"),
            ));
        }
    }
    Ok(())
}
