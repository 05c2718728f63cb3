//! `get_conversation`: one conversation.

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_conversation";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Read,
    "Returns one conversation: customer, last message, unread count, 24-hour window start."
);

pub type Params = ConversationRef;

pub async fn run(ctx: &Ctx, conversation: Params) -> Result<ConversationItem, HandlerError> {
    let pk = conversation.pk(ctx.default_phone())?;
    let found = ctx.store().get_conversation(&pk).await?;
    found.ok_or_else(|| HandlerError::no_conversation(&pk))
}
