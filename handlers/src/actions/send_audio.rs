//! `send_audio`: an audio file or voice note (up to 16 MB).

use serde::Deserialize;

use crate::error::HandlerError;
use crate::outbound::{MediaSource, SendCommon, SendOutput};
use crate::registry::{ActionSpec, Category, Ctx, Param};

pub const NAME: &str = "send_audio";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Messaging,
    summary: "Sends an audio file or voice note (up to 16 MB), by media id, link or media-store key.",
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
    ),
    handler: crate::erase!(run),
};

#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(flatten)]
    pub source: MediaSource,

    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    super::send_media::send(ctx, "audio", &p.source, None, None, &p.common).await
}
