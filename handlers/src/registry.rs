//! The action registry: a map from action name to handler, built once.
//!
//! `help` and `list_actions` read this registry, so they cannot drift from it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::HandlerError;
use tracing::Instrument;

use crate::ctx::Ctx;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The erased handler every action registers.
pub type HandlerFn = fn(Ctx, Value) -> BoxFuture<Result<Value, HandlerError>>;

/// Seed 002's handler categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Messaging,
    Media,
    Conversations,
    Templates,
    /// WhatsApp Flows: create, change, publish, deprecate, delete.
    Flows,
    Config,
    Utility,
    /// Operating the function: replaying failed webhook records.
    Operations,
    /// Calls: permissions, call events, call logs.
    Calling,
    /// Click-to-WhatsApp ad conversions: datasets and conversion events.
    Conversions,
    /// Customers: preferences and what is known about them.
    Customers,
    /// Commerce: orders from catalogs, their status, payments.
    Commerce,
    /// Automations (welcome, keyword, away and opt-out replies) and analytics.
    Automations,
    /// Campaigns: one template to an audience, paced and counted.
    Campaigns,
}

/// What a caller must be allowed to do to run an action (API scopes). `read` actions have no
/// side effects, so they are the only ones a GET query string may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// `get_*`, `list_*`, `help`, `health`, `ping`: reads only.
    Read,
    /// `send_*`, `mark_read` and the inbox's own state (read, archived).
    Send,
    /// Media, templates, campaigns, configuration.
    Manage,
    /// Dead letters, replay, purge.
    Admin,
}

impl Scope {
    /// Every scope, narrowest first.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Send, Scope::Manage, Scope::Admin];

    /// The scope named `name` exactly (`read`, `send`, `manage`, `admin`).
    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Send => "send",
            Scope::Manage => "manage",
            Scope::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parameter, as `help` describes it: read from the action's `Params` type, so the help
/// cannot drift from what the action accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    pub name: String,
    pub required: bool,
    /// The JSON type (`string`, `integer`, `boolean`, `array`, `object`, ...).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The longest string accepted (`#[schemars(length(max = N))]`); a string without one is
    /// bounded by [`crate::params::DEFAULT_MAX_LEN`].
    #[serde(rename = "maxLength", skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// The kind of id a string parameter (or each string of a list) holds, as its schema's
    /// `format` ([`crate::params::ids::IdKind::format`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub doc: String,
}

/// The parameters of `P` from its JSON schema (field names as serde reads them, `///` docs,
/// required when the field has no default): what [`ActionSpec::params`] points at.
pub fn params<P: schemars::JsonSchema>() -> Vec<Param> {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<P>();
    let mut out = Vec::new();
    collect_params(schema.as_value(), &mut out);
    // Required first, then by name: the schema's property map is ordered by name.
    out.sort_by(|a, b| b.required.cmp(&a.required).then(a.name.cmp(&b.name)));
    out
}

fn collect_params(schema: &Value, out: &mut Vec<Param>) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            if out.iter().any(|p| &p.name == name) {
                continue;
            }
            let kind = match property.get("type") {
                Some(Value::String(t)) => Some(t.clone()),
                // `Option<T>` is `["T", "null"]`.
                Some(Value::Array(types)) => types
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|t| *t != "null")
                    .map(str::to_string),
                _ => None,
            };
            let max_length = property
                .get("maxLength")
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok());
            let format = property
                .get("format")
                .or_else(|| property.get("items").and_then(|i| i.get("format")))
                .and_then(Value::as_str)
                .map(str::to_string);
            out.push(Param {
                name: name.clone(),
                required: required.contains(&name.as_str()),
                kind,
                max_length,
                format,
                doc: property
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .replace('\n', " "),
            });
        }
    }
    // Flattened structs can arrive as sub-schemas.
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_params(sub, out);
        }
    }
}

/// One registered action.
#[derive(Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub category: Category,
    /// The API scope a caller needs to run it.
    pub scope: Scope,
    pub summary: &'static str,
    /// The parameters, generated from the action's `Params` type ([`params`]).
    pub params: fn() -> Vec<Param>,
    pub handler: HandlerFn,
}

/// Built from a list of specs; duplicate names are refused.
pub struct Registry {
    by_name: HashMap<&'static str, &'static ActionSpec>,
    ordered: Vec<&'static ActionSpec>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("action `{0}` is registered twice")]
pub struct DuplicateAction(pub &'static str);

/// The process-wide registry. Forced at start-up so a duplicate fails before any event.
pub static REGISTRY: LazyLock<Registry> =
    LazyLock::new(|| Registry::new(crate::actions::ALL).unwrap_or_else(|e| panic!("{e}")));

impl Registry {
    /// # Errors
    /// [`DuplicateAction`] when two specs share a name.
    pub fn new(specs: &'static [ActionSpec]) -> Result<Self, DuplicateAction> {
        let mut by_name = HashMap::with_capacity(specs.len());
        for spec in specs {
            if by_name.insert(spec.name, spec).is_some() {
                return Err(DuplicateAction(spec.name));
            }
        }
        let mut ordered: Vec<_> = specs.iter().collect();
        ordered.sort_by_key(|s| (s.category, s.name));
        Ok(Registry { by_name, ordered })
    }

    pub fn get(&self, name: &str) -> Option<&'static ActionSpec> {
        self.by_name.get(name).copied()
    }

    /// Every action, by category then name.
    pub fn actions(&self) -> &[&'static ActionSpec] {
        &self.ordered
    }

    /// Up to three registered names closest to `name`.
    pub fn suggest(&self, name: &str) -> Vec<String> {
        let mut scored: Vec<(f64, &str)> = self
            .by_name
            .keys()
            .map(|known| (strsim::jaro_winkler(name, known), *known))
            .filter(|(score, known)| *score >= 0.75 || known.contains(name) && name.len() >= 3)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(3)
            .map(|(_, n)| n.to_string())
            .collect()
    }

    /// Runs the action the request names and answers seed 002's envelope:
    /// `{"statusCode": 200, "operation", "data"}` or `{"statusCode": 4xx|5xx, "error"}`.
    pub async fn dispatch(&self, ctx: Ctx, request: Value) -> Value {
        let action = request
            .get("action")
            .and_then(Value::as_str)
            .map(str::to_string);
        let result = match action.as_deref() {
            None | Some("") => Err(HandlerError::MissingAction),
            Some(name) => match self.get(name) {
                None => Err(HandlerError::UnknownAction {
                    name: name.to_string(),
                    suggestions: self.suggest(name),
                }),
                Some(spec) => {
                    (spec.handler)(ctx, request)
                        .instrument(tracing::info_span!("action", action = spec.name))
                        .await
                }
            },
        };
        respond(action.as_deref().unwrap_or(""), result)
    }
}

/// The response envelope for a handler's result.
pub fn respond(operation: &str, result: Result<Value, HandlerError>) -> Value {
    match result {
        Ok(data) => json!({"statusCode": 200, "operation": operation, "data": data}),
        Err(e) => {
            let status = e.status();
            let mut body = json!({"statusCode": status, "error": e.public_message()});
            if status >= 500 {
                // The caller gets an id to quote; the log line with the same id has the cause.
                let error_id = uuid::Uuid::now_v7().to_string();
                tracing::error!(operation, error_id, error = %crate::error::chain(&e), "action failed");
                body["errorId"] = json!(error_id);
            }
            if let HandlerError::UnknownAction { suggestions, .. }
            | HandlerError::UnknownParam { suggestions, .. } = &e
            {
                body["suggestions"] = json!(suggestions);
            }
            body
        }
    }
}

/// The registry entry of the action file it is written in, from that file's `NAME`, `Params`
/// and `run`: `pub const SPEC: ActionSpec = crate::action_spec!(Messaging, Send, "Sends ...");`
/// (category, then the [`Scope`] a caller needs).
#[macro_export]
macro_rules! action_spec {
    ($category:ident, $scope:ident, $summary:expr $(,)?) => {
        $crate::registry::ActionSpec {
            name: NAME,
            category: $crate::registry::Category::$category,
            scope: $crate::registry::Scope::$scope,
            summary: $summary,
            params: $crate::registry::params::<Params>,
            handler: $crate::erase!(run),
        }
    };
}

/// Wraps a typed action (`Params` → `Output`) as the erased [`HandlerFn`] shape. The
/// parameters go through [`crate::params::parse_request`]: strings within their bounds, no key
/// the action does not read.
#[macro_export]
macro_rules! erase {
    ($run:path) => {
        |ctx: $crate::ctx::Ctx,
         request: serde_json::Value|
         -> $crate::registry::BoxFuture<Result<serde_json::Value, $crate::error::HandlerError>> {
            Box::pin(async move {
                let params = $crate::params::parse_request(request)?;
                let output = $run(&ctx, params).await?;
                Ok(serde_json::to_value(output)?)
            })
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop(_: Ctx, _: Value) -> BoxFuture<Result<Value, HandlerError>> {
        Box::pin(async { Ok(Value::Null) })
    }

    static TWICE: [ActionSpec; 2] = [
        ActionSpec {
            name: "ping",
            category: Category::Utility,
            scope: Scope::Read,
            summary: "",
            params: Vec::new,
            handler: noop,
        },
        ActionSpec {
            name: "ping",
            category: Category::Utility,
            scope: Scope::Read,
            summary: "",
            params: Vec::new,
            handler: noop,
        },
    ];

    #[test]
    fn scopes_are_named_exactly() {
        for scope in Scope::ALL {
            assert_eq!(Scope::from_name(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::from_name("Admin"), None);
        assert_eq!(Scope::from_name("aws.cognito.signin.user.admin"), None);
    }

    #[test]
    fn a_duplicate_name_is_refused() {
        assert_eq!(Registry::new(&TWICE).err(), Some(DuplicateAction("ping")));
    }

    #[test]
    fn the_real_registry_builds_and_suggests() {
        let registry = &*REGISTRY;
        assert!(registry.get("ping").is_some());
        assert_eq!(
            registry.suggest("get_conversation_list")[0],
            "get_conversations"
        );
        assert!(
            registry
                .suggest("get_mesages")
                .contains(&"get_messages".to_string())
        );
    }

    #[test]
    fn help_is_generated_from_the_params_types() {
        let send_image = (REGISTRY.get("send_image").unwrap().params)();
        let names: Vec<&str> = send_image.iter().map(|p| p.name.as_str()).collect();
        for expected in [
            "mediaId",
            "link",
            "s3Key",
            "caption",
            "to",
            "recipient",
            "force",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        let text = (REGISTRY.get("send_text").unwrap().params)();
        let body = text.iter().find(|p| p.name == "text").unwrap();
        assert!(body.required);
        assert_eq!(body.kind.as_deref(), Some("string"));
        let force = text.iter().find(|p| p.name == "force").unwrap();
        assert!(!force.required);
    }

    /// Every string parameter of every action, oversized by one character, is answered 400
    /// naming it (cases generated from the registry, so a new action is covered).
    #[tokio::test]
    async fn every_string_parameter_of_every_action_is_bounded() {
        let ctx = crate::testing::ctx();
        let mut cases = 0;
        for spec in REGISTRY.actions() {
            for param in (spec.params)() {
                if !matches!(param.kind.as_deref(), None | Some("string")) {
                    continue;
                }
                let max = param.max_length.unwrap_or(crate::params::DEFAULT_MAX_LEN);
                let mut request = json!({"action": spec.name});
                request[&param.name] = json!("x".repeat(max + 1));
                let answer = REGISTRY.dispatch(ctx.clone(), request).await;
                let error = answer["error"].as_str().unwrap_or_default();
                assert_eq!(
                    answer["statusCode"], 400,
                    "{}.{}: {answer}",
                    spec.name, param.name
                );
                assert!(
                    error.starts_with(&format!("invalid parameter `{}`", param.name))
                        && error.contains(&format!("at most {max}")),
                    "{}.{}: {error}",
                    spec.name,
                    param.name
                );
                cases += 1;
            }
        }
        assert!(cases > 100, "only {cases} string parameters found");
    }

    #[tokio::test]
    async fn a_string_at_its_bound_passes_the_check() {
        let ctx = crate::testing::ctx();
        // 256 characters: not refused for its length (the store finds no such message).
        let answer = REGISTRY
            .dispatch(
                ctx.clone(),
                json!({"action": "get_message", "waMessageId": "w".repeat(256)}),
            )
            .await;
        assert_eq!(answer["statusCode"], 404, "{answer}");
        let answer = REGISTRY
            .dispatch(
                ctx,
                json!({"action": "get_message", "waMessageId": "w".repeat(3000)}),
            )
            .await;
        assert_eq!(answer["statusCode"], 400, "{answer}");
        assert_eq!(
            answer["error"],
            "invalid parameter `waMessageId`: is 3000 characters; at most 256 are accepted"
        );
    }

    #[tokio::test]
    async fn an_unknown_parameter_is_refused_and_the_nearest_named() {
        let ctx = crate::testing::ctx();
        let answer = REGISTRY
            .dispatch(
                ctx.clone(),
                json!({"action": "delete_media", "mediaId": "m1", "deleteStoredObject": true}),
            )
            .await;
        assert_eq!(answer["statusCode"], 400, "{answer}");
        assert_eq!(
            answer["error"],
            "unknown parameter `deleteStoredObject` for `delete_media`; did you mean `deleteStored`?"
        );
        assert_eq!(answer["suggestions"], json!(["deleteStored"]));
        // A misspelt required parameter is named as unknown, not as missing.
        let answer = REGISTRY
            .dispatch(
                ctx.clone(),
                json!({"action": "get_message", "waMessageID": "w"}),
            )
            .await;
        assert_eq!(answer["statusCode"], 400, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .starts_with("unknown parameter `waMessageID`"),
            "{answer}"
        );
        assert_eq!(answer["suggestions"], json!(["waMessageId"]));
        // Without a near name, the answer says where the parameters are listed.
        let answer = REGISTRY
            .dispatch(ctx, json!({"action": "ping", "zzz": 1, "qqq": 2}))
            .await;
        assert_eq!(
            answer["error"],
            "unknown parameters `qqq`, `zzz` for `ping`; send {\"action\": \"help\", \"topic\": \"ping\"} to see its parameters"
        );
    }

    #[tokio::test]
    async fn aliases_are_read_and_bounded_as_their_parameter() {
        let ctx = crate::testing::ctx();
        // Aliases of flattened structs (Paging's `next_token`, ConversationRef's `wa_id`).
        for request in [
            json!({"action": "get_conversations", "next_token": ""}),
            json!({"action": "get_messages", "wa_id": "16505550100", "next_token": ""}),
            json!({"action": "get_media_url", "messageId": "wamid.1"}),
            json!({"action": "delete_media", "media_id": "m1", "delete_stored": "false"}),
        ] {
            let answer = REGISTRY.dispatch(ctx.clone(), request.clone()).await;
            assert_ne!(answer["statusCode"], 400, "{request}: {answer}");
        }
        // `body` stands for `text`: bounded at 4096, not at the default.
        let answer = REGISTRY
            .dispatch(
                ctx.clone(),
                crate::testing::send_request(
                    json!({"action": "send_text", "body": "b".repeat(1000)}),
                ),
            )
            .await;
        assert_eq!(answer["statusCode"], 200, "{answer}");
        let answer = REGISTRY
            .dispatch(
                ctx,
                crate::testing::send_request(
                    json!({"action": "send_text", "body": "b".repeat(4097)}),
                ),
            )
            .await;
        assert_eq!(
            answer["error"],
            "invalid parameter `body`: is 4097 characters; at most 4096 are accepted"
        );
    }

    #[test]
    fn help_shows_the_declared_bounds() {
        let text = (REGISTRY.get("send_text").unwrap().params)();
        let body = text.iter().find(|p| p.name == "text").unwrap();
        assert_eq!(body.max_length, Some(4096));
        let to = text.iter().find(|p| p.name == "to").unwrap();
        assert_eq!(to.max_length, Some(32));
    }

    #[test]
    fn every_parameter_of_every_action_is_documented() {
        for spec in REGISTRY.actions() {
            for param in (spec.params)() {
                assert!(
                    !param.doc.trim().is_empty(),
                    "{}.{} has no `///` doc on its Params field",
                    spec.name,
                    param.name
                );
            }
        }
    }
}
