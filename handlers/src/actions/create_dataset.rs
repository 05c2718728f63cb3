//! `create_dataset`: the Meta dataset a WABA's conversion events go to
//! (`CreateWhatsAppDataset`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::EumId;
use crate::platform::phones;
use crate::registry::ActionSpec;

pub const NAME: &str = "create_dataset";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversions,
    Manage,
    "Creates (or returns) the WABA's Meta dataset for click-to-WhatsApp conversion events."
);

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The WABA: Meta id or EUM `waba-…`; defaults to DEFAULT_WABA_ID, else the only one linked.
    #[serde(default, alias = "waba_id")]
    pub waba_id: Option<EumId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The EUM id of the WABA.
    pub id: String,
    pub dataset_id: String,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let id = phones::eum_waba(ctx, p.waba_id.as_deref()).await?;
    let dataset_id = ctx.platform().account.create_dataset(&id).await?;
    Ok(Output { id, dataset_id })
}
