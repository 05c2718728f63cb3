//! `pause_campaign`: Pauses a campaign: sends in flight finish, no new one starts until resume_campaign.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::campaigns::model::{CampaignItem, state};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "pause_campaign";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Manage,
    "Pauses a campaign: sends in flight finish, no new one starts until resume_campaign."
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
        if c.state == state::PAUSED {
            return Ok(c);
        }
        if c.state != state::RUNNING && c.state != state::SCHEDULED {
            return Err(HandlerError::Conflict(format!(
                "campaign `{id}` is {}: only a running or scheduled campaign pauses",
                c.state
            )));
        }
        let set = serde_json::Map::from_iter([
            ("state".to_string(), serde_json::json!(state::PAUSED)),
            (
                "pausedReason".to_string(),
                serde_json::json!("paused by pause_campaign"),
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
