//! `list_template_library`: Meta's library of ready-made templates
//! (`ListWhatsAppTemplateLibrary`), one page, with filters.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;
use crate::templates::WabaRef;

pub const NAME: &str = "list_template_library";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Read,
    "Lists Meta's template library (one page), filtered by search text, topic, use case, industry or language."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    /// Meta's library filters as EUM takes them: `searchKey`, `topic`, `usecase`, `industry`,
    /// `language`.
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    /// The `nextToken` of the previous page.
    #[schemars(length(max = crate::params::bounds::TOKEN))]
    #[serde(default, alias = "next_token")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub count: usize,
    pub templates: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    const KNOWN: [&str; 5] = ["searchKey", "topic", "usecase", "industry", "language"];
    if let Some(bad) = p.filters.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(HandlerError::invalid(
            "filters",
            format!("unknown filter `{bad}`; known: {}", KNOWN.join(", ")),
        ));
    }
    let waba = p.waba.resolve(ctx).await?;
    let page = ctx
        .templates()
        .list_template_library(&waba.eum_id, &p.filters, p.next_token.as_deref())
        .await?;
    Ok(Output {
        count: page.items.len(),
        templates: page.items,
        next_token: page.next_token,
    })
}
