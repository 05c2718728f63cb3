//! `update_flow`: a flow's name, categories, endpoint or Meta app (`UpdateWhatsAppFlow`); a
//! DEPRECATED flow cannot change.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::flow_common::{self, FlowRef};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::FlowItem;
use crate::params::check_len;
use crate::params::ids::MetaId;
use crate::ports::templates::FlowChanges;
use crate::registry::ActionSpec;
use crate::templates::flows;

pub const NAME: &str = "update_flow";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Manage,
    "Changes a flow's name, categories, endpoint URI or Meta app (not a DEPRECATED flow)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub flow: FlowRef,
    /// The new name.
    #[schemars(length(max = crate::params::bounds::FLOW_NAME))]
    #[serde(default)]
    pub name: Option<String>,
    /// The new categories.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// The new data endpoint (https).
    #[schemars(length(max = crate::params::bounds::LINK))]
    #[serde(default, alias = "endpoint_uri")]
    pub endpoint_uri: Option<String>,
    /// The Meta app that owns the endpoint.
    #[serde(default, alias = "meta_app_id")]
    pub meta_app_id: Option<MetaId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub flow_id: String,
    pub flow: FlowItem,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    if p.name.is_none()
        && p.categories.is_none()
        && p.endpoint_uri.is_none()
        && p.meta_app_id.is_none()
    {
        return Err(HandlerError::MissingParam(
            "name, categories, endpointUri or metaAppId".into(),
        ));
    }
    if let Some(name) = &p.name {
        crate::params::non_empty("name", name)?;
        check_len("name", name, 200)?;
    }
    if let Some(categories) = &p.categories {
        flow_common::check_categories(categories)?;
    }
    if let Some(uri) = &p.endpoint_uri
        && !uri.starts_with("https://")
    {
        return Err(HandlerError::invalid("endpointUri", "must be an https URL"));
    }
    let (waba, flow_id) = p.flow.resolve(ctx).await?;
    let detail = flow_common::current(ctx, &waba, &flow_id).await?;
    flow_common::require(&detail, &["DRAFT", "PUBLISHED", "THROTTLED"], "changed")?;
    let changes = FlowChanges {
        name: p.name.clone(),
        categories: p.categories.clone(),
        endpoint_uri: p.endpoint_uri,
        meta_app_id: p.meta_app_id.map(String::from),
    };
    ctx.templates()
        .update_flow(&waba.eum_id, &flow_id, &changes)
        .await?;
    let now = crate::time::now_iso();
    let flow = flows::update(ctx.store(), &waba.meta_id, &flow_id, &now, |item| {
        if let Some(name) = p.name {
            item.name = Some(name);
        }
        if let Some(categories) = p.categories {
            item.categories = categories;
        }
    })
    .await?;
    Ok(Output { flow_id, flow })
}
