//! `start_campaign`: Starts a draft or scheduled campaign now.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::campaigns::model::{CampaignItem, state};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "start_campaign";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Manage,
    "Starts a draft or scheduled campaign now."
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
        if c.state == state::RUNNING {
            return Ok(c);
        }
        if c.state != state::DRAFT && c.state != state::SCHEDULED {
            return Err(HandlerError::Conflict(format!(
                "campaign `{id}` is {}: only a draft or scheduled campaign starts (a paused one resumes with resume_campaign)",
                c.state
            )));
        }
        if crate::campaigns::start_chain(ctx, &c, state::RUNNING, 0)
            .await?
            .is_some()
        {
            return crate::campaigns::load(ctx, id).await;
        }
    }
    Err(HandlerError::Conflict(format!(
        "campaign `{id}` kept changing; try again"
    )))
}
