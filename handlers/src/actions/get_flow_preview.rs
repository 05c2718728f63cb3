//! `get_flow_preview`: a link that shows the flow as a customer would see it
//! (`GetWhatsAppFlowPreview`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::flow_common::FlowRef;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::lenient;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_flow_preview";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Read,
    "Returns a flow's preview URL and when it expires; invalidate asks for a new one."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub flow: FlowRef,
    /// Invalidate the current link and make a new one.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub invalidate: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub flow_id: String,
    pub preview_url: String,
    pub expires_at: String,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let (waba, flow_id) = p.flow.resolve(ctx).await?;
    let preview = ctx
        .templates()
        .get_flow_preview(&waba.eum_id, &flow_id, p.invalidate)
        .await?;
    Ok(Output {
        flow_id,
        preview_url: preview.preview_url,
        expires_at: preview.expires_at,
    })
}
