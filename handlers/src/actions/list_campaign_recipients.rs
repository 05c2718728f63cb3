//! `list_campaign_recipients`: the recipients of a campaign in one state, paged.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::campaigns::model::{RecipientItem, rstate};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::Paging;
use crate::registry::ActionSpec;

pub const NAME: &str = "list_campaign_recipients";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Read,
    "Lists a campaign's recipients in one state (pending, sending, sent, failed, skipped), paged."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub campaign: super::campaign_common::CampaignRef,
    /// pending, sending, sent, failed or skipped (default sent).
    #[serde(default = "sent")]
    pub state: String,
    #[serde(flatten)]
    pub paging: Paging,
}

fn sent() -> String {
    rstate::SENT.into()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub recipients: Vec<RecipientItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    if !rstate::ALL.contains(&p.state.as_str()) {
        return Err(HandlerError::invalid(
            "state",
            format!("must be one of {}", rstate::ALL.join(", ")),
        ));
    }
    crate::campaigns::load(ctx, &p.campaign.campaign_id).await?;
    let partition = keys::item_type::campaign_recipients(&p.campaign.campaign_id, &p.state);
    let page = ctx
        .store()
        .list_by_item_type(&partition, &p.paging.request()?)
        .await?;
    let recipients = page
        .items
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()?;
    Ok(Output {
        recipients,
        next_token: page.next_cursor,
    })
}
