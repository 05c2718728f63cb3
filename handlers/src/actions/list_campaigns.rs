//! `list_campaigns`: every campaign, newest first.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::campaigns::model::CampaignItem;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::Paging;
use crate::registry::ActionSpec;

pub const NAME: &str = "list_campaigns";

pub const SPEC: ActionSpec =
    crate::action_spec!(Campaigns, Read, "Lists campaigns, newest first (paged).");

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub campaigns: Vec<CampaignItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let page = ctx
        .store()
        .list_by_item_type(keys::item_type::CAMPAIGNS, &p.paging.request()?)
        .await?;
    let campaigns = page
        .items
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()?;
    Ok(Output {
        campaigns,
        next_token: page.next_cursor,
    })
}
