//! `help`: every action with its summary and parameters, or one action in detail.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::{ActionSpec, Category, Param, REGISTRY, Scope};

pub const NAME: &str = "help";

pub const SPEC: ActionSpec = crate::action_spec!(
    Utility,
    Read,
    "Describes the actions and their parameters; `topic` narrows it to one action."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    /// An action name.
    #[serde(default)]
    pub topic: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ActionHelp {
    pub action: &'static str,
    pub category: Category,
    /// The API scope a caller needs to run it (behind API Gateway or `serve`).
    pub scope: Scope,
    pub summary: &'static str,
    pub params: Vec<Param>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub usage: &'static str,
    pub actions: Vec<ActionHelp>,
}

pub async fn run(_ctx: &Ctx, params: Params) -> Result<Output, HandlerError> {
    let describe = |s: &&'static ActionSpec| ActionHelp {
        action: s.name,
        category: s.category,
        scope: s.scope,
        summary: s.summary,
        params: (s.params)(),
    };
    let actions = match params.topic.as_deref().filter(|t| !t.is_empty()) {
        None => REGISTRY.actions().iter().map(describe).collect(),
        Some(topic) => {
            let spec = REGISTRY
                .get(topic)
                .ok_or_else(|| HandlerError::UnknownAction {
                    name: topic.to_string(),
                    suggestions: REGISTRY.suggest(topic),
                })?;
            vec![describe(&spec)]
        }
    };
    Ok(Output {
        usage: "Send JSON {\"action\": \"<name>\", ...params}; answers {\"statusCode\", \"operation\", \"data\"} or {\"statusCode\", \"error\"}.",
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params};
    use serde_json::json;

    #[tokio::test]
    async fn one_topic_lists_its_parameters() {
        let out = run(&ctx(), params(json!({"topic": "send_text"})))
            .await
            .unwrap();
        assert_eq!(out.actions.len(), 1);
        assert_eq!(out.actions[0].scope, Scope::Send);
        let names: Vec<_> = out.actions[0]
            .params
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names[0], "text", "required first: {names:?}");
        assert!(
            names.contains(&"previewUrl") && names.contains(&"to"),
            "{names:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_topic_suggests_names() {
        let err = run(&ctx(), params(json!({"topic": "send_txt"})))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`send_text`"), "{err}");
    }
}
