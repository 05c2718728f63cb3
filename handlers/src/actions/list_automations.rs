//! `list_automations`: the stored automation rules, in the order they are tried.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::automations::{self, AutomationItem};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "list_automations";

pub const SPEC: ActionSpec = crate::action_spec!(
    Automations,
    Read,
    "Lists the automation rules (at most 100), oldest first."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub count: usize,
    pub automations: Vec<AutomationItem>,
}

pub async fn run(ctx: &Ctx, _: Params) -> Result<Output, HandlerError> {
    let automations = automations::load(ctx).await?;
    Ok(Output {
        count: automations.len(),
        automations,
    })
}
