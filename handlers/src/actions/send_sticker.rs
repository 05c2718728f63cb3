//! `send_sticker`: a sticker (WebP). The media sends share their body in [`super::send_media`].

use crate::registry::ActionSpec;

pub const NAME: &str = "send_sticker";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a sticker (WebP), by media id, link or media-store key."
);

pub type Params = super::send_media::Plain;

pub use super::send_media::sticker as run;
