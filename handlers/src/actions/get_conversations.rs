//! `get_conversations`: one business phone's conversations, most recent first, paginated.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::ConversationItem;
use crate::params::ids::PhoneNumberId;
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
    pub phone_number_id: Option<PhoneNumberId>,
    /// True lists the archived conversations instead.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub archived: bool,
    #[serde(flatten)]
    pub paging: Paging,
    /// Only conversations of this channel: `whatsapp`, `instagram` or `messenger`. A page may
    /// then hold fewer than `limit` conversations while `nextToken` still leads on.
    #[serde(default)]
    pub channel: Option<ChannelFilter>,
}

/// The channels a conversation can be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelFilter {
    Whatsapp,
    Instagram,
    Messenger,
}

impl ChannelFilter {
    /// True when `conversation` is on this channel (no `channel` attribute is WhatsApp).
    pub fn matches(self, conversation: &ConversationItem) -> bool {
        let channel = conversation.channel.as_deref().unwrap_or("whatsapp");
        channel
            == match self {
                ChannelFilter::Whatsapp => "whatsapp",
                ChannelFilter::Instagram => "instagram",
                ChannelFilter::Messenger => "messenger",
            }
    }
}

/// How many store pages one filtered request reads at most.
const MAX_FILTERED_READS: usize = 10;

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
    let request = p.paging.request()?;
    let Some(channel) = p.channel else {
        let page = ctx.store().list_conversations(&inbox, &request).await?;
        return Ok(Output {
            phone_number_id: phone,
            archived: p.archived,
            count: page.items.len(),
            conversations: page.items,
            next_token: page.next_cursor,
        });
    };
    // Each store page is read whole (so its cursor is exact), asking only for what is missing,
    // until the page is full, the inbox ends, or MAX_FILTERED_READS pages were read.
    let mut conversations = Vec::new();
    let mut cursor = request.cursor.clone();
    for _ in 0..MAX_FILTERED_READS {
        let missing = request.limit - conversations.len() as u32;
        let page = ctx
            .store()
            .list_conversations(
                &inbox,
                &crate::store::PageRequest {
                    limit: missing,
                    cursor: cursor.take(),
                },
            )
            .await?;
        conversations.extend(page.items.into_iter().filter(|c| channel.matches(c)));
        cursor = page.next_cursor;
        if cursor.is_none() || conversations.len() as u32 >= request.limit {
            break;
        }
    }
    Ok(Output {
        phone_number_id: phone,
        archived: p.archived,
        count: conversations.len(),
        conversations,
        next_token: cursor,
    })
}
