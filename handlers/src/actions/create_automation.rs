//! `create_automation`: stores an automation rule (welcome, keyword, away or opt-out reply).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::automations::matching;
use crate::automations::model::{AutomationItem, ITEM_TYPE, Rule};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::registry::ActionSpec;
use crate::store::put_item;
use crate::time;

pub const NAME: &str = "create_automation";

pub const SPEC: ActionSpec = crate::action_spec!(
    Automations,
    Manage,
    "Creates an automation rule: a welcome, keyword (exact, contains, regex), away (business hours) or opt-out reply."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub rule: Rule,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<AutomationItem, HandlerError> {
    matching::validate(&p.rule)?;
    let now = time::now_iso();
    let id = format!("auto-{}", uuid::Uuid::now_v7().simple());
    let item = AutomationItem {
        pk: keys::automation(&id),
        item_type: ITEM_TYPE.into(),
        item_type_pk: keys::item_type::AUTOMATION.into(),
        id,
        rule: p.rule,
        created_at: now.clone(),
        updated_at: now,
    };
    put_item(ctx.store(), &item).await?;
    Ok(item)
}
