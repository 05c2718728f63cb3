//! `get_flow`: one flow from EUM Social (`GetWhatsAppFlow`) with its health status (whether it
//! can be sent, per WABA, phone and app); its `FLOW#…` item is refreshed.

use super::flow_common::{self, FlowRef};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::ports::templates::FlowDetail;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_flow";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Read,
    "Returns a flow with its status, validation errors, preview and health status."
);

pub type Params = FlowRef;

pub async fn run(ctx: &Ctx, p: Params) -> Result<FlowDetail, HandlerError> {
    let (waba, flow_id) = p.resolve(ctx).await?;
    flow_common::current(ctx, &waba, &flow_id).await
}
