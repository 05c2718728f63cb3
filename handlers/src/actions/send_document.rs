//! `send_document`: a document (up to 100 MB) with its filename. The media sends share their body in [`super::send_media`].

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::SendOutput;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_document";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    "Sends a document (up to 100 MB) with its filename, by media id, link or media-store key."
);

pub type Params = super::send_media::Document;

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    super::send_media::send(ctx, "document", p.into()).await
}
