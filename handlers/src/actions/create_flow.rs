//! `create_flow`: a new WhatsApp Flow (`CreateWhatsAppFlow`): a DRAFT, or published at once
//! with `publish`; Meta's validation errors of its Flow JSON come back.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::flow_common;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::FlowItem;
use crate::params::ids::MetaId;
use crate::params::{check_len, lenient, non_empty};
use crate::ports::templates::NewFlow;
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, flows};

pub const NAME: &str = "create_flow";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Manage,
    "Creates a flow (name, categories, Flow JSON or a flow to clone, endpoint URI), as a DRAFT unless publish is true."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    /// The flow's name (at most 200 characters).
    #[schemars(length(max = crate::params::bounds::FLOW_NAME))]
    pub name: String,
    /// SIGN_UP, SIGN_IN, APPOINTMENT_BOOKING, LEAD_GENERATION, CONTACT_US, CUSTOMER_SUPPORT,
    /// SURVEY, SHOPPING or OTHER.
    pub categories: Vec<String>,
    /// The Flow JSON (`version`, `screens`), as an object or its text.
    #[schemars(extend("maxLength" = crate::params::bounds::FLOW_JSON))]
    #[serde(default, alias = "flow_json")]
    pub flow_json: Option<Value>,
    /// Publish at once (default: a DRAFT).
    #[serde(default, deserialize_with = "lenient::bool")]
    pub publish: bool,
    /// Start from a copy of this flow.
    #[serde(default, alias = "clone_flow_id")]
    pub clone_flow_id: Option<MetaId>,
    /// The data endpoint of a flow that exchanges data.
    #[schemars(length(max = crate::params::bounds::LINK))]
    #[serde(default, alias = "endpoint_uri")]
    pub endpoint_uri: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub waba_id: String,
    pub flow_id: String,
    pub validation_errors: Vec<String>,
    pub flow: FlowItem,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    non_empty("name", &p.name)?;
    check_len("name", &p.name, 200)?;
    flow_common::check_categories(&p.categories)?;
    let flow_json = p
        .flow_json
        .as_ref()
        .map(flow_common::flow_json)
        .transpose()?;
    if p.publish && flow_json.is_none() && p.clone_flow_id.is_none() {
        return Err(HandlerError::invalid(
            "publish",
            "a flow is published with its Flow JSON: give flowJson or cloneFlowId",
        ));
    }
    if let Some(uri) = &p.endpoint_uri
        && !uri.starts_with("https://")
    {
        return Err(HandlerError::invalid("endpointUri", "must be an https URL"));
    }
    let waba = p.waba.resolve(ctx).await?;
    let new = NewFlow {
        name: p.name.clone(),
        categories: p.categories.clone(),
        flow_json,
        publish: p.publish,
        clone_flow_id: p.clone_flow_id.map(String::from),
        endpoint_uri: p.endpoint_uri,
    };
    let written = ctx.templates().create_flow(&waba.eum_id, &new).await?;
    let now = crate::time::now_iso();
    let status = if p.publish { "PUBLISHED" } else { "DRAFT" };
    let flow = flows::update(ctx.store(), &waba.meta_id, &written.flow_id, &now, |item| {
        item.name = Some(p.name);
        item.categories = p.categories;
        item.status = Some(status.into());
    })
    .await?;
    Ok(Output {
        waba_id: waba.meta_id,
        flow_id: written.flow_id,
        validation_errors: written.validation_errors,
        flow,
    })
}
