//! `upload_media`: puts a file on WhatsApp's servers (from a media-store key or base64 bytes)
//! and returns its media id.

use base64::Engine;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::media::{self, Uploaded};
use crate::params::ids::{EumId, PhoneNumberId};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;
use crate::time;

pub const NAME: &str = "upload_media";

pub const SPEC: ActionSpec = crate::action_spec!(
    Media,
    Manage,
    "Uploads a file (media-store key, or base64 bytes stored first) with PostWhatsAppMessageMedia; returns the media id."
);

/// Meta's largest media file (documents).
const MAX_BYTES: usize = 100 * 1024 * 1024;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// A key in the media store under `uploads/` (or give data).
    #[schemars(length(max = crate::params::bounds::KEY))]
    #[serde(default, alias = "s3_key", alias = "key")]
    pub s3_key: Option<String>,
    /// The file's bytes, base64.
    #[schemars(length(max = crate::params::bounds::BASE64_MEDIA))]
    #[serde(default)]
    pub data: Option<String>,
    /// With data: the file's name.
    #[schemars(length(max = 240))]
    #[serde(default)]
    pub filename: Option<String>,
    /// With data: its type, e.g. image/jpeg.
    #[serde(default, alias = "mime_type")]
    pub mime_type: Option<String>,
    /// The business phone; defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// EUM phone id or ARN (media can only be sent from the phone that uploaded it).
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<EumId>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Uploaded, HandlerError> {
    let phone = p
        .phone_number_id
        .clone()
        .map(String::from)
        .or_else(|| ctx.default_phone().map(str::to_string));
    let origination =
        ctx.origination(p.origination_phone_number_id.as_deref(), phone.as_deref())?;
    let key = match (&p.s3_key, &p.data) {
        (Some(key), None) => {
            non_empty("s3Key", key)?;
            // Files to upload live under `uploads/`: a key elsewhere (the database, inbound
            // media, another application's objects) is refused.
            media::check_key("s3Key", key, &[media::UPLOADS])?;
            key.clone()
        }
        (None, Some(data)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| HandlerError::invalid("data", format!("is not base64: {e}")))?;
            if bytes.is_empty() || bytes.len() > MAX_BYTES {
                return Err(HandlerError::invalid(
                    "data",
                    format!(
                        "is {} bytes; WhatsApp media is 1 byte to 100 MB",
                        bytes.len()
                    ),
                ));
            }
            let mime = p
                .mime_type
                .clone()
                .ok_or_else(|| HandlerError::MissingParam("mimeType".into()))?;
            let filename = p
                .filename
                .clone()
                .ok_or_else(|| HandlerError::MissingParam("filename".into()))?;
            check_len("filename", &filename, 240)?;
            if filename.contains('/') || filename.contains("..") {
                return Err(HandlerError::invalid(
                    "filename",
                    "must be a plain file name",
                ));
            }
            let now = time::now_iso();
            let key =
                keys::upload_key(&now, &format!("{}-{filename}", now.replace([':', '-'], "")));
            media::check_key("filename", &key, &[media::UPLOADS])?;
            ctx.media().put(&key, bytes, &mime).await?;
            key
        }
        (Some(_), Some(_)) => {
            return Err(HandlerError::invalid(
                "data",
                "give either `s3Key` or `data`, not both",
            ));
        }
        (None, None) => return Err(HandlerError::MissingParam("s3Key (or data)".into())),
    };
    media::upload(ctx, &origination, &key, p.mime_type.as_deref()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params};
    use serde_json::json;

    #[tokio::test]
    async fn base64_bytes_are_stored_then_uploaded() {
        let ctx = ctx();
        let p = params(json!({"data": "aGVsbG8=", "filename": "hi.txt", "mimeType": "text/plain"}));
        let out = run(&ctx, p).await.unwrap();
        assert!(out.key.ends_with("-hi.txt"), "{}", out.key);
        let stored = ctx.media().head(&out.key).await.unwrap().unwrap();
        assert_eq!(stored.size, Some(5));
        assert!(!out.media_id.is_empty());
    }

    #[tokio::test]
    async fn refuses_what_it_cannot_store() {
        let err = run(
            &ctx(),
            params(json!({"data": "%%%", "filename": "a", "mimeType": "t/t"})),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("`data`: is not base64"), "{err}");
        let err = run(&ctx(), params(json!({"data": "aGk=", "mimeType": "t/t"})))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "missing required parameter `filename`");
        let err = run(
            &ctx(),
            params(json!({"data": "aGk=", "filename": "../x", "mimeType": "t/t"})),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("plain file name"), "{err}");
        let err = run(&ctx(), params(json!({"s3Key": "uploads/missing"})))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
    }

    #[tokio::test]
    async fn a_key_to_upload_must_be_under_uploads() {
        let ctx = ctx();
        ctx.media()
            .put("table.jsonl", b"{}".to_vec(), "application/json")
            .await
            .unwrap();
        for key in [
            "table.jsonl",
            "../table.jsonl",
            "media/p/d/1.jpg",
            "uploads/../table.jsonl",
        ] {
            let err = run(&ctx, params(json!({ "s3Key": key })))
                .await
                .unwrap_err();
            assert_eq!(err.status(), 400, "{key}: {err}");
            assert!(err.to_string().contains("`s3Key`"), "{err}");
        }
        // A filename that would make a bad key (control characters, backslash) is refused too.
        for filename in ["a\u{0}.txt", "a\\b.txt", "%2e%2e"] {
            let err = run(
                &ctx,
                params(json!({"data": "aGk=", "filename": filename, "mimeType": "t/t"})),
            )
            .await
            .unwrap_err();
            assert!(err.to_string().contains("`filename`"), "{filename}: {err}");
        }
    }
}
