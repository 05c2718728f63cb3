//! Orders: an inbound `order` message (a cart the customer sent from a catalog) becomes an
//! `ORDER#{wamid}` item, created once whatever the number of deliveries, listed under its
//! business phone (`gsi-itemType` `ORDER#{phone}`, by the time the customer sent it) and linked
//! to its conversation by the attribute `conversation` (not `conversationPk`, which would put it
//! in the conversation's message index).
//!
//! Its `status` only moves forward, by rank ([`STATUSES`]): `update_order_status` to a lower
//! status is refused, the same status again changes nothing, and a captured payment moves it to
//! `paid` unless it is already further.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::keys;
use crate::model::{MessageItem, OrderItem};
use crate::store::{Forward, Store, StoreError, get_item_as};

/// The item type of an order.
pub const ITEM_TYPE: &str = "ORDER";

/// The statuses of an order, in the only order they may be taken. An order starts `received`.
pub const STATUSES: [(&str, i64); 10] = [
    ("received", 1),
    ("confirmed", 2),
    ("paid", 3),
    ("processing", 4),
    ("partially_shipped", 5),
    ("shipped", 6),
    ("delivered", 7),
    ("completed", 8),
    ("canceled", 9),
    ("refunded", 10),
];

/// The rank of an order status, `None` for a status this version does not define.
pub fn rank(status: &str) -> Option<i64> {
    STATUSES.iter().find(|(s, _)| *s == status).map(|(_, r)| *r)
}

/// The attribute holding the time an order reached `status` (`shippedAt`,
/// `partiallyShippedAt`); `received` is `orderedAt`, the time the customer sent it.
pub fn time_attr(status: &str) -> String {
    if status == "received" {
        return "orderedAt".into();
    }
    let mut out = String::new();
    let mut upper = false;
    for c in status.chars() {
        if c == '_' || c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out + "At"
}

/// An `ORDER#…` item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRecord {
    pub pk: String,
    pub item_type: String,
    pub item_type_pk: String,
    /// The wamid of the customer's `order` message.
    pub order_id: String,
    pub phone_number_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    /// The conversation's pk (`CONV#…`).
    pub conversation: String,
    pub customer_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    /// The customer's note with the cart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub product_items: Vec<OrderItem>,
    /// Σ item_price × quantity; absent when an item has no price or quantity, or the items are
    /// in different currencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub status: String,
    pub status_rank: i64,
    pub status_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    /// The `reference_id` of the latest payment request (`send_order_details`) for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    pub ordered_at: String,
    pub created_at: String,
    pub updated_at: String,
    /// The time of each later status (`confirmedAt`, `shippedAt`, …).
    #[serde(flatten)]
    pub times: BTreeMap<String, Value>,
}

/// Σ price × quantity and the one currency of the items, when every item has both.
fn total(items: &[OrderItem]) -> (Option<f64>, Option<String>) {
    let mut sum = 0.0;
    let mut currency: Option<&str> = None;
    for item in items {
        let (Some(q), Some(p)) = (item.quantity, item.item_price) else {
            return (None, None);
        };
        match (currency, item.currency.as_deref()) {
            (_, None) => return (None, None),
            (Some(c), Some(this)) if c != this => return (None, None),
            (_, Some(this)) => currency = Some(this),
        }
        sum += q * p;
    }
    if items.is_empty() {
        return (None, None);
    }
    // cents of floating-point noise (0.1 + 0.2) are rounded away
    let rounded = (sum * 10_000.0).round() / 10_000.0;
    (Some(rounded), currency.map(str::to_string))
}

/// The order an inbound `order` message makes; `None` for any other message.
pub fn from_message(
    item: &MessageItem,
    customer_id: &str,
    waba_id: &str,
    now: &str,
) -> Option<OrderRecord> {
    let order = item.order.as_ref()?;
    let phone = item.phone_number_id.clone().unwrap_or_default();
    let (total, currency) = total(&order.product_items);
    Some(OrderRecord {
        pk: keys::order(&item.wa_message_id),
        item_type: ITEM_TYPE.into(),
        item_type_pk: keys::item_type::orders_of_phone(&phone),
        order_id: item.wa_message_id.clone(),
        conversation: item
            .conversation_pk
            .clone()
            .unwrap_or_else(|| keys::conversation(&phone, customer_id)),
        phone_number_id: phone,
        waba_id: Some(waba_id.to_string()),
        customer_id: customer_id.to_string(),
        wa_id: item.from.clone(),
        user_id: item.from_user_id.clone(),
        catalog_id: order.catalog_id.clone(),
        text: order.text.clone(),
        product_items: order.product_items.clone(),
        total,
        currency,
        status: "received".into(),
        status_rank: rank("received").unwrap_or(1),
        status_at: item.received_at.clone(),
        status_note: None,
        reference_id: None,
        ordered_at: item.received_at.clone(),
        created_at: item.received_at.clone(),
        updated_at: now.to_string(),
        times: BTreeMap::new(),
    })
}

/// Creates the ORDER item of an inbound `order` message unless it exists (a redelivery, or an
/// order already moved on, is left as it is). True when it was created now.
///
/// # Errors
/// The store's.
pub async fn record_inbound(
    store: &dyn Store,
    item: &MessageItem,
    customer_id: &str,
    waba_id: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let Some(order) = from_message(item, customer_id, waba_id, now) else {
        return Ok(false);
    };
    let value = serde_json::to_value(&order).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })?;
    store.create_record(&value).await
}

/// The order `order_id` (its wamid).
///
/// # Errors
/// The store's; `Corrupt` when the item is not an order.
pub async fn get(store: &dyn Store, order_id: &str) -> Result<Option<OrderRecord>, StoreError> {
    get_item_as(store, &keys::order(order_id)).await
}

/// Moves an existing order forward to `status` (with its time and an optional note). False when
/// the order is already at that rank or further. Call it only for an order that exists: the
/// merge would create one.
///
/// # Errors
/// The store's.
pub async fn advance(
    store: &dyn Store,
    order_id: &str,
    status: &str,
    note: Option<&str>,
    now: &str,
) -> Result<bool, StoreError> {
    let Some(rank) = rank(status) else {
        return Ok(false);
    };
    let mut attrs = json!({"status": status, "statusAt": now, time_attr(status): now});
    if let Some(note) = note {
        attrs["statusNote"] = json!(note);
    }
    let forward = Forward {
        rank_attr: "statusRank",
        rank,
        attrs,
    };
    store
        .merge_record(
            &keys::order(order_id),
            &json!({"updatedAt": now}),
            Some(&forward),
        )
        .await
}

/// Links an existing order to a payment request.
///
/// # Errors
/// The store's.
pub async fn link_payment(
    store: &dyn Store,
    order_id: &str,
    reference_id: &str,
    now: &str,
) -> Result<(), StoreError> {
    store
        .merge_record(
            &keys::order(order_id),
            &json!({"referenceId": reference_id, "updatedAt": now}),
            None,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OrderPart;

    fn item(prices: &[(f64, f64, &str)]) -> MessageItem {
        MessageItem {
            wa_message_id: "wamid.O".into(),
            phone_number_id: Some("106".into()),
            from: Some("1650".into()),
            received_at: "2026-11-20T10:01:15Z".into(),
            order: Some(OrderPart {
                catalog_id: Some("cat".into()),
                text: Some("note".into()),
                product_items: prices
                    .iter()
                    .map(|(q, p, c)| OrderItem {
                        product_retailer_id: Some("sku".into()),
                        quantity: Some(*q),
                        item_price: Some(*p),
                        currency: Some((*c).into()),
                    })
                    .collect(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_order_message_makes_a_received_order_with_its_total() {
        let order = from_message(
            &item(&[(2.0, 30.0, "USD"), (1.0, 25.5, "USD")]),
            "1650",
            "waba",
            "now",
        )
        .unwrap();
        assert_eq!(order.pk, "ORDER#wamid.O");
        assert_eq!(order.item_type_pk, "ORDER#106");
        assert_eq!(order.conversation, "CONV#106#1650");
        assert_eq!(order.total, Some(85.5));
        assert_eq!(order.currency.as_deref(), Some("USD"));
        assert_eq!(order.status, "received");
        let value = serde_json::to_value(&order).unwrap();
        assert!(
            value.get("conversationPk").is_none(),
            "not in gsi-conversation"
        );
        assert!(value.get("receivedAt").is_none(), "not in gsi-conversation");
        // mixed currencies: no total
        let mixed = from_message(
            &item(&[(1.0, 1.0, "USD"), (1.0, 1.0, "EUR")]),
            "1650",
            "w",
            "n",
        )
        .unwrap();
        assert_eq!((mixed.total, mixed.currency), (None, None));
        assert!(from_message(&MessageItem::default(), "c", "w", "n").is_none());
    }

    #[test]
    fn statuses_rank_in_order_and_name_their_times() {
        for pair in STATUSES.windows(2) {
            assert!(pair[0].1 < pair[1].1);
        }
        assert_eq!(rank("lost"), None);
        assert_eq!(time_attr("partially_shipped"), "partiallyShippedAt");
        assert_eq!(time_attr("shipped"), "shippedAt");
        assert_eq!(time_attr("received"), "orderedAt");
    }
}
