//! `delete_media`: deletes an uploaded file from WhatsApp's servers (and, on request, from the
//! media store).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::MediaUploadItem;
use crate::params::lenient;
use crate::params::non_empty;
use crate::registry::ActionSpec;
use crate::store::{get_item_as, put_item};

pub const NAME: &str = "delete_media";

pub const SPEC: ActionSpec = crate::action_spec!(
    Media,
    Manage,
    "Deletes a media id from WhatsApp (DeleteWhatsAppMessageMedia); deleteStored also removes the stored file."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The WhatsApp media id.
    #[serde(alias = "media_id")]
    pub media_id: String,
    /// True also deletes its media-store object (from MEDIA_UPLOAD).
    #[serde(default, alias = "delete_stored", deserialize_with = "lenient::bool")]
    pub delete_stored: bool,
    /// EUM phone id or ARN; defaults from the configuration.
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub media_id: String,
    pub deleted: bool,
    pub deleted_key: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    non_empty("mediaId", &p.media_id)?;
    let upload: Option<MediaUploadItem> =
        get_item_as(ctx.store(), &crate::keys::media_upload(&p.media_id)).await?;
    // The phone the file was uploaded from, unless the caller names one.
    let uploaded_from = upload
        .as_ref()
        .map(|u| u.origination_phone_number_id.as_str());
    let origination = ctx.origination(
        p.origination_phone_number_id.as_deref().or(uploaded_from),
        ctx.default_phone(),
    )?;
    ctx.sender().delete_media(&origination, &p.media_id).await?;
    let mut deleted_key = None;
    let already = upload
        .as_ref()
        .is_some_and(|u| u.stored_object_deleted == Some(true));
    if p.delete_stored
        && !already
        && let Some(key) = upload.as_ref().map(|u| u.key.as_str())
    {
        ctx.media().delete(key).await?;
        deleted_key = Some(key.to_string());
    }
    if let Some(mut record) = upload {
        record.deleted_at = Some(crate::time::now_iso());
        record.stored_object_deleted = Some(deleted_key.is_some());
        put_item(ctx.store(), &record).await?;
    }
    Ok(Output {
        media_id: p.media_id,
        deleted: true,
        deleted_key,
    })
}
