//! `get_messages`: one conversation's messages, newest first, paginated.

use serde::{Deserialize, Serialize};

use crate::error::HandlerError;
use crate::model::MessageItem;
use crate::params::{ConversationRef, Paging};
use crate::registry::{ActionSpec, Category, Ctx, Param};

pub const NAME: &str = "get_messages";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Conversations,
    summary: "Lists one conversation's messages, newest first.",
    params: &[
        Param {
            name: "conversationPk",
            required: false,
            doc: "CONV#{phoneNumberId}#{customerId}; or give customerId",
        },
        Param {
            name: "customerId",
            required: false,
            doc: "the customer's wa_id or BSUID (with phoneNumberId or the default phone)",
        },
        Param {
            name: "phoneNumberId",
            required: false,
            doc: "the business phone's Meta id; defaults to DEFAULT_PHONE_NUMBER_ID",
        },
        Param {
            name: "limit",
            required: false,
            doc: "1-100, default 20",
        },
        Param {
            name: "nextToken",
            required: false,
            doc: "from the previous page",
        },
    ],
    handler: crate::erase!(run),
};

#[derive(Debug, Deserialize)]
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
    let pk = params.conversation.pk(ctx.default_phone())?;
    let page = ctx
        .store()
        .list_messages(&pk, &params.paging.request()?)
        .await?;
    Ok(Output {
        conversation_pk: pk,
        count: page.items.len(),
        messages: page.items,
        next_token: page.next_cursor,
    })
}
