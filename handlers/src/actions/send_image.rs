//! `send_image`: an image (JPEG/PNG, up to 5 MB). The media sends share their body in [`super::send_media`].

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::SendOutput;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_image";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    "Sends an image (JPEG/PNG, up to 5 MB), by media id, link or media-store key."
);

pub type Params = super::send_media::Captioned;

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    super::send_media::send(ctx, "image", p.into()).await
}
