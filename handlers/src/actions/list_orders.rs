//! `list_orders`: the orders of a business phone, newest first, optionally of one status or one
//! customer (a query of `gsi-itemType` `ORDER#{phone}`, never a scan).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::commerce;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::{CustomerId, PhoneNumberId};
use crate::params::{self, Paging};
use crate::registry::ActionSpec;

pub const NAME: &str = "list_orders";

pub const SPEC: ActionSpec = crate::action_spec!(
    Commerce,
    Read,
    "Lists a phone's orders, newest first; filter by status or customer."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The business phone (Meta's id); defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// Only orders in this status (received, confirmed, paid, …).
    #[serde(default)]
    pub status: Option<String>,
    /// Only this customer's orders (wa_id or BSUID).
    #[serde(default, alias = "customer_id")]
    pub customer_id: Option<CustomerId>,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub orders: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let page = p.paging.request()?;
    let phone = params::phone_number_id(p.phone_number_id.as_deref(), ctx.default_phone())?;
    if let Some(s) = &p.status
        && commerce::orders::rank(s).is_none()
    {
        return Err(HandlerError::invalid(
            "status",
            format!("is `{s}`; an order status is one of {}", statuses()),
        ));
    }
    let found = commerce::list_filtered(
        ctx.store(),
        &keys::item_type::orders_of_phone(&phone),
        &page,
        |o| {
            p.status.as_ref().is_none_or(|s| o["status"] == *s)
                && p.customer_id
                    .as_ref()
                    .is_none_or(|c| o["customerId"] == c.as_str())
        },
    )
    .await?;
    Ok(Output {
        orders: found.items,
        next_token: found.next_cursor,
    })
}

/// The order statuses, in order.
pub fn statuses() -> String {
    commerce::orders::STATUSES
        .iter()
        .map(|(s, _)| *s)
        .collect::<Vec<_>>()
        .join(", ")
}
