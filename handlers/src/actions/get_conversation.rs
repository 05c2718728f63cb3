//! `get_conversation`: one conversation.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::registry::{ActionSpec, Category};

pub const NAME: &str = "get_conversation";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Conversations,
    summary: "Returns one conversation: customer, last message, unread count, 24-hour window start.",
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
        .get_conversation(&pk)
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no conversation `{pk}`")))
}
