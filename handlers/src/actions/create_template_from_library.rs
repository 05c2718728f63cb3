//! `create_template_from_library`: a template made from one of Meta's library templates
//! (`CreateWhatsAppMessageTemplateFromLibrary`), cached as its `TEMPLATE#…` item.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::ports::templates::LibraryTemplate;
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, cache, rules};

pub const NAME: &str = "create_template_from_library";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Manage,
    "Creates a template from Meta's template library (see list_template_library), with optional button and body customisations."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    #[serde(flatten)]
    pub template: LibraryTemplate,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub waba_id: String,
    pub meta_template_id: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub template: TemplateItem,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let t = &p.template;
    rules::check_name("templateName", &t.template_name)?;
    crate::params::non_empty("libraryTemplateName", &t.library_template_name)?;
    crate::params::non_empty("templateLanguage", &t.template_language)?;
    if !rules::CATEGORIES.contains(&t.template_category.as_str()) {
        return Err(HandlerError::invalid(
            "templateCategory",
            format!("must be one of {}", rules::CATEGORIES.join(", ")),
        ));
    }
    let waba = p.waba.resolve(ctx).await?;
    let created = ctx
        .templates()
        .create_template_from_library(&waba.eum_id, t)
        .await?;
    let now = crate::time::now_iso();
    let mut item = cache::get(
        ctx.store(),
        &waba.meta_id,
        &t.template_name,
        &t.template_language,
    )
    .await?
    .unwrap_or_else(|| cache::blank(&waba.meta_id, &t.template_name, &t.template_language, &now));
    item.template_id.clone_from(&created.meta_template_id);
    item.status = created.status.clone().unwrap_or_else(|| "PENDING".into());
    item.status_at = now.clone();
    item.category = created
        .category
        .clone()
        .or_else(|| Some(t.template_category.clone()));
    item.deleted_at = None;
    item.updated_at = now;
    cache::put(ctx.store(), &item).await?;
    Ok(Output {
        waba_id: waba.meta_id,
        meta_template_id: created.meta_template_id,
        status: created.status,
        category: created.category,
        template: item,
    })
}
