//! `get_conversation`: one conversation.

use serde::Deserialize;

use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::registry::{ActionSpec, Category, Ctx, Param};

pub const NAME: &str = "get_conversation";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Conversations,
    summary: "Returns one conversation: customer, last message, unread count, 24-hour window start.",
    params: &[
        Param {
            name: "conversationPk",
            required: false,
            doc: "CONV#{phoneNumberId}#{customerId}; or give customerId",
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
        .get_conversation(&pk)
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no conversation `{pk}`")))
}
