//! `sync_templates`: the backstop for missed webhooks. Refreshes every cached template of a
//! WABA from EUM Social (status, category, components) and marks those deleted at Meta.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;
use crate::templates::WabaRef;
use crate::templates::sync::{self, SyncReport};

pub const NAME: &str = "sync_templates";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Manage,
    "Refreshes the template cache from EUM Social (every page, each definition); templates gone at Meta are marked DELETED."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SyncReport, HandlerError> {
    let waba = p.waba.resolve(ctx).await?;
    sync::sync(ctx, &waba).await
}
