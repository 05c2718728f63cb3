//! `publish_flow`: `PublishWhatsAppFlow` after checking the flow's state.

use super::flow_common::{self, FlowRef, Transition, TransitionOutput};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "publish_flow";

pub const SPEC: ActionSpec = crate::action_spec!(
    Flows,
    Manage,
    "Publishes a DRAFT flow (any other state answers 400)."
);

pub type Params = FlowRef;

pub async fn run(ctx: &Ctx, p: Params) -> Result<TransitionOutput, HandlerError> {
    flow_common::transition(ctx, &p, Transition::Publish).await
}
