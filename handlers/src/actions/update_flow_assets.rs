//! `update_flow_assets`: a DRAFT flow's new Flow JSON (`UpdateWhatsAppFlowAssets`); Meta's
//! validation errors come back. A published flow cannot change: clone it instead.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::flow_common::{self, FlowRef};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "update_flow_assets";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Manage,
    "Replaces a DRAFT flow's Flow JSON and returns Meta's validation errors."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub flow: FlowRef,
    /// The Flow JSON (`version`, `screens`), as an object or its text.
    #[schemars(extend("maxLength" = crate::params::bounds::FLOW_JSON))]
    #[serde(alias = "flow_json")]
    pub flow_json: Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub flow_id: String,
    pub validation_errors: Vec<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let flow_json = flow_common::flow_json(&p.flow_json)?;
    let (waba, flow_id) = p.flow.resolve(ctx).await?;
    let detail = flow_common::current(ctx, &waba, &flow_id).await?;
    flow_common::require(&detail, &["DRAFT"], "given new Flow JSON")?;
    let validation_errors = ctx
        .templates()
        .update_flow_assets(&waba.eum_id, &flow_id, &flow_json)
        .await?;
    Ok(Output {
        flow_id,
        validation_errors,
    })
}
