//! `send_image`: an image (JPEG/PNG, up to 5 MB). The media sends share their body in [`super::send_media`].

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::SendOutput;
use crate::registry::{ActionSpec, Category};

pub const NAME: &str = "send_image";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Messaging,
    summary: "Sends an image (JPEG/PNG, up to 5 MB), by media id, link or media-store key.",
    params: crate::registry::params::<Params>,
    handler: crate::erase!(run),
};

pub type Params = super::send_media::Captioned;

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    super::send_media::send(ctx, "image", p.into()).await
}
