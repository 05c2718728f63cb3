//! `delete_media`: deletes an uploaded file from WhatsApp's servers (and, on request, from the
//! media store).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::media;
use crate::model::{MediaDownloadItem, MediaUploadItem};
use crate::params::ids::{EumId, MediaId};
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
    pub media_id: MediaId,
    /// True also deletes its media-store object (from MEDIA_UPLOAD), when this product wrote it
    /// (under `uploads/`, or an inbound copy under `media/`); anything else is refused (403).
    #[serde(default, alias = "delete_stored", deserialize_with = "lenient::bool")]
    pub delete_stored: bool,
    /// EUM phone id or ARN; defaults from the configuration.
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<EumId>,
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
    let already = upload
        .as_ref()
        .is_some_and(|u| u.stored_object_deleted == Some(true));
    // What would be deleted from the media store is decided before anything is deleted.
    let stored_key = match &upload {
        Some(u) if p.delete_stored && !already => {
            written_here(ctx, &u.key).await?;
            Some(u.key.clone())
        }
        _ => None,
    };
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
    if let Some(key) = stored_key {
        ctx.media().delete(&key).await?;
        deleted_key = Some(key);
    }
    if let Some(mut record) = upload {
        record.deleted_at = Some(crate::time::now_iso());
        record.stored_object_deleted = Some(deleted_key.is_some());
        put_item(ctx.store(), &record).await?;
    }
    Ok(Output {
        media_id: p.media_id.into(),
        deleted: true,
        deleted_key,
    })
}

/// Refuses to delete an object this product did not write: only its own lanes, `uploads/`
/// (what `upload_media` writes and uploads from) and, under `media/`, an inbound copy its
/// MEDIA_DOWNLOAD item records. A MEDIA_UPLOAD item recorded before keys were checked may name
/// anything (`table.jsonl`): that is refused with 403 and nothing is deleted.
async fn written_here(ctx: &Ctx, key: &str) -> Result<(), HandlerError> {
    let refuse = |why: String| {
        HandlerError::Forbidden(format!(
            "deleteStored: the stored object {key:?} {why}; nothing was deleted"
        ))
    };
    if let Some(problem) = media::key_problem(key) {
        return Err(refuse(format!("is not a media-store key (it {problem})")));
    }
    if key.starts_with(media::UPLOADS) {
        return Ok(());
    }
    if key.starts_with(media::INBOUND) {
        // `media/{phone}/{day}/{mediaId}.{ext}`: the copy of inbound media `mediaId`.
        let file = key.rsplit('/').next().unwrap_or_default();
        let media_id = file.split('.').next().unwrap_or_default();
        let download: Option<MediaDownloadItem> =
            get_item_as(ctx.store(), &crate::keys::media_download(media_id)).await?;
        if download
            .and_then(|d| d.copy)
            .is_some_and(|copy| copy.key == key)
        {
            return Ok(());
        }
        return Err(refuse(
            "is under `media/` but no MEDIA_DOWNLOAD item records it as a copy made here".into(),
        ));
    }
    Err(refuse(format!(
        "was not written by this product (only `{}` and copied inbound media under `{}` are deleted)",
        media::UPLOADS,
        media::INBOUND
    )))
}
