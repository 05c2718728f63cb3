//! `get_order`: one order a customer sent from a catalog, with its status.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::commerce::orders::{self, OrderRecord};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::WaMessageId;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_order";

pub const SPEC: ActionSpec = crate::action_spec!(
    Commerce,
    Read,
    "Returns one order (the customer's cart: products, total, status and its times)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The order's id: the wamid of the customer's `order` message.
    #[serde(alias = "order_id", alias = "waMessageId")]
    pub order_id: WaMessageId,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<OrderRecord, HandlerError> {
    let id = p.order_id.trim();
    crate::params::non_empty("orderId", id)?;
    orders::get(ctx.store(), id)
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no order with orderId `{id}`")))
}
