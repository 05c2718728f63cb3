//! `send_video`: a video (MP4/3GPP, up to 16 MB). The media sends share their body in [`super::send_media`].

use crate::registry::ActionSpec;

pub const NAME: &str = "send_video";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a video (MP4/3GPP, up to 16 MB), by media id, link or media-store key."
);

pub type Params = super::send_media::Captioned;

pub use super::send_media::video as run;
