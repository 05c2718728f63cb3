//! `list_flows`: every flow of a WABA (all pages of `ListWhatsAppFlows`), each refreshed in
//! its `FLOW#…` item.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::ports::templates::FlowSummary;
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, flows};

pub const NAME: &str = "list_flows";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Read,
    "Lists a WABA's flows (every page) with their status and categories; optionally one status."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    /// Only flows with this status (DRAFT, PUBLISHED, DEPRECATED, BLOCKED, THROTTLED).
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub waba_id: String,
    pub count: usize,
    pub flows: Vec<FlowSummary>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let waba = p.waba.resolve(ctx).await?;
    let now = crate::time::now_iso();
    let mut all = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = ctx
            .templates()
            .list_flows(&waba.eum_id, next.as_deref())
            .await?;
        for flow in page.items {
            flows::refresh(ctx.store(), &waba.meta_id, &flow, &now).await?;
            all.push(flow);
        }
        match page.next_token {
            Some(token) if next.as_deref() != Some(token.as_str()) => next = Some(token),
            _ => break,
        }
    }
    all.retain(|f| {
        p.status
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(&f.status))
    });
    Ok(Output {
        waba_id: waba.meta_id,
        count: all.len(),
        flows: all,
    })
}
