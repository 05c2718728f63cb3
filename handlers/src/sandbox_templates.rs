//! Local mode's templates and flows, kept in a [`SandboxState`]: the SQLite file of `DATA_DIR`
//! when the binary runs locally (a template created by one `invoke` is there for the next, and
//! for `serve`), memory in unit tests.
//!
//! Sandbox behaviour, not Meta's: a created template is APPROVED at once (Meta reviews it,
//! PENDING for minutes to days); a created flow is a DRAFT (PUBLISHED when created with
//! `publish`); a WABA's Meta id is its EUM id without `waba-` (and `waba-` + a Meta id is its
//! EUM id). Every WABA starts with Meta's sample template `hello_world` (en_US), as a new WABA
//! at Meta does, so the README's first `send_template` works. When a request names no WABA and
//! none is configured, the sandbox's own ([`SANDBOX_WABA_ID`], the WABA of the sample events in
//! `events/`) is used. Nothing is validated beyond the checks the actions make before calling.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::ports::templates::*;
use crate::ports::{BoxError, SendError, SendFailure};
use crate::sandbox_state::{MemoryState, SandboxState};

/// The WABA (Meta's id) the sandbox answers for when a request names none and no
/// `DEFAULT_WABA_ID` is set: the one of the sample events in `events/`.
pub const SANDBOX_WABA_ID: &str = "102290129340398";

/// The record kinds of the state.
const TEMPLATE: &str = "template";
const FLOW: &str = "flow";
const SEEDED: &str = "seeded";

/// Separates the parts of a key: no WABA id, template name or language contains it.
const SEP: char = '\u{1f}';

/// Meta's sample template, which every new WABA has.
fn hello_world() -> Value {
    json!({
        "name": "hello_world",
        "language": "en_US",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."},
            {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}
        ]
    })
}

/// See the module documentation.
pub struct SandboxTemplates {
    state: Arc<dyn SandboxState>,
}

impl Default for SandboxTemplates {
    fn default() -> Self {
        Self::new(Arc::new(MemoryState::default()))
    }
}

fn not_found(what: String) -> SendError {
    SendError::new(SendFailure::NotFound, what)
}

/// The state could not be read or written (the SQLite file is busy or broken).
fn unavailable(e: BoxError) -> SendError {
    SendError::new(
        SendFailure::Failed,
        format!("the sandbox's state is unavailable: {e}"),
    )
    .with_source(e)
}

fn template_key(waba: &str, name: &str, language: &str) -> String {
    format!("{waba}{SEP}{name}{SEP}{language}")
}

fn flow_key(waba: &str, flow_id: &str) -> String {
    format!("{waba}{SEP}{flow_id}")
}

impl SandboxTemplates {
    /// The sandbox with its records in `state`.
    pub fn new(state: Arc<dyn SandboxState>) -> Self {
        SandboxTemplates { state }
    }

    fn summary(t: &Value) -> TemplateSummary {
        let s = |k: &str| t.get(k).and_then(Value::as_str).map(str::to_string);
        TemplateSummary {
            name: s("name").unwrap_or_default(),
            language: s("language").unwrap_or_default(),
            meta_template_id: s("id"),
            status: s("status"),
            category: s("category"),
            quality_score: t["quality_score"]["score"].as_str().map(str::to_string),
            source: None,
            correct_category: None,
        }
    }

    /// Gives a new WABA Meta's sample template, once.
    async fn seed(&self, waba: &str) -> Result<(), SendError> {
        if self
            .state
            .put_new(SEEDED, waba, &json!(true))
            .await
            .map_err(unavailable)?
        {
            self.insert(waba, hello_world()).await?;
        }
        Ok(())
    }

    async fn insert(&self, waba: &str, mut template: Value) -> Result<CreatedTemplate, SendError> {
        let n = self
            .state
            .next_number("template")
            .await
            .map_err(unavailable)?;
        let id = format!("{}", 990_000_000_000_000u64 + n);
        template["id"] = json!(id);
        template["status"] = json!("APPROVED");
        template["quality_score"] = json!({"score": "UNKNOWN"});
        let key = template_key(
            waba,
            template["name"].as_str().unwrap_or_default(),
            template["language"].as_str().unwrap_or_default(),
        );
        let category = template["category"].as_str().map(str::to_string);
        if !self
            .state
            .put_new(TEMPLATE, &key, &template)
            .await
            .map_err(unavailable)?
        {
            return Err(SendError::new(
                SendFailure::Invalid,
                "a template with this name and language already exists",
            ));
        }
        Ok(CreatedTemplate {
            meta_template_id: Some(id),
            status: Some("APPROVED".into()),
            category,
        })
    }

    async fn templates(&self, waba: &str) -> Result<Vec<(String, Value)>, SendError> {
        self.seed(waba).await?;
        self.state
            .list(TEMPLATE, &format!("{waba}{SEP}"))
            .await
            .map_err(unavailable)
    }

    async fn find(
        &self,
        waba: &str,
        which: &TemplateRef,
    ) -> Result<Option<(String, Value)>, SendError> {
        match which {
            TemplateRef::Id(id) => Ok(self
                .templates(waba)
                .await?
                .into_iter()
                .find(|(_, t)| t["id"].as_str() == Some(id))),
            TemplateRef::Name { name, language } => {
                self.seed(waba).await?;
                let key = template_key(waba, name, language);
                let found = self.state.get(TEMPLATE, &key).await.map_err(unavailable)?;
                Ok(found.map(|t| (key, t)))
            }
        }
    }

    async fn flow<T>(
        &self,
        waba: &str,
        flow_id: &str,
        f: impl FnOnce(&mut (FlowDetail, Option<Value>)) -> T,
    ) -> Result<T, SendError> {
        let key = flow_key(waba, flow_id);
        let stored = self
            .state
            .get(FLOW, &key)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| not_found(format!("no flow {flow_id}")))?;
        let mut flow: (FlowDetail, Option<Value>) = serde_json::from_value(stored)
            .map_err(|e| unavailable(format!("flow {flow_id} does not read back: {e}").into()))?;
        let answer = f(&mut flow);
        self.put_flow(&key, &flow).await?;
        Ok(answer)
    }

    async fn put_flow(
        &self,
        key: &str,
        flow: &(FlowDetail, Option<Value>),
    ) -> Result<(), SendError> {
        let value = serde_json::to_value(flow)
            .map_err(|e| unavailable(format!("a flow does not serialise: {e}").into()))?;
        self.state.put(FLOW, key, &value).await.map_err(unavailable)
    }
}

#[async_trait]
impl TemplatesApi for SandboxTemplates {
    async fn resolve_waba(&self, id: &str) -> Result<Waba, SendError> {
        Ok(match id.strip_prefix("waba-") {
            Some(meta) => Waba {
                eum_id: id.to_string(),
                meta_id: meta.to_string(),
            },
            None => Waba {
                eum_id: format!("waba-{id}"),
                meta_id: id.to_string(),
            },
        })
    }

    async fn list_templates(
        &self,
        waba: &str,
        _next_token: Option<&str>,
    ) -> Result<Listed<TemplateSummary>, SendError> {
        let items = self
            .templates(waba)
            .await?
            .iter()
            .map(|(_, t)| Self::summary(t))
            .collect();
        Ok(Listed {
            items,
            next_token: None,
        })
    }

    async fn get_template(&self, waba: &str, which: &TemplateRef) -> Result<Value, SendError> {
        self.find(waba, which)
            .await?
            .map(|(_, t)| t)
            .ok_or_else(|| not_found(format!("no template {which:?}")))
    }

    async fn create_template(
        &self,
        waba: &str,
        definition: &Value,
    ) -> Result<CreatedTemplate, SendError> {
        self.seed(waba).await?;
        self.insert(waba, definition.clone()).await
    }

    async fn create_template_from_library(
        &self,
        waba: &str,
        t: &LibraryTemplate,
    ) -> Result<CreatedTemplate, SendError> {
        let body = format!("(library template {})", t.library_template_name);
        self.seed(waba).await?;
        self.insert(
            waba,
            json!({"name": t.template_name, "language": t.template_language,
                   "category": t.template_category,
                   "components": [{"type": "BODY", "text": body}]}),
        )
        .await
    }

    async fn create_template_media(&self, _waba: &str, key: &str) -> Result<String, SendError> {
        Ok(format!("sandbox-handle:{key}"))
    }

    async fn list_template_library(
        &self,
        _waba: &str,
        _filters: &BTreeMap<String, String>,
        _next_token: Option<&str>,
    ) -> Result<Listed<Value>, SendError> {
        Ok(Listed {
            items: vec![json!({
                "templateName": "order_delivered", "templateLanguage": "en_US",
                "templateCategory": "UTILITY", "templateTopic": "ORDER_MANAGEMENT",
                "templateUseCase": "DELIVERY_CONFIRMATION",
                "templateBody": "Hi {{1}}, your order {{2}} was delivered.",
                "templateBodyExampleParams": ["Kerry", "#1234"]
            })],
            next_token: None,
        })
    }

    async fn update_template(
        &self,
        waba: &str,
        which: &TemplateRef,
        update: &TemplateUpdate,
    ) -> Result<(), SendError> {
        let (key, mut t) = self
            .find(waba, which)
            .await?
            .ok_or_else(|| not_found(format!("no template {which:?}")))?;
        if let Some(c) = &update.category {
            t["category"] = json!(c);
        }
        if let Some(c) = &update.components {
            t["components"] = c.clone();
        }
        if let Some(f) = &update.parameter_format {
            t["parameter_format"] = json!(f);
        }
        self.state
            .put(TEMPLATE, &key, &t)
            .await
            .map_err(unavailable)
    }

    async fn delete_template(
        &self,
        waba: &str,
        name: &str,
        meta_template_id: Option<&str>,
    ) -> Result<(), SendError> {
        // Meta deletes every language of the name, or the one with the id given.
        let mut deleted = false;
        for (key, t) in self.templates(waba).await? {
            if t["name"] == name && meta_template_id.is_none_or(|id| t["id"] == id) {
                deleted |= self
                    .state
                    .delete(TEMPLATE, &key)
                    .await
                    .map_err(unavailable)?;
            }
        }
        if !deleted {
            return Err(not_found(format!("no template {name}")));
        }
        Ok(())
    }

    async fn create_flow(&self, waba: &str, flow: &NewFlow) -> Result<FlowWritten, SendError> {
        let n = self.state.next_number("flow").await.map_err(unavailable)?;
        let flow_id = format!("{}", 880_000_000_000_000u64 + n);
        let detail = FlowDetail {
            summary: FlowSummary {
                flow_id: flow_id.clone(),
                name: flow.name.clone(),
                status: if flow.publish { "PUBLISHED" } else { "DRAFT" }.into(),
                categories: flow.categories.clone(),
                validation_errors: Vec::new(),
            },
            json_version: flow
                .flow_json
                .as_ref()
                .and_then(|j| j["version"].as_str().map(str::to_string)),
            endpoint_uri: flow.endpoint_uri.clone(),
            health_status: Some(FlowHealth {
                can_send_message: "AVAILABLE".into(),
                entities: Vec::new(),
            }),
            ..Default::default()
        };
        self.put_flow(&flow_key(waba, &flow_id), &(detail, flow.flow_json.clone()))
            .await?;
        Ok(FlowWritten {
            flow_id,
            validation_errors: Vec::new(),
        })
    }

    async fn update_flow(
        &self,
        waba: &str,
        flow_id: &str,
        changes: &FlowChanges,
    ) -> Result<(), SendError> {
        self.flow(waba, flow_id, |(d, _)| {
            if let Some(n) = &changes.name {
                d.summary.name.clone_from(n);
            }
            if let Some(c) = &changes.categories {
                d.summary.categories.clone_from(c);
            }
            if changes.endpoint_uri.is_some() {
                d.endpoint_uri.clone_from(&changes.endpoint_uri);
            }
        })
        .await
    }

    async fn update_flow_assets(
        &self,
        waba: &str,
        flow_id: &str,
        flow_json: &Value,
    ) -> Result<Vec<String>, SendError> {
        self.flow(waba, flow_id, |(d, j)| {
            d.json_version = flow_json["version"].as_str().map(str::to_string);
            *j = Some(flow_json.clone());
            Vec::new()
        })
        .await
    }

    async fn get_flow(&self, waba: &str, flow_id: &str) -> Result<FlowDetail, SendError> {
        self.flow(waba, flow_id, |(d, _)| d.clone()).await
    }

    async fn list_flows(
        &self,
        waba: &str,
        _next_token: Option<&str>,
    ) -> Result<Listed<FlowSummary>, SendError> {
        let items = self
            .state
            .list(FLOW, &format!("{waba}{SEP}"))
            .await
            .map_err(unavailable)?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_value::<FlowDetail>(v[0].clone()).ok())
            .map(|d| d.summary)
            .collect();
        Ok(Listed {
            items,
            next_token: None,
        })
    }

    async fn list_flow_assets(
        &self,
        waba: &str,
        flow_id: &str,
        _next_token: Option<&str>,
    ) -> Result<Listed<FlowAsset>, SendError> {
        let items = self
            .flow(waba, flow_id, |(_, j)| {
                j.iter()
                    .map(|_| FlowAsset {
                        name: "flow.json".into(),
                        asset_type: "FLOW_JSON".into(),
                        download_url: format!("sandbox://flows/{flow_id}/flow.json"),
                    })
                    .collect()
            })
            .await?;
        Ok(Listed {
            items,
            next_token: None,
        })
    }

    async fn get_flow_preview(
        &self,
        waba: &str,
        flow_id: &str,
        _invalidate: bool,
    ) -> Result<FlowPreview, SendError> {
        self.flow(waba, flow_id, |_| FlowPreview {
            preview_url: format!("sandbox://flows/{flow_id}/preview"),
            expires_at: "2099-01-01T00:00:00+0000".into(),
        })
        .await
    }

    async fn publish_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        self.flow(waba, flow_id, |(d, _)| {
            d.summary.status = "PUBLISHED".into()
        })
        .await
    }

    async fn deprecate_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        self.flow(waba, flow_id, |(d, _)| {
            d.summary.status = "DEPRECATED".into();
        })
        .await
    }

    async fn delete_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        if self
            .state
            .delete(FLOW, &flow_key(waba, flow_id))
            .await
            .map_err(unavailable)?
        {
            Ok(())
        } else {
            Err(not_found(format!("no flow {flow_id}")))
        }
    }

    fn is_sandbox(&self) -> bool {
        true
    }

    fn default_waba(&self) -> Option<&str> {
        Some(SANDBOX_WABA_ID)
    }
}
