//! Commerce webhooks (seed 002's `process_wix_webhook`): a shop tells us about an order, we keep
//! it as `{SHOP}_ORDER#{orderId}` and may send the buyer an order-confirmation template on
//! WhatsApp.
//!
//! A shop is one [`ShopWebhook`]: it turns a verified payload into a [`ShopOrder`]. Everything
//! else (the item, its forward-only merge, the confirmation) is shared here, so the next shop
//! (Shopify, WooCommerce) is one more file next to [`wix`] plus its verification at the door
//! (`src/intake/webhooks/`).

pub mod wix;

use serde::Serialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::store::Forward;

/// An order event, in the shop's terms we keep.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopOrder {
    pub order_id: String,
    /// The number the shop shows the buyer (`10042`).
    pub number: Option<String>,
    /// The event, short: `created`, `approved`, `canceled`, `updated`, `payment_status_updated`.
    pub event: String,
    /// The shop's event id (Wix's `data.id`), when it sends one.
    pub event_id: Option<String>,
    /// When the shop says the event happened (ISO-8601), else when we received it.
    pub event_time: String,
    pub status: Option<String>,
    pub payment_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub buyer_name: Option<String>,
    /// The buyer's phone as the shop gave it (`+1 650-555-1234`).
    pub buyer_phone: Option<String>,
    pub buyer_email: Option<String>,
    /// Formatted total (`€42.00`), else amount and currency.
    pub total: Option<String>,
    pub currency: Option<String>,
    /// The site or store the event comes from (Wix's `instanceId`).
    pub site_id: Option<String>,
}

/// Why a shop payload cannot be read (answered 400; nothing is stored).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{shop} webhook: {reason}")]
pub struct ShopError {
    pub shop: &'static str,
    pub reason: String,
}

/// One shop's webhook format.
pub trait ShopWebhook: Sync {
    /// `wix`: the source name of its route and queue envelope.
    fn name(&self) -> &'static str;

    /// `WIX`: the item key prefix (`WIX_ORDER#{orderId}`).
    fn key_prefix(&self) -> &'static str;

    /// The order event in a verified payload; `None` for an event that is not about an order (it
    /// is acknowledged and ignored).
    ///
    /// # Errors
    /// [`ShopError`] for an order event that cannot be read.
    fn order(&self, payload: &Value) -> Result<Option<ShopOrder>, ShopError>;

    /// True for the event that confirms a new order to the buyer.
    fn confirms(&self, order: &ShopOrder) -> bool {
        order.event == "created"
    }
}

/// What recording an order did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    pub pk: String,
    pub order_id: String,
    pub event: String,
    /// False when the item already holds this event or a newer one (a redelivery).
    pub applied: bool,
    /// The confirmation's wamid (a redelivery returns the first send's, sending nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_error: Option<String>,
}

/// Milliseconds of an ISO time, the order's forward rank: a later event wins, an older or equal
/// one (a redelivery) changes nothing.
fn rank(time: &str) -> i64 {
    crate::time::parse_iso(time).map_or(0, |t| t.timestamp_millis())
}

/// `+1 (650) 555-1234` → `+16505551234`; `None` when fewer than 8 digits remain.
pub fn whatsapp_number(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches("00").to_string();
    (digits.len() >= 8).then(|| format!("+{digits}"))
}

/// Stores the order event and, for a new order with a configured template and a buyer phone,
/// sends the confirmation through `send_template` (idempotency key
/// `{shop}-order-{orderId}-confirmation`, so a redelivery never sends twice).
///
/// # Errors
/// The store's error (the webhook is retried). A failed confirmation is not an error: it is kept
/// on the item as `confirmationError` and answered.
pub async fn record_order(
    ctx: &Ctx,
    shop: &dyn ShopWebhook,
    order: &ShopOrder,
) -> Result<Recorded, HandlerError> {
    let prefix = shop.key_prefix();
    let pk = keys::shop_order(prefix, &order.order_id);
    let now = crate::time::now_iso();
    let set = json!({
        "pk": pk,
        "itemType": format!("{prefix}_ORDER"),
        "itemTypePk": keys::item_type::shop_orders(prefix),
        "shop": shop.name(),
        "orderId": order.order_id,
        "createdAt": now,
        "updatedAt": now,
    });
    let mut attrs = serde_json::to_value(order).map_err(HandlerError::Json)?;
    if let Some(map) = attrs.as_object_mut() {
        map.retain(|_, v| !v.is_null());
        map.insert("lastEvent".into(), json!(order.event));
    }
    let forward = Forward {
        rank_attr: "eventRank",
        rank: rank(&order.event_time),
        attrs,
    };
    let applied = ctx.store().merge_record(&pk, &set, Some(&forward)).await?;
    let mut recorded = Recorded {
        pk: pk.clone(),
        order_id: order.order_id.clone(),
        event: order.event.clone(),
        applied,
        ..Default::default()
    };
    let template = ctx.ingress().settings.order_template.clone();
    if let (true, Some(template)) = (shop.confirms(order), template) {
        match confirm(ctx, shop, order, &template).await {
            Ok(id) => recorded.confirmation = id,
            Err(e) => {
                tracing::warn!(shop = shop.name(), order_id = %order.order_id, error = %e, "order confirmation not sent");
                recorded.confirmation_error = Some(e.public_message());
            }
        }
        let outcome = json!({
            "confirmationId": recorded.confirmation,
            "confirmationError": recorded.confirmation_error,
        });
        ctx.store().merge_record(&pk, &outcome, None).await?;
    }
    Ok(recorded)
}

async fn confirm(
    ctx: &Ctx,
    shop: &dyn ShopWebhook,
    order: &ShopOrder,
    template: &crate::ingress::OrderTemplate,
) -> Result<Option<String>, HandlerError> {
    let to = order
        .buyer_phone
        .as_deref()
        .and_then(whatsapp_number)
        .ok_or_else(|| HandlerError::MissingParam("the order has no buyer phone".into()))?;
    let body: Vec<Value> = template
        .params
        .iter()
        .map(|name| {
            let value = match name.as_str() {
                "buyerName" => order.buyer_name.clone(),
                "orderNumber" => order
                    .number
                    .clone()
                    .or_else(|| Some(order.order_id.clone())),
                "total" => order.total.clone(),
                "orderId" => Some(order.order_id.clone()),
                _ => None,
            };
            json!(value.unwrap_or_else(|| "-".into()))
        })
        .collect();
    let request = json!({
        "name": template.name,
        "language": template.language,
        "body": body,
        "to": to,
        "idempotencyKey": format!("{}-order-{}-confirmation", shop.name(), order.order_id),
    });
    let params = crate::params::parse::<crate::actions::send_template::Params>(request)?;
    let sent = crate::actions::send_template::run(ctx, params).await?;
    Ok(Some(sent.wa_message_id))
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_become_whatsapp_numbers() {
        assert_eq!(
            super::whatsapp_number("+1 (650) 555-1234").as_deref(),
            Some("+16505551234")
        );
        assert_eq!(
            super::whatsapp_number("0049 170 1234567").as_deref(),
            Some("+491701234567")
        );
        assert_eq!(super::whatsapp_number("123"), None);
    }
}
