//! `list_flow_assets`: a flow's assets (its Flow JSON) with download links
//! (`ListWhatsAppFlowAssets`), all pages.

use serde::Serialize;

use super::flow_common::FlowRef;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::ports::templates::FlowAsset;
use crate::registry::ActionSpec;

pub const NAME: &str = "list_flow_assets";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Read,
    "Lists a flow's assets (the Flow JSON) with their download URLs."
);

pub type Params = FlowRef;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub flow_id: String,
    pub assets: Vec<FlowAsset>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let (waba, flow_id) = p.resolve(ctx).await?;
    let mut assets = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = ctx
            .templates()
            .list_flow_assets(&waba.eum_id, &flow_id, next.as_deref())
            .await?;
        assets.extend(page.items);
        match page.next_token {
            Some(token) if next.as_deref() != Some(token.as_str()) => next = Some(token),
            _ => break,
        }
    }
    Ok(Output { flow_id, assets })
}
