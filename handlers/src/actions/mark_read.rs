//! `mark_read`: the WhatsApp read receipt (blue ticks) for a message, optionally with the typing
//! indicator; also zeroes the conversation's unread count.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::{EumId, PhoneNumberId, WaMessageId};
use crate::params::lenient;
use crate::params::non_empty;
use crate::registry::ActionSpec;
use crate::time;

pub const NAME: &str = "mark_read";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends the read receipt for an inbound message (optionally a typing indicator) and zeroes the unread count."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The inbound wamid.
    #[serde(alias = "message_id", alias = "waMessageId")]
    pub message_id: WaMessageId,
    /// True also shows "typing…" for up to 25 seconds.
    #[serde(
        default,
        alias = "typing_indicator",
        deserialize_with = "lenient::bool"
    )]
    pub typing_indicator: bool,
    /// Defaults to the message's phone.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// EUM phone id or ARN; defaults from the configuration.
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<EumId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub message_id: String,
    pub read: bool,
    pub conversation_pk: Option<String>,
    pub unread_count: Option<i64>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    non_empty("messageId", &p.message_id)?;
    let stored = ctx.store().get_message(&p.message_id).await?;
    let phone = p
        .phone_number_id
        .clone()
        .map(String::from)
        .or_else(|| stored.as_ref().and_then(|m| m.phone_number_id.clone()));
    let origination =
        ctx.origination(p.origination_phone_number_id.as_deref(), phone.as_deref())?;
    let mut receipt =
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": p.message_id});
    if p.typing_indicator {
        receipt["typing_indicator"] = json!({"type": "text"});
    }
    ctx.sender().send(&origination, &receipt).await?;
    let mut unread = None;
    let conversation_pk = stored.and_then(|m| m.conversation_pk);
    if let Some(pk) = &conversation_pk {
        unread = ctx
            .store()
            .mark_conversation_read(pk, &time::now_iso())
            .await?
            .map(|c| c.unread_count);
    }
    Ok(Output {
        message_id: p.message_id.into(),
        read: true,
        conversation_pk,
        unread_count: unread,
    })
}
