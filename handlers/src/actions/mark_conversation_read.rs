//! `mark_conversation_read`: sets the conversation's unread count to zero.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::registry::{ActionSpec, Category};
use crate::time;

pub const NAME: &str = "mark_conversation_read";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Conversations,
    summary: "Sets a conversation's unreadCount to 0 (in the table only; no WhatsApp read receipt).",
    params: crate::registry::params::<Params>,
    handler: crate::erase!(run),
};

#[derive(Debug, Deserialize, JsonSchema)]
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
