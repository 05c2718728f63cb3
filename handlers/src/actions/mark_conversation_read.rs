//! `mark_conversation_read`: sets the conversation's unread count to zero.

use serde::Deserialize;

use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::registry::{ActionSpec, Category, Ctx, Param};
use crate::time;

pub const NAME: &str = "mark_conversation_read";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Conversations,
    summary: "Sets a conversation's unreadCount to 0 (in the table only; no WhatsApp read receipt).",
    params: &[
        Param {
            name: "conversationPk",
            required: false,
            doc: "or customerId (+ phoneNumberId)",
        },
        Param {
            name: "customerId",
            required: false,
            doc: "the customer's wa_id or BSUID",
        },
        Param {
            name: "phoneNumberId",
            required: false,
            doc: "defaults to DEFAULT_PHONE_NUMBER_ID",
        },
    ],
    handler: crate::erase!(run),
};

#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(flatten)]
    pub conversation: ConversationRef,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<ConversationItem, HandlerError> {
    let pk = params.conversation.pk(ctx.default_phone())?;
    ctx.store()
        .mark_conversation_read(&pk, &time::now_iso())
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no conversation `{pk}`")))
}
