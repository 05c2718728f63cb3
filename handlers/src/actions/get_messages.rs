//! `get_messages`: one conversation's messages, newest first, paginated.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::MessageItem;
use crate::params::{ConversationRef, Paging};
use crate::registry::ActionSpec;

pub const NAME: &str = "get_messages";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Read,
    "Lists one conversation's messages, newest first."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    #[serde(flatten)]
    pub conversation: ConversationRef,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub conversation_pk: String,
    pub count: usize,
    pub messages: Vec<MessageItem>,
    pub next_token: Option<String>,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<Output, HandlerError> {
    let mut pk = params.conversation.pk(ctx.default_phone())?;
    let request = params.paging.request()?;
    let mut page = ctx.store().list_messages(&pk, &request).await?;
    if page.items.is_empty() && request.cursor.is_none() {
        // Nothing under this id: it may be a number the customer changed to, which leads to
        // the conversation that carries on (the store follows the alias).
        if let Some(conv) = ctx.store().get_conversation(&pk).await?
            && conv.pk != pk
        {
            pk = conv.pk;
            page = ctx.store().list_messages(&pk, &request).await?;
        }
    }
    Ok(Output {
        conversation_pk: pk,
        count: page.items.len(),
        messages: page.items,
        next_token: page.next_cursor,
    })
}
