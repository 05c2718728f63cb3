//! `get_media_url`: a time-limited URL to fetch a stored media file.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::media;
use crate::params::ids::WaMessageId;
use crate::params::lenient;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_media_url";

pub const SPEC: ActionSpec = crate::action_spec!(
    Media,
    Read,
    "Returns a presigned GET URL for a message's stored media (or a media-store key)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// A message whose media was copied (or give key).
    #[serde(default, alias = "wa_message_id", alias = "messageId")]
    pub wa_message_id: Option<WaMessageId>,
    /// A media-store key under `media/` or `uploads/`.
    #[schemars(length(max = crate::params::bounds::KEY))]
    #[serde(default, alias = "s3Key")]
    pub key: Option<String>,
    /// Seconds, 1 to 604800 (7 days), default 3600.
    #[serde(default, alias = "expires_in", deserialize_with = "lenient::opt_i64")]
    pub expires_in: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub key: String,
    pub url: String,
    pub expires_in: i64,
    pub mime_type: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let expires_in = p.expires_in.unwrap_or(3600);
    if !(1..=604_800).contains(&expires_in) {
        return Err(HandlerError::invalid(
            "expiresIn",
            "must be 1 to 604800 seconds (7 days)",
        ));
    }
    let (key, mime_type) = match (&p.wa_message_id, &p.key) {
        (Some(id), None) => {
            let message = ctx.store().get_message(id).await?.ok_or_else(|| {
                HandlerError::NotFound(format!("no message with waMessageId `{id}`"))
            })?;
            let media = message.media.unwrap_or_default();
            let key = media.s3_key.ok_or_else(|| {
                HandlerError::NotFound(match media.id {
                    Some(_) => format!("message `{id}` has no stored media yet; copy it with download_media"),
                    None => format!("message `{id}` has no media in the media store (media sent by link stays at its link)"),
                })
            })?;
            (key, media.mime_type)
        }
        (None, Some(key)) => {
            // Only the product's own media: inbound copies and uploads.
            media::check_key("key", key, &[media::INBOUND, media::UPLOADS])?;
            (key.clone(), None)
        }
        (Some(_), Some(_)) => {
            return Err(HandlerError::invalid(
                "key",
                "give either `waMessageId` or `key`, not both",
            ));
        }
        (None, None) => return Err(HandlerError::MissingParam("waMessageId (or key)".into())),
    };
    if ctx.media().head(&key).await?.is_none() {
        return Err(HandlerError::NotFound(format!(
            "no object `{key}` in {}",
            ctx.media().describe()
        )));
    }
    let url = ctx.media().presign_get(&key, expires_in as u64).await?;
    Ok(Output {
        key,
        url,
        expires_in,
        mime_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params};
    use serde_json::json;

    #[tokio::test]
    async fn presigns_a_stored_key() {
        let ctx = ctx();
        ctx.media()
            .put("media/p/f.jpg", vec![1, 2, 3], "image/jpeg")
            .await
            .unwrap();
        let out = run(
            &ctx,
            params(json!({"key": "media/p/f.jpg", "expiresIn": "60"})),
        )
        .await
        .unwrap();
        assert_eq!((out.key.as_str(), out.expires_in), ("media/p/f.jpg", 60));
        assert!(!out.url.is_empty());
    }

    #[tokio::test]
    async fn refuses_bad_requests_before_touching_the_store() {
        let err = run(&ctx(), params(json!({"key": "k", "expiresIn": 604_801})))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`expiresIn`"), "{err}");
        let err = run(&ctx(), params(json!({"key": "../etc/passwd"})))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`key`"), "{err}");
        let err = run(&ctx(), params(json!({"key": "a", "waMessageId": "w"})))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
        let err = run(&ctx(), params(json!({}))).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing required parameter `waMessageId (or key)`"
        );
        let err = run(&ctx(), params(json!({"key": "media/none"})))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
    }
}
