//! `send_sticker`: a sticker (WebP). The media sends share their body in [`super::send_media`].

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::SendOutput;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_sticker";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    "Sends a sticker (WebP), by media id, link or media-store key."
);

pub type Params = super::send_media::Plain;

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    super::send_media::send(ctx, "sticker", p.into()).await
}
