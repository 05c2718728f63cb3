//! `get_funnel`: a campaign's funnel, sent → delivered → read → replied within its reply window,
//! each stage with its count and its share of the stage before and of sent.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_funnel";

pub const SPEC: ActionSpec = crate::action_spec!(
    Campaigns,
    Read,
    "Returns a campaign's funnel: sent, delivered, read, replied within its window, with rates."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub campaign: super::campaign_common::CampaignRef,
}

/// The funnel of counters `stats` (from `campaigns::stats`).
pub fn funnel(stats: &Value) -> Vec<Value> {
    let stages = ["sent", "delivered", "read", "replied"];
    let sent = stats["sent"].as_i64().unwrap_or(0);
    let mut before = sent;
    stages
        .iter()
        .map(|stage| {
            let n = stats[*stage].as_i64().unwrap_or(0);
            let rate = |of: i64| if of == 0 { json!(null) } else { json!((n as f64 / of as f64 * 10_000.0).round() / 10_000.0) };
            let out = json!({"stage": stage, "count": n, "ofPrevious": rate(before), "ofSent": rate(sent)});
            before = n;
            out
        })
        .collect()
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Value, HandlerError> {
    let campaign = crate::campaigns::load(ctx, &p.campaign.campaign_id).await?;
    let stats = crate::campaigns::stats(ctx, &campaign).await?;
    Ok(json!({
        "campaignId": campaign.campaign_id,
        "replyWindowHours": campaign.reply_window_hours,
        "stages": funnel(&stats),
        "failed": stats["failed"],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_shares_of_the_stage_before() {
        let stages = funnel(&json!({"sent": 200, "delivered": 150, "read": 75, "replied": 15}));
        assert_eq!(
            stages[1],
            json!({"stage": "delivered", "count": 150, "ofPrevious": 0.75, "ofSent": 0.75})
        );
        assert_eq!(stages[2]["ofPrevious"], 0.5);
        assert_eq!(stages[3]["ofPrevious"], 0.2);
        assert_eq!(stages[3]["ofSent"], 0.075);
        assert_eq!(funnel(&json!({}))[1]["ofPrevious"], json!(null));
    }
}
