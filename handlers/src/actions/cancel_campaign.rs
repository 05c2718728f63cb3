//! `cancel_campaign`: Cancels a campaign for good: recipients not yet sent to are never sent to.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::campaigns::model::{CampaignItem, state};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "cancel_campaign";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Manage,
    "Cancels a campaign for good: recipients not yet sent to are never sent to."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub campaign: super::campaign_common::CampaignRef,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<CampaignItem, HandlerError> {
    let id = &p.campaign.campaign_id;
    for _ in 0..5 {
        let c = crate::campaigns::load(ctx, id).await?;
        if c.state == state::CANCELLED {
            return Ok(c);
        }
        if c.state == state::COMPLETED || c.state == state::CREATING {
            return Err(HandlerError::Conflict(format!(
                "campaign `{id}` is {}: it cannot be cancelled",
                c.state
            )));
        }
        let set = serde_json::Map::from_iter([
            ("state".to_string(), serde_json::json!(state::CANCELLED)),
            (
                "completedAt".to_string(),
                serde_json::json!(crate::time::now_iso()),
            ),
        ]);
        if crate::campaigns::move_campaign(ctx, &c, set, &[]).await? {
            return crate::campaigns::load(ctx, id).await;
        }
    }
    Err(HandlerError::Conflict(format!(
        "campaign `{id}` kept changing; try again"
    )))
}
