//! `get_customer`: what is known about a customer: their marketing preference (with its time
//! and source) and their click-to-WhatsApp referrals.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::{Bsuid, PhoneNumber};
use crate::platform::customers;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_customer";

pub const SPEC: ActionSpec = crate::action_spec!(
    Customers,
    Read,
    "Returns a customer's marketing preference and click-to-WhatsApp referrals."
);

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The customer's phone number; or give `recipient`.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default, alias = "customerId", alias = "waId")]
    pub to: Option<PhoneNumber>,
    /// The customer's BSUID.
    #[serde(default)]
    pub recipient: Option<Bsuid>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub customer_id: String,
    /// True when the customer stopped marketing messages.
    pub marketing_opt_out: bool,
    /// The `CUSTOMER#…` item, when any preference was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferences: Option<Value>,
    /// Their click-to-WhatsApp referrals, newest first (at most 20).
    pub referrals: Vec<Value>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let customer = customers::customer_id(p.to.as_deref(), p.recipient.as_deref())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| HandlerError::MissingParam("to (or recipient)".into()))?;
    let preferences = ctx.store().get_item(&keys::customer(&customer)).await?;
    let referrals = customers::referrals(ctx, &customer, 20).await?;
    Ok(Output {
        marketing_opt_out: preferences
            .as_ref()
            .is_some_and(|p| p["marketingOptOut"] == true),
        customer_id: customer,
        preferences,
        referrals,
    })
}
