//! `list_actions`: the registered action names, grouped by category.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::{ActionSpec, Category, REGISTRY};

pub const NAME: &str = "list_actions";

pub const SPEC: ActionSpec =
    crate::action_spec!(Utility, Read, "Lists every action, grouped by category.");

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {}

#[derive(Debug, Serialize)]
pub struct Output {
    pub count: usize,
    pub categories: BTreeMap<Category, Vec<&'static str>>,
}

pub async fn run(_ctx: &Ctx, _params: Params) -> Result<Output, HandlerError> {
    let mut categories: BTreeMap<Category, Vec<&'static str>> = BTreeMap::new();
    for spec in REGISTRY.actions() {
        categories.entry(spec.category).or_default().push(spec.name);
    }
    Ok(Output {
        count: REGISTRY.actions().len(),
        categories,
    })
}
