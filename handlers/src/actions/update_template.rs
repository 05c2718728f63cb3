//! `update_template`: a template's category, components, parameter format or link tracking
//! (`UpdateWhatsAppMessageTemplate`); new components are checked against Meta's rules first.
//! The template is read back afterwards, so the cache holds what Meta now has.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::ports::templates::TemplateUpdate;
use crate::registry::ActionSpec;
use crate::templates::{TemplateSelector, WabaRef, cache, rules};

pub const NAME: &str = "update_template";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Manage,
    "Edits a template (category, components, parameter format, link tracking) and refreshes its cached copy."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    #[serde(flatten)]
    pub template: TemplateSelector,
    /// The new category (MARKETING, UTILITY, AUTHENTICATION).
    #[serde(default)]
    pub category: Option<String>,
    /// The new components, as in Meta's definition (with their examples).
    #[serde(default)]
    pub components: Option<Vec<Value>>,
    /// `positional` or `named`.
    #[serde(default, alias = "parameter_format")]
    pub parameter_format: Option<String>,
    /// True turns click tracking of CTA URL buttons off.
    #[serde(default, alias = "cta_url_link_tracking_opted_out")]
    pub cta_url_link_tracking_opted_out: Option<bool>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<TemplateItem, HandlerError> {
    let which = p.template.to_ref()?;
    if p.category.is_none()
        && p.components.is_none()
        && p.parameter_format.is_none()
        && p.cta_url_link_tracking_opted_out.is_none()
    {
        return Err(HandlerError::MissingParam(
            "category, components, parameterFormat or ctaUrlLinkTrackingOptedOut".into(),
        ));
    }
    if let Some(format) = &p.parameter_format
        && !matches!(format.as_str(), "positional" | "named")
    {
        return Err(HandlerError::invalid(
            "parameterFormat",
            "must be positional or named",
        ));
    }
    if let Some(category) = &p.category
        && !rules::CATEGORIES.contains(&category.as_str())
    {
        return Err(HandlerError::invalid(
            "category",
            format!("must be one of {}", rules::CATEGORIES.join(", ")),
        ));
    }
    if let Some(components) = &p.components {
        // The same rules as a new template; the name and language are not changed here.
        let def = json!({"name": "checked", "language": "xx",
            "category": p.category.as_deref().unwrap_or("UTILITY"),
            "parameter_format": p.parameter_format, "components": components});
        rules::check_definition(&def).map_err(|e| match e {
            HandlerError::InvalidParam { field, reason } => HandlerError::InvalidParam {
                field: field.replacen("template.", "components.", 1),
                reason,
            },
            other => other,
        })?;
    }
    let waba = p.waba.resolve(ctx).await?;
    let update = TemplateUpdate {
        category: p.category,
        components: p.components.map(Value::Array),
        parameter_format: p.parameter_format,
        cta_url_link_tracking_opted_out: p.cta_url_link_tracking_opted_out,
    };
    ctx.templates()
        .update_template(&waba.eum_id, &which, &update)
        .await?;
    let meta = ctx.templates().get_template(&waba.eum_id, &which).await?;
    let now = crate::time::now_iso();
    Ok(cache::refresh_from_meta(ctx.store(), &waba.meta_id, &meta, &now).await?)
}
