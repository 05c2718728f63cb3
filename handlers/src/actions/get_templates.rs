//! `get_templates`: every message template of a WABA (all pages of
//! `ListWhatsAppMessageTemplates`), each cached as a `TEMPLATE#…` item, with optional filters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::params::ids::Language;
use crate::params::lenient;
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, cache};

pub const NAME: &str = "get_templates";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Read,
    "Lists a WABA's message templates from EUM Social (every page) and caches them; filters by status, category, name prefix, language."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    /// Only templates with this status (APPROVED, PENDING, REJECTED, PAUSED, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// Only this category (MARKETING, UTILITY, AUTHENTICATION).
    #[serde(default)]
    pub category: Option<String>,
    /// Only names starting with this.
    #[serde(default, alias = "name_prefix")]
    pub name_prefix: Option<String>,
    /// Only this language code (en_US, ...).
    #[serde(default)]
    pub language: Option<Language>,
    /// Read the cache only (no call to EUM Social).
    #[serde(default, alias = "from_cache", deserialize_with = "lenient::bool")]
    pub from_cache: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Meta's id of the WABA.
    pub waba_id: String,
    /// `eum` (listed now) or `cache`.
    pub source: &'static str,
    pub count: usize,
    pub templates: Vec<TemplateItem>,
}

fn same<T: std::ops::Deref<Target = str>>(a: &Option<T>, b: Option<&str>) -> bool {
    a.as_deref()
        .is_none_or(|a| b.is_some_and(|b| a.eq_ignore_ascii_case(b)))
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let waba = p.waba.resolve(ctx).await?;
    let (source, all) = if p.from_cache {
        ("cache", cache::all(ctx.store(), &waba.meta_id).await?)
    } else {
        ("eum", crate::templates::sync::list_all(ctx, &waba).await?.0)
    };
    let templates: Vec<TemplateItem> = all
        .into_iter()
        .filter(|t| {
            same(&p.status, Some(&t.status))
                && same(&p.category, t.category.as_deref())
                && same(&p.language, Some(&t.language))
                && p.name_prefix
                    .as_deref()
                    .is_none_or(|prefix| t.name.starts_with(prefix))
        })
        .collect();
    Ok(Output {
        waba_id: waba.meta_id,
        source,
        count: templates.len(),
        templates,
    })
}
