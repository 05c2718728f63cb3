//! `ping`: answers without touching anything.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "ping";

pub const SPEC: ActionSpec = crate::action_spec!(
    Utility,
    Read,
    "Answers pong: the function is up and the request reached it."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {}

#[derive(Debug, Serialize, PartialEq)]
pub struct Output {
    pub pong: bool,
    pub version: &'static str,
}

pub async fn run(_ctx: &Ctx, _params: Params) -> Result<Output, HandlerError> {
    Ok(Output {
        pong: true,
        version: env!("CARGO_PKG_VERSION"),
    })
}
