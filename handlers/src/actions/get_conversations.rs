//! `get_conversations`: one business phone's conversations, most recent first, paginated.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::ConversationItem;
use crate::params::lenient;
use crate::params::{self, Paging};
use crate::registry::ActionSpec;

pub const NAME: &str = "get_conversations";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Read,
    "Lists a business phone's conversations, most recent message first."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The business phone's Meta id; defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<String>,
    /// True lists the archived conversations instead.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub archived: bool,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub phone_number_id: String,
    pub archived: bool,
    pub count: usize,
    pub conversations: Vec<ConversationItem>,
    pub next_token: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let phone = params::phone_number_id(p.phone_number_id.as_deref(), ctx.default_phone())?;
    let inbox = if p.archived {
        keys::archived_inbox(&phone)
    } else {
        keys::inbox(&phone)
    };
    let page = ctx
        .store()
        .list_conversations(&inbox, &p.paging.request()?)
        .await?;
    Ok(Output {
        phone_number_id: phone,
        archived: p.archived,
        count: page.items.len(),
        conversations: page.items,
        next_token: page.next_cursor,
    })
}
