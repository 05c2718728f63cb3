//! `archive_conversation`: moves a conversation out of (or back into) the inbox.

use serde::Deserialize;

use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::registry::{ActionSpec, Category, Ctx, Param};
use crate::time;

pub const NAME: &str = "archive_conversation";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Conversations,
    summary: "Archives a conversation (archived: false brings it back). A new inbound message unarchives it.",
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
        Param {
            name: "archived",
            required: false,
            doc: "default true",
        },
    ],
    handler: crate::erase!(run),
};

#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(flatten)]
    pub conversation: ConversationRef,
    #[serde(default, deserialize_with = "crate::params::lenient::opt_bool")]
    pub archived: Option<bool>,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<ConversationItem, HandlerError> {
    let pk = params.conversation.pk(ctx.default_phone())?;
    ctx.store()
        .set_archived(&pk, params.archived.unwrap_or(true), &time::now_iso())
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no conversation `{pk}`")))
}
