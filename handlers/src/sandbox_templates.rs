//! Local mode's templates and flows: kept in memory for the life of the process, so that
//! `serve` and the inbox page can show templates without AWS.
//!
//! Sandbox behaviour, not Meta's: a created template is APPROVED at once (Meta reviews it,
//! PENDING for minutes to days); a created flow is a DRAFT (PUBLISHED when created with
//! `publish`); a WABA's Meta id is its EUM id without `waba-` (and `waba-` + a Meta id is its
//! EUM id). Nothing is validated beyond the checks the actions make before calling.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::ports::templates::*;
use crate::ports::{SendError, SendFailure};

#[derive(Default)]
struct State {
    /// (EUM WABA id, name, language) → Meta's template JSON.
    templates: BTreeMap<(String, String, String), Value>,
    /// (EUM WABA id, flow id) → the flow and its Flow JSON.
    flows: BTreeMap<(String, String), (FlowDetail, Option<Value>)>,
    next: u64,
}

/// See the module documentation.
#[derive(Default)]
pub struct SandboxTemplates {
    state: Mutex<State>,
}

fn not_found(what: String) -> SendError {
    SendError::new(SendFailure::NotFound, what)
}

impl SandboxTemplates {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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

    fn insert(&self, waba: &str, mut template: Value) -> CreatedTemplate {
        let mut state = self.state();
        state.next += 1;
        let id = format!("{}", 990_000_000_000_000u64 + state.next);
        template["id"] = json!(id);
        template["status"] = json!("APPROVED");
        template["quality_score"] = json!({"score": "UNKNOWN"});
        let key = (
            waba.to_string(),
            template["name"].as_str().unwrap_or_default().to_string(),
            template["language"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        let category = template["category"].as_str().map(str::to_string);
        state.templates.insert(key, template);
        CreatedTemplate {
            meta_template_id: Some(id),
            status: Some("APPROVED".into()),
            category,
        }
    }

    fn find(&self, waba: &str, which: &TemplateRef) -> Option<((String, String, String), Value)> {
        self.state()
            .templates
            .iter()
            .find(|((w, name, language), t)| {
                w == waba
                    && match which {
                        TemplateRef::Id(id) => t["id"].as_str() == Some(id),
                        TemplateRef::Name {
                            name: n,
                            language: l,
                        } => n == name && l == language,
                    }
            })
            .map(|(k, v)| (k.clone(), v.clone()))
    }

    fn flow<T>(
        &self,
        waba: &str,
        flow_id: &str,
        f: impl FnOnce(&mut (FlowDetail, Option<Value>)) -> T,
    ) -> Result<T, SendError> {
        let mut state = self.state();
        let flow = state
            .flows
            .get_mut(&(waba.to_string(), flow_id.to_string()))
            .ok_or_else(|| not_found(format!("no flow {flow_id}")))?;
        Ok(f(flow))
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
            .state()
            .templates
            .iter()
            .filter(|((w, _, _), _)| w == waba)
            .map(|(_, t)| Self::summary(t))
            .collect();
        Ok(Listed {
            items,
            next_token: None,
        })
    }

    async fn get_template(&self, waba: &str, which: &TemplateRef) -> Result<Value, SendError> {
        self.find(waba, which)
            .map(|(_, t)| t)
            .ok_or_else(|| not_found(format!("no template {which:?}")))
    }

    async fn create_template(
        &self,
        waba: &str,
        definition: &Value,
    ) -> Result<CreatedTemplate, SendError> {
        let r = TemplateRef::Name {
            name: definition["name"].as_str().unwrap_or_default().into(),
            language: definition["language"].as_str().unwrap_or_default().into(),
        };
        if self.find(waba, &r).is_some() {
            return Err(SendError::new(
                SendFailure::Invalid,
                "a template with this name and language already exists",
            ));
        }
        Ok(self.insert(waba, definition.clone()))
    }

    async fn create_template_from_library(
        &self,
        waba: &str,
        t: &LibraryTemplate,
    ) -> Result<CreatedTemplate, SendError> {
        let body = format!("(library template {})", t.library_template_name);
        Ok(self.insert(
            waba,
            json!({"name": t.template_name, "language": t.template_language,
                   "category": t.template_category,
                   "components": [{"type": "BODY", "text": body}]}),
        ))
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
        self.state().templates.insert(key, t);
        Ok(())
    }

    async fn delete_template(
        &self,
        waba: &str,
        name: &str,
        meta_template_id: Option<&str>,
    ) -> Result<(), SendError> {
        let mut state = self.state();
        let before = state.templates.len();
        state.templates.retain(|(w, n, _), t| {
            !(w == waba && n == name && meta_template_id.is_none_or(|id| t["id"] == id))
        });
        if state.templates.len() == before {
            return Err(not_found(format!("no template {name}")));
        }
        Ok(())
    }

    async fn create_flow(&self, waba: &str, flow: &NewFlow) -> Result<FlowWritten, SendError> {
        let mut state = self.state();
        state.next += 1;
        let flow_id = format!("{}", 880_000_000_000_000u64 + state.next);
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
        state.flows.insert(
            (waba.to_string(), flow_id.clone()),
            (detail, flow.flow_json.clone()),
        );
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
    }

    async fn get_flow(&self, waba: &str, flow_id: &str) -> Result<FlowDetail, SendError> {
        self.flow(waba, flow_id, |(d, _)| d.clone())
    }

    async fn list_flows(
        &self,
        waba: &str,
        _next_token: Option<&str>,
    ) -> Result<Listed<FlowSummary>, SendError> {
        let items = self
            .state()
            .flows
            .iter()
            .filter(|((w, _), _)| w == waba)
            .map(|(_, (d, _))| d.summary.clone())
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
        let items = self.flow(waba, flow_id, |(_, j)| {
            j.iter()
                .map(|_| FlowAsset {
                    name: "flow.json".into(),
                    asset_type: "FLOW_JSON".into(),
                    download_url: format!("sandbox://flows/{flow_id}/flow.json"),
                })
                .collect()
        })?;
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
    }

    async fn publish_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        self.flow(waba, flow_id, |(d, _)| {
            d.summary.status = "PUBLISHED".into()
        })
    }

    async fn deprecate_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        self.flow(waba, flow_id, |(d, _)| {
            d.summary.status = "DEPRECATED".into();
        })
    }

    async fn delete_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        self.state()
            .flows
            .remove(&(waba.to_string(), flow_id.to_string()))
            .map(|_| ())
            .ok_or_else(|| not_found(format!("no flow {flow_id}")))
    }

    fn is_sandbox(&self) -> bool {
        true
    }
}
