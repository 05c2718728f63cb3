//! `send_document`: a document (up to 100 MB) with its filename. The media sends share their body in [`super::send_media`].

use crate::registry::ActionSpec;

pub const NAME: &str = "send_document";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a document (up to 100 MB) with its filename, by media id, link or media-store key."
);

pub type Params = super::send_media::Document;

pub use super::send_media::document as run;
