//! `mark_conversation_read`: sets the conversation's unread count to zero.

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::registry::ActionSpec;
use crate::time;

pub const NAME: &str = "mark_conversation_read";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Send,
    "Sets a conversation's unreadCount to 0 (in the table only; no WhatsApp read receipt)."
);

pub type Params = ConversationRef;

pub async fn run(ctx: &Ctx, conversation: Params) -> Result<ConversationItem, HandlerError> {
    let pk = conversation.pk(ctx.default_phone())?;
    ctx.store()
        .mark_conversation_read(&pk, &time::now_iso())
        .await?
        .ok_or_else(|| HandlerError::no_conversation(&pk))
}
