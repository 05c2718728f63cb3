//! The templates and flows port through aws-sdk-socialmessaging: EUM Social's message-template
//! operations here, its WhatsApp Flows operations in [`super::flows`]. Errors map as the
//! sender's do ([`super::map_error`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_socialmessaging::Client;
use aws_sdk_socialmessaging::primitives::Blob;
use aws_sdk_socialmessaging::types::S3File;
use handlers::ports::templates::*;
use handlers::ports::{SendError, SendFailure};
use serde_json::Value;

use super::library::{library_definition, library_template};
use super::{flows, map_error};

/// See the module documentation.
pub struct EumTemplates {
    pub(super) client: Client,
    /// The media bucket EUM Social reads template header media from.
    bucket: Option<String>,
    /// WABAs already resolved, by either id.
    wabas: Mutex<HashMap<String, Waba>>,
}

impl EumTemplates {
    pub fn new(client: Client, bucket: Option<String>) -> Self {
        EumTemplates {
            client,
            bucket,
            wabas: Mutex::new(HashMap::new()),
        }
    }

    fn remember(&self, given: &str, waba: &Waba) {
        let mut wabas = self.wabas.lock().unwrap_or_else(|p| p.into_inner());
        wabas.insert(given.to_string(), waba.clone());
    }
}

pub(super) fn blob(value: &Value, what: &str) -> Result<Blob, SendError> {
    serde_json::to_vec(value).map(Blob::new).map_err(|e| {
        SendError::new(SendFailure::Invalid, format!("{what} is not valid JSON")).with_source(e)
    })
}

pub(super) fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> SendError {
    SendError::new(SendFailure::Invalid, e.to_string()).with_source(e)
}

fn is_eum_id(id: &str) -> bool {
    id.starts_with("waba-") || id.starts_with("arn:")
}

#[async_trait]
impl TemplatesApi for EumTemplates {
    async fn resolve_waba(&self, id: &str) -> Result<Waba, SendError> {
        if let Some(known) = self.wabas.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(known.clone());
        }
        let waba = if is_eum_id(id) {
            let out = self
                .client
                .get_linked_whats_app_business_account()
                .id(id)
                .send()
                .await
                .map_err(map_error)?;
            let account = out.account.ok_or_else(|| {
                SendError::new(
                    SendFailure::Failed,
                    "EUM Social answered without the account",
                )
            })?;
            Waba {
                eum_id: account.id,
                meta_id: account.waba_id,
            }
        } else {
            let mut next: Option<String> = None;
            loop {
                let out = self
                    .client
                    .list_linked_whats_app_business_accounts()
                    .set_next_token(next.clone())
                    .send()
                    .await
                    .map_err(map_error)?;
                if let Some(found) = out.linked_accounts().iter().find(|a| a.waba_id == id) {
                    break Waba {
                        eum_id: found.id.clone(),
                        meta_id: found.waba_id.clone(),
                    };
                }
                match out.next_token {
                    Some(token) if next.as_deref() != Some(token.as_str()) => next = Some(token),
                    _ => {
                        return Err(SendError::new(
                            SendFailure::NotFound,
                            format!("no WABA with Meta id {id} is linked to EUM Social"),
                        ));
                    }
                }
            }
        };
        self.remember(id, &waba);
        Ok(waba)
    }

    async fn list_templates(
        &self,
        waba: &str,
        next_token: Option<&str>,
    ) -> Result<Listed<TemplateSummary>, SendError> {
        let out = self
            .client
            .list_whats_app_message_templates()
            .id(waba)
            .set_next_token(next_token.map(str::to_string))
            .send()
            .await
            .map_err(map_error)?;
        let items = out
            .templates
            .unwrap_or_default()
            .into_iter()
            .map(|t| TemplateSummary {
                name: t.template_name.unwrap_or_default(),
                language: t.template_language.unwrap_or_default(),
                meta_template_id: t.meta_template_id,
                status: t.template_status,
                category: t.template_category,
                quality_score: t.template_quality_score,
                source: t.template_source,
                correct_category: t.correct_category,
            })
            .collect();
        Ok(Listed {
            items,
            next_token: out.next_token,
        })
    }

    async fn get_template(&self, waba: &str, which: &TemplateRef) -> Result<Value, SendError> {
        let request = self.client.get_whats_app_message_template().id(waba);
        let request = match which {
            TemplateRef::Id(id) => request.meta_template_id(id),
            TemplateRef::Name { name, language } => {
                request.template_name(name).template_language_code(language)
            }
        };
        let out = request.send().await.map_err(map_error)?;
        let text = out.template.unwrap_or_default();
        serde_json::from_str(&text).map_err(|e| {
            SendError::new(SendFailure::Failed, "EUM Social's template is not JSON").with_source(e)
        })
    }

    async fn create_template(
        &self,
        waba: &str,
        definition: &Value,
    ) -> Result<CreatedTemplate, SendError> {
        let out = self
            .client
            .create_whats_app_message_template()
            .id(waba)
            .template_definition(blob(definition, "the template definition")?)
            .send()
            .await
            .map_err(map_error)?;
        Ok(CreatedTemplate {
            meta_template_id: out.meta_template_id,
            status: out.template_status,
            category: out.category,
        })
    }

    async fn create_template_from_library(
        &self,
        waba: &str,
        template: &LibraryTemplate,
    ) -> Result<CreatedTemplate, SendError> {
        let out = self
            .client
            .create_whats_app_message_template_from_library()
            .id(waba)
            .meta_library_template(library_template(template)?)
            .send()
            .await
            .map_err(map_error)?;
        Ok(CreatedTemplate {
            meta_template_id: out.meta_template_id,
            status: out.template_status,
            category: out.category,
        })
    }

    async fn create_template_media(&self, waba: &str, key: &str) -> Result<String, SendError> {
        let bucket = self.bucket.as_deref().ok_or_else(|| {
            SendError::new(
                SendFailure::Unsupported,
                "MEDIA_BUCKET is not set: EUM Social reads template media from an S3 bucket",
            )
        })?;
        let file = S3File::builder()
            .bucket_name(bucket)
            .key(key)
            .build()
            .map_err(invalid)?;
        let out = self
            .client
            .create_whats_app_message_template_media()
            .id(waba)
            .source_s3_file(file)
            .send()
            .await
            .map_err(map_error)?;
        out.meta_header_handle.ok_or_else(|| {
            SendError::new(
                SendFailure::Failed,
                "EUM Social answered without a header handle",
            )
        })
    }

    async fn list_template_library(
        &self,
        waba: &str,
        filters: &BTreeMap<String, String>,
        next_token: Option<&str>,
    ) -> Result<Listed<Value>, SendError> {
        let out = self
            .client
            .list_whats_app_template_library()
            .id(waba)
            .set_filters((!filters.is_empty()).then(|| filters.clone().into_iter().collect()))
            .set_next_token(next_token.map(str::to_string))
            .send()
            .await
            .map_err(map_error)?;
        Ok(Listed {
            items: out
                .meta_library_templates
                .unwrap_or_default()
                .iter()
                .map(library_definition)
                .collect(),
            next_token: out.next_token,
        })
    }

    async fn update_template(
        &self,
        waba: &str,
        which: &TemplateRef,
        update: &TemplateUpdate,
    ) -> Result<(), SendError> {
        let request = self.client.update_whats_app_message_template().id(waba);
        let request = match which {
            TemplateRef::Id(id) => request.meta_template_id(id),
            TemplateRef::Name { name, language } => {
                request.template_name(name).template_language_code(language)
            }
        };
        let components = match &update.components {
            Some(c) => Some(blob(c, "the components")?),
            None => None,
        };
        request
            .set_template_category(update.category.clone())
            .set_template_components(components)
            .set_parameter_format(update.parameter_format.clone())
            .set_cta_url_link_tracking_opted_out(update.cta_url_link_tracking_opted_out)
            .send()
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn delete_template(
        &self,
        waba: &str,
        name: &str,
        meta_template_id: Option<&str>,
    ) -> Result<(), SendError> {
        let request = self
            .client
            .delete_whats_app_message_template()
            .id(waba)
            .template_name(name);
        let request = match meta_template_id {
            Some(id) => request.meta_template_id(id),
            None => request.delete_all_languages(true),
        };
        request.send().await.map_err(map_error)?;
        Ok(())
    }

    async fn create_flow(&self, waba: &str, flow: &NewFlow) -> Result<FlowWritten, SendError> {
        flows::create(self, waba, flow).await
    }

    async fn update_flow(
        &self,
        waba: &str,
        flow_id: &str,
        changes: &FlowChanges,
    ) -> Result<(), SendError> {
        flows::update(self, waba, flow_id, changes).await
    }

    async fn update_flow_assets(
        &self,
        waba: &str,
        flow_id: &str,
        flow_json: &Value,
    ) -> Result<Vec<String>, SendError> {
        flows::update_assets(self, waba, flow_id, flow_json).await
    }

    async fn get_flow(&self, waba: &str, flow_id: &str) -> Result<FlowDetail, SendError> {
        flows::get(self, waba, flow_id).await
    }

    async fn list_flows(
        &self,
        waba: &str,
        next_token: Option<&str>,
    ) -> Result<Listed<FlowSummary>, SendError> {
        flows::list(self, waba, next_token).await
    }

    async fn list_flow_assets(
        &self,
        waba: &str,
        flow_id: &str,
        next_token: Option<&str>,
    ) -> Result<Listed<FlowAsset>, SendError> {
        flows::assets(self, waba, flow_id, next_token).await
    }

    async fn get_flow_preview(
        &self,
        waba: &str,
        flow_id: &str,
        invalidate: bool,
    ) -> Result<FlowPreview, SendError> {
        flows::preview_of(self, waba, flow_id, invalidate).await
    }

    async fn publish_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        flows::publish(self, waba, flow_id).await
    }

    async fn deprecate_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        flows::deprecate(self, waba, flow_id).await
    }

    async fn delete_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError> {
        flows::delete(self, waba, flow_id).await
    }
}
