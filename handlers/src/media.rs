//! Media: copying inbound media into the media store, and uploading files to WhatsApp; the one
//! check every media-store key built from input goes through ([`check_key`]).

use serde::Serialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::{DownloadOutcome, ItemType, MediaCopy, MediaDownloadItem, MediaUploadItem};
use crate::store::put_item;
use crate::time;

/// The lane of files uploaded to WhatsApp: `upload_media` writes here, and a key given to
/// upload must be here.
pub const UPLOADS: &str = "uploads/";
/// The lane of inbound media copied from WhatsApp (`media/{phone}/{day}/{mediaId}.{ext}`).
pub const INBOUND: &str = "media/";

/// Why `key` cannot name an object of the media store, if it cannot: the key must stay inside
/// its prefix whatever stores it (S3, a local directory). Refused: empty, over 1024 bytes (S3's
/// limit), absolute (`/…`), backslashes, control characters (NUL included), percent-encoded
/// characters (`%2F`, `%2e%2e`), empty segments (`a//b`, a trailing `/`), `.` and `..`
/// segments.
pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("is empty");
    }
    if key.len() > 1024 {
        return Some("is longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return Some("must be relative (no leading `/`)");
    }
    if key.contains('\\') {
        return Some("must not contain `\\`");
    }
    if key.chars().any(char::is_control) {
        return Some("must not contain control characters");
    }
    let bytes = key.as_bytes();
    if bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    {
        return Some("must not contain percent-encoded characters");
    }
    for segment in key.split('/') {
        match segment {
            "" => return Some("must not have empty segments (`//` or a trailing `/`)"),
            "." | ".." => return Some("must not have `.` or `..` segments"),
            _ => {}
        }
    }
    None
}

/// Checks a media-store key built from input: [`key_problem`], and under one of `lanes`
/// ([`UPLOADS`], [`INBOUND`]).
///
/// # Errors
/// [`HandlerError::InvalidParam`] naming `field` and why.
pub fn check_key(field: &str, key: &str, lanes: &[&str]) -> Result<(), HandlerError> {
    if let Some(problem) = key_problem(key) {
        return Err(HandlerError::invalid(
            field,
            format!("{key:?} is not a media-store key: it {problem}"),
        ));
    }
    if !lanes.iter().any(|lane| key.starts_with(lane)) {
        return Err(HandlerError::invalid(
            field,
            format!(
                "{key:?} is outside the media this product keeps: it must start with {}",
                lanes
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
    }
    Ok(())
}

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
    // The phone and media id come from a webhook: the copy's key must stay in its lane.
    check_key("waMessageId", &format!("{prefix}{media_id}"), &[INBOUND])?;
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
    check_key("s3Key", key, &[UPLOADS, INBOUND])?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that would leave their prefix (or mean something else to some store).
    pub(crate) const ESCAPES: &[&str] = &[
        "",
        "/etc/passwd",
        "../table.jsonl",
        "..",
        ".",
        "uploads/../table.jsonl",
        "uploads/../../etc/passwd",
        "uploads/./a.jpg",
        "uploads//a.jpg",
        "uploads/a/",
        "uploads\\..\\table.jsonl",
        "uploads/..\\table.jsonl",
        "uploads/%2e%2e/table.jsonl",
        "uploads/%2E%2E%2Ftable.jsonl",
        "uploads%2F..%2Ftable.jsonl",
        "uploads/a\0.jpg",
        "uploads/a\n.jpg",
        "uploads/\u{7f}.jpg",
        "uploads/\u{85}.jpg",
    ];

    #[test]
    fn every_escape_vector_is_refused() {
        for key in ESCAPES {
            assert!(key_problem(key).is_some(), "{key:?} passed");
            let err = check_key("s3Key", key, &[UPLOADS]).unwrap_err();
            assert_eq!(err.status(), 400);
            assert!(
                err.to_string().starts_with("invalid parameter `s3Key`"),
                "{err}"
            );
        }
        assert!(key_problem(&format!("uploads/{}", "a".repeat(1100))).is_some());
    }

    #[test]
    fn plain_keys_pass_and_stay_in_their_lane() {
        for key in [
            "uploads/2026-01-01/20260101T000000Z-a.jpg",
            "uploads/a b (1).pdf",
            "uploads/50%.pdf",
            "uploads/a..b.txt",
            "uploads/ünïcödé.txt",
            "media/106540352242922/2026-01-01/1234567890.jpg",
        ] {
            assert_eq!(key_problem(key), None, "{key:?}");
            check_key("s3Key", key, &[UPLOADS, INBOUND]).unwrap();
        }
        let err = check_key("s3Key", "table.jsonl", &[UPLOADS]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `s3Key`: \"table.jsonl\" is outside the media this product keeps: it must start with `uploads/`"
        );
        assert!(check_key("s3Key", "media/p/d/1.jpg", &[UPLOADS]).is_err());
        assert!(check_key("s3Key", "uploadsx/a", &[UPLOADS]).is_err());
    }
}
