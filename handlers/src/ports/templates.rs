//! The templates and flows port: EUM Social's message-template and WhatsApp Flows operations
//! for one WhatsApp Business Account (WABA). The root crate implements it with
//! aws-sdk-socialmessaging; [`crate::sandbox_templates`] keeps templates and flows in memory
//! for local mode. Errors are [`SendError`]s, so they map to HTTP statuses as sends do.

use std::collections::BTreeMap;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SendError;

/// A WABA by both of its ids: EUM's (`waba-…`, what EUM's operations take) and Meta's (what
/// webhooks carry and the template cache is keyed by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Waba {
    pub eum_id: String,
    pub meta_id: String,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// One template of `ListWhatsAppMessageTemplates`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSummary {
    pub name: String,
    pub language: String,
    pub meta_template_id: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub quality_score: Option<String>,
    /// `AUTO_GENERATED` for templates Meta made from a sent message.
    pub source: Option<String>,
    /// The category Meta says the content belongs to, when it was flagged as miscategorised.
    pub correct_category: Option<String>,
}

/// What a create answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTemplate {
    pub meta_template_id: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
}

/// Which template: Meta's id, or its name and language.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateRef {
    Id(String),
    Name { name: String, language: String },
}

/// `UpdateWhatsAppMessageTemplate`: what changes (absent = unchanged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateUpdate {
    pub category: Option<String>,
    pub components: Option<Value>,
    pub parameter_format: Option<String>,
    pub cta_url_link_tracking_opted_out: Option<bool>,
}

/// A button customisation of a library template (`LibraryTemplateButtonInput`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LibraryButtonInput {
    /// QUICK_REPLY, URL, PHONE_NUMBER, OTP, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// E.164 number of a PHONE_NUMBER button.
    pub phone_number: Option<String>,
    /// A URL button's `base_url` and `url_suffix_example`.
    pub url: Option<BTreeMap<String, String>>,
    /// COPY_CODE, ONE_TAP or ZERO_TAP.
    pub otp_type: Option<String>,
    pub zero_tap_terms_accepted: Option<bool>,
    /// `[{"package_name": ..., "signature_hash": ...}]` for one-tap and zero-tap buttons.
    pub supported_apps: Option<Vec<BTreeMap<String, String>>>,
}

/// Body customisations of a library template (`LibraryTemplateBodyInputs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LibraryBodyInputs {
    pub add_contact_number: Option<bool>,
    pub add_learn_more_link: Option<bool>,
    pub add_security_recommendation: Option<bool>,
    pub add_track_package_link: Option<bool>,
    pub code_expiration_minutes: Option<i32>,
}

/// A template made from Meta's template library (`MetaLibraryTemplate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LibraryTemplate {
    /// The new template's name.
    pub template_name: crate::params::ids::TemplateName,
    /// The library template it is made from (`list_template_library`'s `templateName`).
    pub library_template_name: String,
    /// UTILITY, MARKETING or AUTHENTICATION.
    pub template_category: String,
    /// Language code, e.g. en_US.
    pub template_language: crate::params::ids::Language,
    /// Button customisations.
    #[serde(default)]
    pub library_template_button_inputs: Option<Vec<LibraryButtonInput>>,
    /// Body customisations.
    #[serde(default)]
    pub library_template_body_inputs: Option<LibraryBodyInputs>,
}

/// One WhatsApp Flow of `ListWhatsAppFlows`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowSummary {
    pub flow_id: String,
    pub name: String,
    /// DRAFT, PUBLISHED, DEPRECATED, BLOCKED or THROTTLED.
    pub status: String,
    pub categories: Vec<String>,
    #[serde(default)]
    pub validation_errors: Vec<String>,
}

/// `GetWhatsAppFlow`: a flow with its health status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowDetail {
    #[serde(flatten)]
    pub summary: FlowSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<FlowPreview>,
    /// Meta's WABA (`id`, `name`, `currency`, `timezoneId`, `messageTemplateNamespace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whats_app_business_account: Option<Value>,
    /// The Meta app of an endpoint flow (`id`, `name`, `link`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<FlowHealth>,
}

/// A flow's preview link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowPreview {
    pub preview_url: String,
    pub expires_at: String,
}

/// Whether a flow can be sent, overall and per entity (WABA, phone, app).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowHealth {
    /// AVAILABLE, LIMITED or BLOCKED.
    pub can_send_message: String,
    pub entities: Vec<FlowHealthEntity>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowHealthEntity {
    pub entity_type: String,
    pub id: String,
    pub can_send_message: String,
}

/// One asset of a flow (its Flow JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowAsset {
    pub name: String,
    pub asset_type: String,
    pub download_url: String,
}

/// `CreateWhatsAppFlow`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewFlow {
    pub name: String,
    pub categories: Vec<String>,
    pub flow_json: Option<Value>,
    pub publish: bool,
    pub clone_flow_id: Option<String>,
    pub endpoint_uri: Option<String>,
}

/// What `CreateWhatsAppFlow` and `UpdateWhatsAppFlowAssets` answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowWritten {
    pub flow_id: String,
    pub validation_errors: Vec<String>,
}

/// `UpdateWhatsAppFlow`: what changes (absent = unchanged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowChanges {
    pub name: Option<String>,
    pub categories: Option<Vec<String>>,
    pub endpoint_uri: Option<String>,
    pub meta_app_id: Option<String>,
}

/// Message templates and WhatsApp Flows of a WABA through EUM Social. `waba` is EUM's id.
#[async_trait]
pub trait TemplatesApi: Send + Sync {
    /// Both ids of a WABA named by either (EUM's `waba-…` or ARN, or Meta's numeric id).
    async fn resolve_waba(&self, id: &str) -> Result<Waba, SendError>;

    /// `ListWhatsAppMessageTemplates`, one page.
    async fn list_templates(
        &self,
        waba: &str,
        next_token: Option<&str>,
    ) -> Result<Listed<TemplateSummary>, SendError>;

    /// `GetWhatsAppMessageTemplate`: Meta's template JSON (`id`, `name`, `language`, `status`,
    /// `category`, `components`, ...).
    async fn get_template(&self, waba: &str, which: &TemplateRef) -> Result<Value, SendError>;

    /// `CreateWhatsAppMessageTemplate` from Meta's template definition JSON.
    async fn create_template(
        &self,
        waba: &str,
        definition: &Value,
    ) -> Result<CreatedTemplate, SendError>;

    /// `CreateWhatsAppMessageTemplateFromLibrary`.
    async fn create_template_from_library(
        &self,
        waba: &str,
        template: &LibraryTemplate,
    ) -> Result<CreatedTemplate, SendError>;

    /// `CreateWhatsAppMessageTemplateMedia` from a media-store key: Meta's header handle.
    async fn create_template_media(&self, waba: &str, key: &str) -> Result<String, SendError>;

    /// `ListWhatsAppTemplateLibrary`, one page; each entry as EUM names its fields.
    async fn list_template_library(
        &self,
        waba: &str,
        filters: &BTreeMap<String, String>,
        next_token: Option<&str>,
    ) -> Result<Listed<Value>, SendError>;

    /// `UpdateWhatsAppMessageTemplate`.
    async fn update_template(
        &self,
        waba: &str,
        which: &TemplateRef,
        update: &TemplateUpdate,
    ) -> Result<(), SendError>;

    /// `DeleteWhatsAppMessageTemplate`: one language (by Meta id) or, without one, every
    /// language of `name`.
    async fn delete_template(
        &self,
        waba: &str,
        name: &str,
        meta_template_id: Option<&str>,
    ) -> Result<(), SendError>;

    /// `CreateWhatsAppFlow`.
    async fn create_flow(&self, waba: &str, flow: &NewFlow) -> Result<FlowWritten, SendError>;

    /// `UpdateWhatsAppFlow`: metadata.
    async fn update_flow(
        &self,
        waba: &str,
        flow_id: &str,
        changes: &FlowChanges,
    ) -> Result<(), SendError>;

    /// `UpdateWhatsAppFlowAssets`: a new Flow JSON; Meta's validation errors.
    async fn update_flow_assets(
        &self,
        waba: &str,
        flow_id: &str,
        flow_json: &Value,
    ) -> Result<Vec<String>, SendError>;

    /// `GetWhatsAppFlow`.
    async fn get_flow(&self, waba: &str, flow_id: &str) -> Result<FlowDetail, SendError>;

    /// `ListWhatsAppFlows`, one page.
    async fn list_flows(
        &self,
        waba: &str,
        next_token: Option<&str>,
    ) -> Result<Listed<FlowSummary>, SendError>;

    /// `ListWhatsAppFlowAssets`, one page.
    async fn list_flow_assets(
        &self,
        waba: &str,
        flow_id: &str,
        next_token: Option<&str>,
    ) -> Result<Listed<FlowAsset>, SendError>;

    /// `GetWhatsAppFlowPreview`; `invalidate` asks for a new link.
    async fn get_flow_preview(
        &self,
        waba: &str,
        flow_id: &str,
        invalidate: bool,
    ) -> Result<FlowPreview, SendError>;

    /// `PublishWhatsAppFlow`.
    async fn publish_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError>;

    /// `DeprecateWhatsAppFlow`.
    async fn deprecate_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError>;

    /// `DeleteWhatsAppFlow`.
    async fn delete_flow(&self, waba: &str, flow_id: &str) -> Result<(), SendError>;

    /// True for the local sandbox.
    fn is_sandbox(&self) -> bool {
        false
    }

    /// The WABA to use when a request names none and no `DEFAULT_WABA_ID` is configured: the
    /// sandbox's own; none for EUM Social (the account must be named).
    fn default_waba(&self) -> Option<&str> {
        None
    }
}
