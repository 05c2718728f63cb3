//! `get_message`: one message by its WhatsApp message id.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::MessageItem;
use crate::params::ids::WaMessageId;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_message";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Read,
    "Returns one stored message (inbound or outbound) with its status history."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The wamid.… id.
    #[serde(alias = "wa_message_id", alias = "messageId", alias = "message_id")]
    pub wa_message_id: WaMessageId,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<MessageItem, HandlerError> {
    let id = params.wa_message_id.trim();
    if id.is_empty() {
        return Err(HandlerError::invalid("waMessageId", "must not be empty"));
    }
    ctx.store()
        .get_message(id)
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no message with waMessageId `{id}`")))
}
