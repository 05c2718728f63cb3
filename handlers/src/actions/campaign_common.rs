//! Parameters the campaign actions share.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::params::ids::LocalId;

/// Names one campaign.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignRef {
    /// The campaign's id (create_campaign's `campaignId`).
    #[schemars(length(max = 64))]
    #[serde(alias = "id")]
    pub campaign_id: LocalId,
}
