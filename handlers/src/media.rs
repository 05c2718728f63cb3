//! Media: copying inbound media into the media store, and uploading files to WhatsApp.

use serde::Serialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::{DownloadOutcome, ItemType, MediaCopy, MediaDownloadItem, MediaUploadItem};
use crate::store::put_item;
use crate::time;

/// Where an inbound media file was copied.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Downloaded {
    pub wa_message_id: String,
    pub media_id: String,
    pub key: String,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub store: String,
}

/// Copies one message's media into the media store with `GetWhatsAppMessageMedia`, under
/// `media/{phone}/{day}/` (EUM appends the media id and an extension to that prefix), then
/// records the key on the MESSAGE item and a MEDIA_DOWNLOAD item.
///
/// # Errors
/// Unknown message (404), a message without media (400), EUM or media store failures.
pub async fn download(
    ctx: &Ctx,
    wa_message_id: &str,
    origination: Option<&str>,
) -> Result<Downloaded, HandlerError> {
    let message = ctx
        .store()
        .get_message(wa_message_id)
        .await?
        .ok_or_else(|| {
            HandlerError::NotFound(format!("no message with waMessageId `{wa_message_id}`"))
        })?;
    let mut media = message
        .media
        .clone()
        .filter(|m| m.id.is_some())
        .ok_or_else(|| {
            HandlerError::invalid(
                "waMessageId",
                format!("message `{wa_message_id}` has no WhatsApp media id to download"),
            )
        })?;
    let media_id = media.id.clone().unwrap_or_default();
    let phone = message
        .phone_number_id
        .clone()
        .unwrap_or_else(|| "unknown-phone".into());
    let origination = ctx.origination(origination, Some(&phone))?;
    let prefix = keys::media_prefix(&phone, &message.received_at);
    let now = time::now_iso();

    let fetched = ctx
        .sender()
        .fetch_media(&origination, &media_id, &prefix)
        .await;
    let fetched = match fetched {
        Ok(f) => f,
        Err(e) => {
            record_download(
                ctx,
                &media_id,
                wa_message_id,
                None,
                DownloadOutcome::Failed,
                Some(&e.to_string()),
                &now,
            )
            .await?;
            return Err(e.into());
        }
    };
    let object = ctx.media().find(&format!("{prefix}{media_id}")).await?.ok_or_else(|| {
        HandlerError::Internal(format!("EUM Social reported media {media_id} copied, but nothing is under {prefix}{media_id}"))
    })?;
    media.s3_key = Some(object.key.clone());
    media.size = fetched.size.or(object.size);
    if media.mime_type.is_none() {
        media.mime_type = fetched.mime_type.clone();
    }
    ctx.store()
        .set_message_media(wa_message_id, &media, &now)
        .await?;
    let out = Downloaded {
        wa_message_id: wa_message_id.to_string(),
        media_id: media_id.clone(),
        key: object.key.clone(),
        mime_type: media.mime_type.clone(),
        size: media.size,
        store: ctx.media().describe(),
    };
    record_download(
        ctx,
        &media_id,
        wa_message_id,
        Some(&out),
        DownloadOutcome::Downloaded,
        None,
        &now,
    )
    .await?;
    Ok(out)
}

async fn record_download(
    ctx: &Ctx,
    media_id: &str,
    wa_message_id: &str,
    done: Option<&Downloaded>,
    outcome: DownloadOutcome,
    error: Option<&str>,
    now: &str,
) -> Result<(), HandlerError> {
    let item = MediaDownloadItem {
        pk: keys::media_download(media_id),
        item_type: ItemType::MediaDownload,
        media_id: media_id.to_string(),
        wa_message_id: wa_message_id.to_string(),
        outcome,
        created_at: now.to_string(),
        copy: done.map(|d| MediaCopy {
            key: d.key.clone(),
            mime_type: d.mime_type.clone(),
            size: d.size,
            store: d.store.clone(),
        }),
        error: error.map(str::to_string),
    };
    put_item(ctx.store(), &item).await?;
    Ok(())
}

/// An uploaded file's WhatsApp media id.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    pub media_id: String,
    pub key: String,
}

/// Uploads an object of the media store to WhatsApp with `PostWhatsAppMessageMedia` and records
/// a MEDIA_UPLOAD item.
///
/// # Errors
/// The object does not exist (404), or EUM Social's error.
pub async fn upload(
    ctx: &Ctx,
    origination: &str,
    key: &str,
    mime_type: Option<&str>,
) -> Result<Uploaded, HandlerError> {
    let object = ctx.media().head(key).await?.ok_or_else(|| {
        HandlerError::NotFound(format!(
            "no object `{key}` in the media store ({})",
            ctx.media().describe()
        ))
    })?;
    let media_id = ctx.sender().upload_media(origination, key).await?;
    let now = time::now_iso();
    let item = MediaUploadItem {
        pk: keys::media_upload(&media_id),
        item_type: ItemType::MediaUpload,
        media_id: media_id.clone(),
        key: key.to_string(),
        size: object.size,
        mime_type: object
            .content_type
            .clone()
            .or(mime_type.map(str::to_string)),
        origination_phone_number_id: origination.to_string(),
        created_at: now,
        ..Default::default()
    };
    put_item(ctx.store(), &item).await?;
    Ok(Uploaded {
        media_id,
        key: key.to_string(),
    })
}
