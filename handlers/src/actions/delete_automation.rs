//! `delete_automation`: removes a rule; it never fires again.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::automations::AutomationItem;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::LocalId;
use crate::registry::ActionSpec;

pub const NAME: &str = "delete_automation";

pub const SPEC: ActionSpec =
    crate::action_spec!(Automations, Manage, "Deletes an automation rule.");

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The rule's id (`auto-…`).
    #[serde(alias = "automationId")]
    pub id: LocalId,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub deleted: AutomationItem,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let id = p.id.trim();
    let pk = keys::automation(id);
    if !pk.starts_with("AUTOMATION#auto-") {
        return Err(HandlerError::NotFound(format!("no automation `{id}`")));
    }
    let taken = ctx
        .store()
        .take_record(&pk)
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no automation `{id}`")))?;
    let deleted =
        serde_json::from_value(taken).map_err(|e| HandlerError::Internal(e.to_string()))?;
    Ok(Output { deleted })
}
