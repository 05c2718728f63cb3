//! `get_payments`: payment requests and their statuses: one by `referenceId`, the one of an
//! order, or a phone's, newest first (a query of `gsi-itemType` `PAYMENT#{phone}`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::commerce::{self, orders};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::{PhoneNumberId, ReferenceId, WaMessageId};
use crate::params::{self, Paging};
use crate::registry::ActionSpec;

pub const NAME: &str = "get_payments";

pub const SPEC: ActionSpec = crate::action_spec!(
    Commerce,
    Read,
    "Lists payments (requests sent with send_order_details and their webhook statuses): by \
     referenceId, by order, or a phone's, newest first."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Only this payment request.
    #[serde(default, alias = "reference_id")]
    pub reference_id: Option<ReferenceId>,
    /// Only the latest payment request of this order (its wamid).
    #[serde(default, alias = "order_id")]
    pub order_id: Option<WaMessageId>,
    /// Only payments in this status (new, pending, failed, captured, …).
    #[serde(default)]
    pub status: Option<String>,
    /// The business phone (Meta's id); defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub payments: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let page = p.paging.request()?;
    let store = ctx.store();
    let mut phone = params::phone_number_id(p.phone_number_id.as_deref(), ctx.default_phone());
    let mut reference = p.reference_id.clone().map(String::from);
    if let Some(order_id) = &p.order_id {
        let order = orders::get(store, order_id)
            .await?
            .ok_or_else(|| HandlerError::NotFound(format!("no order with orderId `{order_id}`")))?;
        phone = Ok(order.phone_number_id);
        match (&reference, order.reference_id) {
            (Some(given), Some(linked)) if *given != linked => {
                return Ok(Output {
                    payments: Vec::new(),
                    next_token: None,
                });
            }
            (_, Some(linked)) => reference = Some(linked),
            (_, None) => {
                return Ok(Output {
                    payments: Vec::new(),
                    next_token: None,
                });
            }
        }
    }
    let phone = phone?;
    let keep = |v: &Value| p.status.as_ref().is_none_or(|s| v["status"] == *s);
    if let Some(reference) = reference {
        let item = store.get_item(&keys::payment(&phone, &reference)).await?;
        return Ok(Output {
            payments: item.into_iter().filter(keep).collect(),
            next_token: None,
        });
    }
    let found = commerce::list_filtered(
        store,
        &keys::item_type::payments_of_phone(&phone),
        &page,
        keep,
    )
    .await?;
    Ok(Output {
        payments: found.items,
        next_token: found.next_cursor,
    })
}
