//! `get_template`: one template from EUM Social (`GetWhatsAppMessageTemplate`), by Meta id or
//! by name and language, with its components; the cached item is refreshed.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::registry::ActionSpec;
use crate::templates::{TemplateSelector, WabaRef, cache};

pub const NAME: &str = "get_template";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Read,
    "Returns one template (by metaTemplateId, or name and language) with its components, and caches it."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    #[serde(flatten)]
    pub template: TemplateSelector,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<TemplateItem, HandlerError> {
    let which = p.template.to_ref()?;
    let waba = p.waba.resolve(ctx).await?;
    let meta = ctx.templates().get_template(&waba.eum_id, &which).await?;
    let now = crate::time::now_iso();
    Ok(cache::refresh_from_meta(ctx.store(), &waba.meta_id, &meta, &now).await?)
}
