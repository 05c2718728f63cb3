//! `delete_flow`: `DeleteWhatsAppFlow` after checking the flow's state.

use super::flow_common::{self, FlowRef, Transition, TransitionOutput};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "delete_flow";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Manage,
    "Deletes a DRAFT flow (a published flow cannot be deleted; deprecate it)."
);

pub type Params = FlowRef;

pub async fn run(ctx: &Ctx, p: Params) -> Result<TransitionOutput, HandlerError> {
    flow_common::transition(ctx, &p, Transition::Delete).await
}
