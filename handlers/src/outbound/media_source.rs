//! Media named by WhatsApp media id, public link, or a key of the media store.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::SendCommon;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model;
use crate::params::{self, non_empty};

/// Media given by WhatsApp media id, public link, or a key of the media store (uploaded first).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaSource {
    /// A WhatsApp media id (give one of `mediaId`, `link`, `s3Key`).
    #[serde(default, alias = "media_id")]
    pub media_id: Option<crate::params::ids::MediaId>,
    /// A public https URL WhatsApp fetches the file from.
    #[schemars(length(max = crate::params::bounds::LINK))]
    #[serde(default, alias = "url")]
    pub link: Option<String>,
    /// A key in the media store (under `uploads/` or `media/`), uploaded to WhatsApp first.
    /// With `mediaId`: the stored file that id was uploaded from (`upload_media`'s `key`),
    /// not uploaded again but kept on the message, so that `get_media_url` can show it.
    #[schemars(length(max = crate::params::bounds::KEY))]
    #[serde(default, alias = "s3_key", alias = "key")]
    pub s3_key: Option<String>,
}

impl MediaSource {
    /// Meta's media object (`{"id"}` or `{"link"}`) and the stored media part. An S3 key is
    /// uploaded with `PostWhatsAppMessageMedia` first.
    pub async fn resolve(
        &self,
        ctx: &Ctx,
        common: &SendCommon,
    ) -> Result<(Map<String, Value>, model::MediaPart), HandlerError> {
        // With a media id, a key names the copy it came from (not a second source).
        let given = [
            self.media_id.is_some(),
            self.link.is_some(),
            self.s3_key.is_some() && self.media_id.is_none(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(HandlerError::InvalidParam {
                field: "mediaId".into(),
                reason: "give exactly one of `mediaId`, `link` or `s3Key`".into(),
            });
        }
        let mut object = Map::new();
        let mut part = model::MediaPart::default();
        if let Some(id) = &self.media_id {
            non_empty("mediaId", id)?;
            object.insert("id".into(), json!(id));
            part.id = Some(id.to_string());
            if let Some(key) = &self.s3_key {
                crate::media::check_key("s3Key", key, &[crate::media::UPLOADS])?;
                part.s3_key = Some(key.clone());
            }
        } else if let Some(link) = &self.link {
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(HandlerError::invalid("link", "must be an http(s) URL"));
            }
            object.insert("link".into(), json!(link));
        } else if let Some(key) = &self.s3_key {
            non_empty("s3Key", key)?;
            crate::media::check_key(
                "s3Key",
                key,
                &[crate::media::UPLOADS, crate::media::INBOUND],
            )?;
            // nothing is uploaded for a send that would be refused
            super::common::recipient(common)?;
            super::common::check_fields(common)?;
            let phone =
                params::phone_number_id(common.phone_number_id.as_deref(), ctx.default_phone())?;
            let origination =
                ctx.origination(common.origination_phone_number_id.as_deref(), Some(&phone))?;
            let id = crate::media::upload(ctx, &origination, key, None)
                .await?
                .media_id;
            object.insert("id".into(), json!(id));
            part.id = Some(id);
            part.s3_key = Some(key.clone());
        }
        Ok((object, part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ctx;

    fn source(id: Option<&str>, link: Option<&str>, key: Option<&str>) -> MediaSource {
        MediaSource {
            media_id: id.map(Into::into),
            link: link.map(str::to_string),
            s3_key: key.map(str::to_string),
        }
    }

    #[tokio::test]
    async fn a_media_id_keeps_the_upload_it_came_from_without_sending_it() {
        let common = SendCommon::default();
        let (object, part) = source(Some("m1"), None, Some("uploads/2026-11-23/a.jpg"))
            .resolve(&ctx(), &common)
            .await
            .unwrap();
        // Meta sees the id only; the message keeps the stored copy.
        assert_eq!(Value::Object(object), json!({"id": "m1"}));
        assert_eq!(part.id.as_deref(), Some("m1"));
        assert_eq!(part.s3_key.as_deref(), Some("uploads/2026-11-23/a.jpg"));
        // Only an upload can be named so; two sources are still refused.
        let err = source(Some("m1"), None, Some("media/p/x.jpg"))
            .resolve(&ctx(), &common)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`s3Key`"), "{err}");
        let err = source(Some("m1"), Some("https://x/y.jpg"), None)
            .resolve(&ctx(), &common)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("exactly one"), "{err}");
    }
}
