//! `help`: an index of the actions (name, category, scope, summary), or one action in detail
//! with its parameters. The index stays small enough to read in a terminal; `list_actions`
//! lists the names alone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::{ActionSpec, Category, Param, REGISTRY, Scope};

pub const NAME: &str = "help";

pub const SPEC: ActionSpec = crate::action_spec!(
    Utility,
    Read,
    "Lists the actions with their summaries; `name` (or `topic`) describes one with its parameters."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    /// An action name: describe it with its parameters.
    #[schemars(length(max = 64))]
    #[serde(default, alias = "name")]
    pub topic: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ActionHelp {
    pub action: &'static str,
    pub category: Category,
    /// The API scope a caller needs to run it (behind API Gateway or `serve`).
    pub scope: Scope,
    pub summary: &'static str,
    /// The parameters, for one action (absent from the index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Vec<Param>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub usage: &'static str,
    pub actions: Vec<ActionHelp>,
}

pub async fn run(_ctx: &Ctx, params: Params) -> Result<Output, HandlerError> {
    let describe = |s: &&'static ActionSpec, detail: bool| ActionHelp {
        action: s.name,
        category: s.category,
        scope: s.scope,
        summary: s.summary,
        params: detail.then(|| (s.params)()),
    };
    let (usage, actions) = match params.topic.as_deref().filter(|t| !t.is_empty()) {
        None => (
            INDEX_USAGE,
            REGISTRY
                .actions()
                .iter()
                .map(|s| describe(s, false))
                .collect(),
        ),
        Some(topic) => {
            let spec = REGISTRY
                .get(topic)
                .ok_or_else(|| HandlerError::UnknownAction {
                    name: topic.to_string(),
                    suggestions: REGISTRY.suggest(topic),
                })?;
            (USAGE, vec![describe(&spec, true)])
        }
    };
    Ok(Output { usage, actions })
}

const USAGE: &str = "Send JSON {\"action\": \"<name>\", ...params}; answers {\"statusCode\", \"operation\", \"data\"} or {\"statusCode\", \"error\"}.";

const INDEX_USAGE: &str = "Send JSON {\"action\": \"<name>\", ...params}; answers {\"statusCode\", \"operation\", \"data\"} or {\"statusCode\", \"error\"}. {\"action\": \"help\", \"name\": \"<action>\"} describes one action with its parameters.";

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
            .flatten()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names[0], "text", "required first: {names:?}");
        assert!(
            names.contains(&"previewUrl") && names.contains(&"to"),
            "{names:?}"
        );
    }

    #[tokio::test]
    async fn without_a_name_it_is_a_short_index_and_name_gives_the_detail() {
        let index = serde_json::to_value(run(&ctx(), params(json!({}))).await.unwrap()).unwrap();
        let actions = index["actions"].as_array().unwrap();
        assert_eq!(actions.len(), REGISTRY.actions().len());
        assert!(actions.iter().all(|a| a.get("params").is_none()));
        let text = index.to_string();
        assert!(text.len() < 24 * 1024, "the index is {} bytes", text.len());
        assert!(
            index["usage"].as_str().unwrap().contains("\"name\""),
            "{index}"
        );
        let one = serde_json::to_value(
            run(&ctx(), params(json!({"name": "send_template"})))
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(one["actions"].as_array().map(Vec::len), Some(1), "{one}");
        assert!(
            one["actions"][0]["params"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
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
