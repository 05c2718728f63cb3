//! The action registry: a map from action name to handler, built once.
//!
//! `help` and `list_actions` read this registry, so they cannot drift from it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::HandlerError;
use crate::ports::{MediaStore, Sender};
use crate::store::Store;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The erased handler every action registers.
pub type HandlerFn = fn(Ctx, Value) -> BoxFuture<Result<Value, HandlerError>>;

/// What every action can use: the store and the core settings.
#[derive(Clone)]
pub struct Ctx(Arc<App>);

pub struct App {
    pub store: Arc<dyn Store>,
    pub sender: Arc<dyn Sender>,
    pub media: Arc<dyn MediaStore>,
    pub settings: Settings,
}

/// Settings the core needs (read from the environment by the binary).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The business phone (Meta's phone number id) used when a request names none.
    pub default_phone_number_id: Option<String>,
    /// The EUM Social phone (`phone-number-id-...` or its ARN) sends go from by default.
    pub origination_phone_number_id: Option<String>,
    /// Meta phone number id → EUM origination id, for businesses with several numbers.
    pub phone_numbers: Vec<(String, String)>,
    /// Meta Cloud API version passed to `SendWhatsAppMessage`.
    pub meta_api_version: String,
    /// Copy inbound media into the media store as it arrives.
    pub auto_download_media: bool,
    pub inbound: crate::inbound::InboundSettings,
}

/// The Meta Cloud API version used when none is configured.
pub const DEFAULT_META_API_VERSION: &str = "v24.0";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_phone_number_id: None,
            origination_phone_number_id: None,
            phone_numbers: Vec::new(),
            meta_api_version: DEFAULT_META_API_VERSION.into(),
            auto_download_media: true,
            inbound: Default::default(),
        }
    }
}

impl serde::Serialize for crate::inbound::InboundSettings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({"auditTtlDays": self.audit_ttl_days}).serialize(s)
    }
}

impl Ctx {
    /// A context with the local sandbox sender and an in-memory media store.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        let media: Arc<dyn MediaStore> = Arc::new(crate::sandbox::MemoryMedia::default());
        let sender = Arc::new(crate::sandbox::SandboxSender::new(media.clone()));
        Self::with(store, sender, media, settings)
    }

    pub fn with(
        store: Arc<dyn Store>,
        sender: Arc<dyn Sender>,
        media: Arc<dyn MediaStore>,
        settings: Settings,
    ) -> Self {
        Ctx(Arc::new(App {
            store,
            sender,
            media,
            settings,
        }))
    }

    pub fn sender(&self) -> &dyn Sender {
        self.0.sender.as_ref()
    }

    pub fn media(&self) -> &dyn MediaStore {
        self.0.media.as_ref()
    }

    /// The EUM origination id for a Meta phone number id: the configured mapping, else the
    /// default origination.
    pub fn origination_for(&self, meta_phone: Option<&str>) -> Option<String> {
        let settings = &self.0.settings;
        meta_phone
            .and_then(|p| settings.phone_numbers.iter().find(|(meta, _)| meta == p))
            .map(|(_, origination)| origination.clone())
            .or_else(|| settings.origination_phone_number_id.clone())
            // The sandbox needs no real phone.
            .or_else(|| self.0.sender.is_sandbox().then(|| "sandbox".to_string()))
    }
    pub fn store(&self) -> &dyn Store {
        self.0.store.as_ref()
    }
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }
    pub fn default_phone(&self) -> Option<&str> {
        self.0.settings.default_phone_number_id.as_deref()
    }
}

/// Seed 002's handler categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Messaging,
    Media,
    Conversations,
    Templates,
    Config,
    Utility,
}

/// One parameter, as `help` describes it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub doc: &'static str,
}

/// One registered action.
#[derive(Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub category: Category,
    pub summary: &'static str,
    pub params: &'static [Param],
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
                    let span = tracing::info_span!("action", action = spec.name);
                    let _enter = span.enter();
                    (spec.handler)(ctx, request).await
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
            if status >= 500 {
                tracing::error!(operation, error = %e, "action failed");
            }
            let mut body = json!({"statusCode": status, "error": e.to_string()});
            if let HandlerError::UnknownAction { suggestions, .. } = &e {
                body["suggestions"] = json!(suggestions);
            }
            body
        }
    }
}

/// Wraps a typed action (`Params` → `Output`) as the erased [`HandlerFn`] shape.
#[macro_export]
macro_rules! erase {
    ($run:path) => {
        |ctx: $crate::registry::Ctx,
         request: serde_json::Value|
         -> $crate::registry::BoxFuture<Result<serde_json::Value, $crate::error::HandlerError>> {
            Box::pin(async move {
                let params = $crate::params::parse(request)?;
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
            summary: "",
            params: &[],
            handler: noop,
        },
        ActionSpec {
            name: "ping",
            category: Category::Utility,
            summary: "",
            params: &[],
            handler: noop,
        },
    ];

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
}
