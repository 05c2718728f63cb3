//! `update_automation`: changes the given fields of a rule (its kind stays).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::automations::matching;
use crate::automations::model::{AutomationItem, Rule, RulePatch};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::LocalId;
use crate::registry::ActionSpec;
use crate::store::{get_item_as, put_item};
use crate::time;

pub const NAME: &str = "update_automation";

pub const SPEC: ActionSpec = crate::action_spec!(
    Automations,
    Manage,
    "Changes an automation rule: only the fields given (enabled, keywords, hours, reply, ...)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The rule's id (`auto-…`).
    #[serde(alias = "automationId")]
    pub id: LocalId,
    #[serde(flatten)]
    pub patch: RulePatch,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<AutomationItem, HandlerError> {
    let mut item: AutomationItem = get_item_as(ctx.store(), &keys::automation(p.id.trim()))
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no automation `{}`", p.id.trim())))?;
    let mut merged = serde_json::to_value(&item.rule)?;
    for (k, v) in serde_json::to_value(&p.patch)?
        .as_object()
        .into_iter()
        .flatten()
    {
        merged[k] = v.clone();
    }
    let rule: Rule =
        serde_json::from_value(merged).map_err(|e| HandlerError::invalid("rule", e.to_string()))?;
    matching::validate(&rule)?;
    item.rule = rule;
    item.updated_at = time::now_iso();
    put_item(ctx.store(), &item).await?;
    Ok(item)
}
