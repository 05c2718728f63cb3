//! `send_image`: an image (JPEG/PNG, up to 5 MB). The media sends share their body in [`super::send_media`].

use crate::registry::ActionSpec;

pub const NAME: &str = "send_image";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends an image (JPEG/PNG, up to 5 MB), by media id, link or media-store key."
);

pub type Params = super::send_media::Captioned;

pub use super::send_media::image as run;
