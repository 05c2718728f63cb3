//! `send_video`: a video (MP4/3GPP, up to 16 MB). The media sends share their body in [`super::send_media`].

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::SendOutput;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_video";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    "Sends a video (MP4/3GPP, up to 16 MB), by media id, link or media-store key."
);

pub type Params = super::send_media::Captioned;

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    super::send_media::send(ctx, "video", p.into()).await
}
