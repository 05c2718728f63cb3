//! `get_campaign_stats`: a campaign's exact counters: sent, delivered, read, replied, failed (by
//! Meta error code), skipped, and the recipients remaining.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_campaign_stats";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Read,
    "Returns a campaign's counters: sent, delivered, read, replied, failed by error code."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub campaign: super::campaign_common::CampaignRef,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Value, HandlerError> {
    let campaign = crate::campaigns::load(ctx, &p.campaign.campaign_id).await?;
    crate::campaigns::stats(ctx, &campaign).await
}
