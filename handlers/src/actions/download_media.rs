//! `download_media`: copies an inbound message's media into the media store (retries a failed
//! automatic copy).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::media::{self, Downloaded};
use crate::params::ids::{EumId, WaMessageId};
use crate::registry::ActionSpec;

pub const NAME: &str = "download_media";

pub const SPEC: ActionSpec = crate::action_spec!(
    Media,
    Manage,
    "Copies a message's WhatsApp media into the media store (GetWhatsAppMessageMedia) and records where."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The message whose media to copy.
    #[serde(alias = "wa_message_id", alias = "messageId")]
    pub wa_message_id: WaMessageId,
    /// EUM phone id or ARN; defaults from the configuration.
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<EumId>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Downloaded, HandlerError> {
    media::download(
        ctx,
        p.wa_message_id.trim(),
        p.origination_phone_number_id.as_deref(),
    )
    .await
}
