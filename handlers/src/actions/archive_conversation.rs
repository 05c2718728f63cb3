//! `archive_conversation`: moves a conversation out of (or back into) the inbox.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::ConversationItem;
use crate::params::ConversationRef;
use crate::params::lenient;
use crate::registry::ActionSpec;
use crate::time;

pub const NAME: &str = "archive_conversation";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Send,
    "Archives a conversation (archived: false brings it back). A new inbound message unarchives it."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    #[serde(flatten)]
    pub conversation: ConversationRef,
    /// Default true.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub archived: Option<bool>,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<ConversationItem, HandlerError> {
    let pk = params.conversation.pk(ctx.default_phone())?;
    ctx.store()
        .set_archived(&pk, params.archived.unwrap_or(true), &time::now_iso())
        .await?
        .ok_or_else(|| HandlerError::no_conversation(&pk))
}
