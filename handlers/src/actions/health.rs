//! `health`: is the store reachable, is the configuration complete, and what is missing.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "health";

pub const SPEC: ActionSpec = crate::action_spec!(
    Config,
    Read,
    "Checks the store and media store answer and the configuration is complete; lists what is missing."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub ok: bool,
    pub backend: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub healthy: bool,
    pub version: &'static str,
    pub store: Check,
    pub media: Check,
    pub sender: String,
    pub default_phone_number_id: Option<String>,
    pub origination_phone_number_id: Option<String>,
    pub phone_numbers: usize,
    pub meta_api_version: String,
    pub auto_download_media: bool,
    /// Settings that must be set for the product to work, each with why.
    pub missing: Vec<String>,
}

pub async fn run(ctx: &Ctx, _params: Params) -> Result<Output, HandlerError> {
    // The caller is told what failed in product terms; the log keeps the SDK's text.
    let public = |e: HandlerError| {
        tracing::warn!(error = %crate::error::chain(&e), "health check failed");
        e.public_message()
    };
    let store_error = ctx.store().ping().await.err().map(|e| public(e.into()));
    let media_error = ctx
        .media()
        .head("health/ping")
        .await
        .err()
        .map(|e| public(e.into()));
    let settings = ctx.settings();
    let sandbox = ctx.sender().is_sandbox();
    let mut missing = Vec::new();
    if settings.default_phone_number_id.is_none() {
        missing.push("DEFAULT_PHONE_NUMBER_ID: requests that name no phoneNumberId fail".into());
    }
    if !sandbox
        && settings.origination_phone_number_id.is_none()
        && settings.phone_numbers.is_empty()
    {
        missing.push("ORIGINATION_PHONE_NUMBER_ID (or PHONE_NUMBERS): sends that name no originationPhoneNumberId fail".into());
    }
    if !sandbox && !ctx.media().describe().starts_with("s3://") {
        missing.push(
            "MEDIA_BUCKET: EUM Social moves media through S3; media download and upload fail"
                .into(),
        );
    }
    Ok(Output {
        healthy: store_error.is_none() && media_error.is_none() && missing.is_empty(),
        version: env!("CARGO_PKG_VERSION"),
        store: Check {
            ok: store_error.is_none(),
            backend: ctx.store().describe(),
            error: store_error,
        },
        media: Check {
            ok: media_error.is_none(),
            backend: ctx.media().describe(),
            error: media_error,
        },
        sender: ctx.sender().describe(),
        default_phone_number_id: settings.default_phone_number_id.clone(),
        origination_phone_number_id: settings.origination_phone_number_id.clone(),
        phone_numbers: settings.phone_numbers.len(),
        meta_api_version: settings.meta_api_version.clone(),
        auto_download_media: settings.auto_download_media,
        missing,
    })
}
