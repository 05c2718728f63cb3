//! `get_campaign`: a campaign and its counters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::campaigns::model::CampaignItem;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_campaign";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Read,
    "Returns a campaign, its state and its counters."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub campaign: super::campaign_common::CampaignRef,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub campaign: CampaignItem,
    pub stats: Value,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let campaign = crate::campaigns::load(ctx, &p.campaign.campaign_id).await?;
    let stats = crate::campaigns::stats(ctx, &campaign).await?;
    Ok(Output { campaign, stats })
}
