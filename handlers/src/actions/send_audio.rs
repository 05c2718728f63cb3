//! `send_audio`: an audio file or voice note (up to 16 MB). The media sends share their body in [`super::send_media`].

use crate::registry::ActionSpec;

pub const NAME: &str = "send_audio";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends an audio file or voice note (up to 16 MB), by media id, link or media-store key."
);

pub type Params = super::send_media::Plain;

pub use super::send_media::audio as run;
