//! The `order_details` interactive message (review and pay) and the `order_status` update:
//! the parameters, Meta's rules for them, and Meta's JSON.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::limits;
use super::money::{Amount, check_sum, line_total};
use crate::error::HandlerError;
use crate::params::{check_len, non_empty};

/// One item of the order.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The item's id in the business's system (its catalog retailer id when there is one).
    #[serde(alias = "retailer_id")]
    pub retailer_id: String,
    /// Shown to the customer, at most 60 characters.
    pub name: String,
    /// The price of one item.
    pub amount: Amount,
    /// A discounted price of one item, below `amount`; used for the subtotal when given.
    #[serde(default, alias = "sale_amount")]
    pub sale_amount: Option<Amount>,
    /// How many, a whole number of at least 1.
    pub quantity: i64,
    /// Optional, for imported goods.
    #[serde(default, alias = "country_of_origin")]
    pub country_of_origin: Option<String>,
    #[serde(default, alias = "importer_name")]
    pub importer_name: Option<String>,
    #[serde(default, alias = "importer_address")]
    pub importer_address: Option<Value>,
}

/// The order of an `order_details` message.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Only `pending` is accepted in an `order_details` message (the default).
    #[serde(default = "pending")]
    pub status: String,
    /// The catalog of the items, when they come from one.
    #[serde(default, alias = "catalog_id")]
    pub catalog_id: Option<String>,
    /// Meta's `expiration` object (`{"timestamp": "…", "description": "…"}`), passed as is.
    #[serde(default)]
    pub expiration: Option<Value>,
    pub items: Vec<Item>,
    pub subtotal: Amount,
    pub tax: Amount,
    #[serde(default)]
    pub shipping: Option<Amount>,
    #[serde(default)]
    pub discount: Option<Amount>,
}

fn pending() -> String {
    "pending".into()
}

/// Checks a `reference_id`: 1 to 35 characters, English letters, digits, `_`, `-` and `.`.
///
/// # Errors
/// 400 naming `referenceId`.
pub fn check_reference(reference_id: &str) -> Result<(), HandlerError> {
    non_empty("referenceId", reference_id)?;
    check_len("referenceId", reference_id, limits::REFERENCE_ID)?;
    if let Some(c) = reference_id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(HandlerError::invalid(
            "referenceId",
            format!("contains {c:?}; WhatsApp accepts English letters, digits, `_`, `-` and `.`"),
        ));
    }
    Ok(())
}

/// Checks a currency code: three capital letters (ISO 4217).
///
/// # Errors
/// 400 naming `currency`.
pub fn check_currency(currency: &str) -> Result<(), HandlerError> {
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(HandlerError::invalid(
            "currency",
            "must be an ISO 4217 code of three capital letters (INR, BRL, SGD)",
        ));
    }
    Ok(())
}

/// Meta's `order` object, after checking the items and the sums against `total`.
///
/// # Errors
/// 400 naming the field.
pub fn order_json(order: &Order, total: &Amount) -> Result<Value, HandlerError> {
    total.check("totalAmount")?;
    if order.status != "pending" {
        return Err(HandlerError::invalid(
            "order.status",
            "must be `pending` in an order_details message",
        ));
    }
    if order.items.is_empty() {
        return Err(HandlerError::invalid(
            "order.items",
            "needs at least one item",
        ));
    }
    let mut items = Vec::new();
    let mut subtotal = 0i64;
    for (i, item) in order.items.iter().enumerate() {
        let at = format!("order.items[{i}]");
        non_empty(&format!("{at}.retailerId"), &item.retailer_id)?;
        check_len(
            &format!("{at}.retailerId"),
            &item.retailer_id,
            limits::RETAILER_ID,
        )?;
        non_empty(&format!("{at}.name"), &item.name)?;
        check_len(&format!("{at}.name"), &item.name, limits::ITEM_NAME)?;
        item.amount.check(&format!("{at}.amount"))?;
        if item.quantity < 1 {
            return Err(HandlerError::invalid(
                &format!("{at}.quantity"),
                "must be a whole number of at least 1",
            ));
        }
        let mut object = json!({"retailer_id": item.retailer_id, "name": item.name,
                                "amount": item.amount.json(), "quantity": item.quantity});
        let price = match &item.sale_amount {
            Some(sale) => {
                sale.check(&format!("{at}.saleAmount"))?;
                if sale.value >= item.amount.value {
                    return Err(HandlerError::invalid(
                        &format!("{at}.saleAmount"),
                        "must be less than the item's amount",
                    ));
                }
                object["sale_amount"] = sale.json();
                sale.value
            }
            None => item.amount.value,
        };
        subtotal = subtotal
            .checked_add(line_total(&at, price, item.quantity)?)
            .ok_or_else(|| HandlerError::invalid("order.items", "the sum is too large"))?;
        if let Some(c) = &item.country_of_origin {
            object["country_of_origin"] = json!(c);
        }
        if let Some(n) = &item.importer_name {
            object["importer_name"] = json!(n);
        }
        if let Some(a) = &item.importer_address {
            object["importer_address"] = a.clone();
        }
        items.push(object);
    }
    order.subtotal.check("order.subtotal")?;
    check_sum(
        "order.subtotal",
        order.subtotal.value,
        subtotal,
        "Σ (saleAmount or amount) × quantity of the items",
    )?;
    order.tax.check("order.tax")?;
    let mut expected = order.subtotal.value + order.tax.value;
    let mut object = Map::new();
    object.insert("status".into(), json!(order.status));
    if let Some(catalog) = &order.catalog_id {
        super::check_id("order.catalogId", catalog)?;
        object.insert("catalog_id".into(), json!(catalog));
    }
    if let Some(expiration) = &order.expiration {
        object.insert("expiration".into(), expiration.clone());
    }
    object.insert("items".into(), json!(items));
    object.insert("subtotal".into(), order.subtotal.json());
    object.insert("tax".into(), order.tax.json());
    if let Some(shipping) = &order.shipping {
        shipping.check("order.shipping")?;
        expected += shipping.value;
        object.insert("shipping".into(), shipping.json());
    }
    if let Some(discount) = &order.discount {
        discount.check("order.discount")?;
        expected -= discount.value;
        object.insert("discount".into(), discount.json());
    }
    check_sum(
        "totalAmount.value",
        total.value,
        expected,
        "order.subtotal + order.tax + order.shipping − order.discount",
    )?;
    Ok(Value::Object(object))
}

/// The statuses an `order_status` message may carry.
pub const ORDER_STATUSES: [&str; 6] = [
    "pending",
    "processing",
    "partially-shipped",
    "shipped",
    "completed",
    "canceled",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(value: i64) -> Amount {
        Amount {
            value,
            offset: 100,
            description: None,
        }
    }

    fn order(items: Vec<(i64, Option<i64>, i64)>, tax: i64) -> Order {
        Order {
            status: "pending".into(),
            catalog_id: None,
            expiration: None,
            items: items
                .into_iter()
                .enumerate()
                .map(|(i, (price, sale, quantity))| Item {
                    retailer_id: format!("sku-{i}"),
                    name: format!("Item {i}"),
                    amount: amount(price),
                    sale_amount: sale.map(amount),
                    quantity,
                    country_of_origin: None,
                    importer_name: None,
                    importer_address: None,
                })
                .collect(),
            subtotal: amount(0),
            tax: amount(tax),
            shipping: None,
            discount: None,
        }
    }

    #[test]
    fn the_sums_must_add_up() {
        let mut o = order(vec![(1000, None, 2), (500, Some(400), 1)], 100);
        o.subtotal = amount(2400);
        o.shipping = Some(amount(300));
        o.discount = Some(amount(200));
        let json = order_json(&o, &amount(2600)).unwrap();
        assert_eq!(
            json["items"][1]["sale_amount"],
            json!({"value": 400, "offset": 100})
        );
        let err = order_json(&o, &amount(2601)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `totalAmount.value`: is 2601; WhatsApp requires order.subtotal + \
             order.tax + order.shipping − order.discount = 2600"
        );
        o.subtotal = amount(2500);
        let err = order_json(&o, &amount(2700)).unwrap_err();
        assert!(
            err.to_string().contains("`order.subtotal`: is 2500"),
            "{err}"
        );
    }

    #[test]
    fn items_names_and_references_follow_metas_rules() {
        let mut o = order(vec![(100, None, 1)], 0);
        o.subtotal = amount(100);
        o.items[0].name = "n".repeat(61);
        let err = order_json(&o, &amount(100)).unwrap_err();
        assert!(
            err.to_string().contains("`order.items[0].name`: is 61"),
            "{err}"
        );
        o.items[0].name = "n".repeat(60);
        order_json(&o, &amount(100)).unwrap();
        o.items[0].quantity = 0;
        assert!(order_json(&o, &amount(0)).is_err());
        check_reference(&"r".repeat(35)).unwrap();
        let err = check_reference(&"r".repeat(36)).unwrap_err();
        assert!(
            err.to_string()
                .contains("is 36 characters; WhatsApp allows at most 35")
        );
        assert!(check_reference("a b").is_err());
        check_currency("INR").unwrap();
        assert!(check_currency("inr").is_err());
    }
}
