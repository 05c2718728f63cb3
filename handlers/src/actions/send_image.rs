//! `send_image`: an image (JPEG/PNG, up to 5 MB).

use serde::Deserialize;

use crate::error::HandlerError;
use crate::outbound::{MediaSource, SendCommon, SendOutput};
use crate::registry::{ActionSpec, Category, Ctx, Param};

pub const NAME: &str = "send_image";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Messaging,
    summary: "Sends an image (JPEG/PNG, up to 5 MB), by media id, link or media-store key.",
    params: super::send_params!(
        Param {
            name: "mediaId",
            required: false,
            doc: "a WhatsApp media id (one of mediaId, link, s3Key)"
        },
        Param {
            name: "link",
            required: false,
            doc: "a public https URL"
        },
        Param {
            name: "s3Key",
            required: false,
            doc: "a key in the media store, uploaded first"
        },
        Param {
            name: "caption",
            required: false,
            doc: "at most 1024 characters"
        },
    ),
    handler: crate::erase!(run),
};

#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(flatten)]
    pub source: MediaSource,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    super::send_media::send(ctx, "image", &p.source, p.caption.clone(), None, &p.common).await
}
