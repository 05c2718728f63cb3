//! `get_call_permission`: whether the business may call a customer now
//! (`GetWhatsAppCallPermission`), by phone number or BSUID, with the customer's last
//! `call_permission_reply` stored in the conversation.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params;
use crate::params::ids::{Bsuid, PhoneNumber, PhoneNumberId};
use crate::platform::{customers, phones};
use crate::ports::account::{CallPeer, CallPermission};
use crate::registry::ActionSpec;
use crate::store::PageRequest;

pub const NAME: &str = "get_call_permission";

pub const SPEC: ActionSpec = crate::action_spec!(
    Calling,
    Read,
    "Returns whether the business may call a customer (by phone number or BSUID), and their last permission reply."
);

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The customer's phone number in international format; or give `recipient`.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default)]
    pub to: Option<PhoneNumber>,
    /// The customer's BSUID, instead of `to`.
    #[serde(default)]
    pub recipient: Option<Bsuid>,
    /// The business phone: Meta id, EUM id, ARN or display number; defaults to
    /// DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub customer_id: String,
    /// EUM Social's answer now; absent in local mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<CallPermission>,
    /// The newest `call_permission_reply` message of the conversation (its response, expiry,
    /// whether permanent, and source), as stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reply: Option<Value>,
}

/// The newest call permission reply among the conversation's last 100 messages.
async fn last_reply(ctx: &Ctx, phone: &str, customer: &str) -> Result<Option<Value>, HandlerError> {
    let page = ctx
        .store()
        .list_messages(
            &keys::conversation(phone, customer),
            &PageRequest {
                limit: 100,
                cursor: None,
            },
        )
        .await?;
    Ok(page.items.into_iter().find_map(|m| {
        let value = serde_json::to_value(&m).ok()?;
        let is_reply = value["interactive"]["type"] == "call_permission_reply"
            || value["raw"]["interactive"]["type"] == "call_permission_reply";
        is_reply.then_some(value)
    }))
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let customer = customers::customer_id(p.to.as_deref(), p.recipient.as_deref())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| HandlerError::MissingParam("to (or recipient)".into()))?;
    let peer = if p.to.as_deref().is_some_and(|t| !t.is_empty()) {
        CallPeer::Phone(format!("+{customer}"))
    } else {
        CallPeer::Bsuid(customer.clone())
    };
    let meta_phone = match p.phone_number_id.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => phones::resolve(ctx, g)
            .await?
            .map(|(meta, _)| meta)
            .unwrap_or_else(|| g.to_string()),
        None => params::phone_number_id(None, ctx.default_phone())?,
    };
    let last_reply = last_reply(ctx, &meta_phone, &customer).await?;
    let permission = if ctx.platform().account.is_local() {
        None
    } else {
        let origination = phones::eum_phone(ctx, p.phone_number_id.as_deref()).await?;
        Some(
            ctx.platform()
                .account
                .get_call_permission(&origination, &peer)
                .await?,
        )
    };
    Ok(Output {
        customer_id: customer,
        permission,
        last_reply,
    })
}
