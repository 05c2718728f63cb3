//! `list_actions`: the registered action names, grouped by category and by the API scope a
//! caller needs.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::{ActionSpec, Category, REGISTRY, Scope};

pub const NAME: &str = "list_actions";

pub const SPEC: ActionSpec = crate::action_spec!(
    Utility,
    Read,
    "Lists every action, grouped by category and by the API scope it needs."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {}

#[derive(Debug, Serialize)]
pub struct Output {
    pub count: usize,
    pub categories: BTreeMap<Category, Vec<&'static str>>,
    /// The actions each API scope allows (`admin` is granted every scope).
    pub scopes: BTreeMap<Scope, Vec<&'static str>>,
}

pub async fn run(_ctx: &Ctx, _params: Params) -> Result<Output, HandlerError> {
    let mut categories: BTreeMap<Category, Vec<&'static str>> = BTreeMap::new();
    let mut scopes: BTreeMap<Scope, Vec<&'static str>> = BTreeMap::new();
    for spec in REGISTRY.actions() {
        categories.entry(spec.category).or_default().push(spec.name);
        scopes.entry(spec.scope).or_default().push(spec.name);
    }
    for names in scopes.values_mut() {
        names.sort_unstable();
    }
    Ok(Output {
        count: REGISTRY.actions().len(),
        categories,
        scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params};
    use serde_json::json;

    #[tokio::test]
    async fn every_action_is_listed_under_its_scope() {
        let out = run(&ctx(), params(json!({}))).await.unwrap();
        let listed: usize = out.scopes.values().map(Vec::len).sum();
        assert_eq!(listed, out.count);
        assert!(out.scopes[&Scope::Send].contains(&"send_text"));
        assert!(out.scopes[&Scope::Read].contains(&"get_conversations"));
        let value = serde_json::to_value(&out).unwrap();
        assert!(value["scopes"]["read"].is_array(), "{value}");
    }
}
