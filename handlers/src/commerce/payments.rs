//! Payments: one `PAYMENT#{phone}#{referenceId}` item per payment request, written by
//! `send_order_details` (status `new`) and by Meta's payment status webhooks, which arrive as
//! `statuses[]` entries of a `messages` change with `"type": "payment"`:
//!
//! ```json
//! {"id": "…", "type": "payment", "status": "captured", "timestamp": "1763632900",
//!  "recipient_id": "16505551234",
//!  "payment": {"reference_id": "ORD-1", "amount": {"value": 8550, "offset": 100},
//!              "currency": "INR",
//!              "transaction": {"id": "pay_1", "type": "razorpay", "status": "success",
//!                              "created_timestamp": 1763632890, "updated_timestamp": 1763632900,
//!                              "refunds": []}}}
//! ```
//!
//! Each write is one [`Store::merge_record`]: facts in the set part, and the status with its
//! transaction in the forward part, by [`rank`]. So a redelivered or late webhook never moves
//! a payment back, and the order of arrival does not change the result. A payment linked to an
//! order (`orderId`, from the send) moves the order to `paid` when it is captured.

use serde_json::{Map, Value, json};

use super::orders;
use crate::keys;
use crate::store::{Forward, Store, StoreError};
use crate::time;

/// The item type of a payment.
pub const ITEM_TYPE: &str = "PAYMENT";

/// The base rank of each payment status (before refunds, see [`rank`]). `new` is ours: the
/// request was sent and nothing is known of a payment yet.
pub const STATUSES: [(&str, i64); 5] = [
    ("new", 0),
    ("pending", 10),
    ("failed", 20),
    ("canceled", 25),
    ("captured", 30),
];

/// A status Meta may add later ranks just above `new`: it is kept, and any known status after
/// it wins.
const UNKNOWN: i64 = 5;

/// The rank of a payment status: the status's base rank times 100 plus the number of refunds
/// of its transaction (refunds only accumulate, so a webhook with a new refund moves a captured
/// payment forward, and an older one with fewer does not).
pub fn rank(status: &str, refunds: usize) -> i64 {
    let base = STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(UNKNOWN, |(_, r)| *r);
    base * 100 + refunds.min(99) as i64
}

/// True for a `statuses[]` entry that is a payment status rather than a message status.
pub fn is_payment(status: &Value) -> bool {
    status.get("type").and_then(Value::as_str) == Some("payment")
}

/// What one payment webhook did.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentApplied {
    /// The payment moved forward (and `order_paid` when it moved its order to `paid`).
    Applied { order_paid: bool },
    /// A duplicate or older status: nothing changed.
    Stale,
    /// Not a usable payment status (the reason), counted as poison.
    Invalid(String),
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Applies one payment status webhook of the business phone `phone`.
///
/// # Errors
/// The store's.
pub async fn apply_webhook(
    store: &dyn Store,
    status: &Value,
    phone: &str,
    waba_id: &str,
    now: &str,
) -> Result<PaymentApplied, StoreError> {
    let payment = status.get("payment").cloned().unwrap_or(Value::Null);
    let Some(reference_id) = text(&payment, "reference_id").filter(|r| !r.is_empty()) else {
        return Ok(PaymentApplied::Invalid(
            "payment status without payment.reference_id".into(),
        ));
    };
    let Some(state) = text(status, "status").filter(|s| !s.is_empty()) else {
        return Ok(PaymentApplied::Invalid(format!(
            "payment status of {reference_id} without status"
        )));
    };
    let state = state.to_ascii_lowercase();
    let at = status
        .get("timestamp")
        .and_then(time::from_meta_timestamp)
        .unwrap_or_else(|| now.to_string());
    let transaction = payment.get("transaction").cloned();
    let refunds = transaction
        .as_ref()
        .and_then(|t| t.get("refunds"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);

    let mut set = Map::new();
    set.insert("itemType".into(), json!(ITEM_TYPE));
    set.insert(
        "itemTypePk".into(),
        json!(keys::item_type::payments_of_phone(phone)),
    );
    set.insert("referenceId".into(), json!(reference_id));
    set.insert("phoneNumberId".into(), json!(phone));
    set.insert("wabaId".into(), json!(waba_id));
    set.insert("createdAt".into(), json!(at));
    set.insert("updatedAt".into(), json!(now));
    let customer = text(status, "recipient_id").or_else(|| text(status, "recipient_user_id"));
    if let Some(customer) = &customer {
        set.insert("customerId".into(), json!(customer));
        set.insert(
            "conversation".into(),
            json!(keys::conversation(phone, customer)),
        );
    }
    for key in ["amount", "currency"] {
        if let Some(v) = payment.get(key).filter(|v| !v.is_null()) {
            set.insert(key.into(), v.clone());
        }
    }
    let mut attrs = json!({
        "status": state,
        "statusAt": at,
        format!("{state}At"): at,
        "webhookId": text(status, "id"),
        "payment": payment,
    });
    if let Some(t) = transaction {
        attrs["transaction"] = t;
    }
    let forward = Forward {
        rank_attr: "statusRank",
        rank: rank(&state, refunds),
        attrs,
    };
    let pk = keys::payment(phone, &reference_id);
    if !store
        .merge_record(&pk, &Value::Object(set), Some(&forward))
        .await?
    {
        return Ok(PaymentApplied::Stale);
    }
    let mut order_paid = false;
    if state == "captured" {
        order_paid = mark_order_paid(store, &pk, now).await?;
    }
    Ok(PaymentApplied::Applied { order_paid })
}

/// A captured payment moves its order (when the request named one) to `paid`, forward only.
async fn mark_order_paid(store: &dyn Store, pk: &str, now: &str) -> Result<bool, StoreError> {
    let Some(item) = store.get_item(pk).await? else {
        return Ok(false);
    };
    let Some(order_id) = item.get("orderId").and_then(Value::as_str) else {
        return Ok(false);
    };
    if orders::get(store, order_id).await?.is_none() {
        return Ok(false);
    }
    orders::advance(store, order_id, "paid", None, now).await
}

/// What `send_order_details` records of the payment request it sent.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub phone: &'a str,
    pub reference_id: &'a str,
    pub order_id: Option<&'a str>,
    pub conversation: &'a str,
    pub customer_id: &'a str,
    pub wa_message_id: &'a str,
    pub total_amount: Value,
    pub currency: &'a str,
    pub payment_type: Option<&'a str>,
    pub payment_configuration: Option<&'a str>,
    pub now: &'a str,
}

/// Records a sent payment request: its facts, and the status `new` unless a webhook already
/// brought a later one.
///
/// # Errors
/// The store's.
pub async fn record_request(store: &dyn Store, r: &Request<'_>) -> Result<(), StoreError> {
    let mut set = json!({
        "itemType": ITEM_TYPE,
        "itemTypePk": keys::item_type::payments_of_phone(r.phone),
        "referenceId": r.reference_id,
        "phoneNumberId": r.phone,
        "conversation": r.conversation,
        "customerId": r.customer_id,
        "requestMessageId": r.wa_message_id,
        "amount": r.total_amount,
        "currency": r.currency,
        "requestedAt": r.now,
        "createdAt": r.now,
        "updatedAt": r.now,
    });
    for (key, value) in [
        ("orderId", r.order_id),
        ("paymentType", r.payment_type),
        ("paymentConfiguration", r.payment_configuration),
    ] {
        if let Some(v) = value {
            set[key] = json!(v);
        }
    }
    let forward = Forward {
        rank_attr: "statusRank",
        rank: rank("new", 0),
        attrs: json!({"status": "new", "statusAt": r.now}),
    };
    store
        .merge_record(
            &keys::payment(r.phone, r.reference_id),
            &set,
            Some(&forward),
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_move_forward_through_statuses_and_refunds() {
        assert!(rank("new", 0) < rank("pending", 0));
        assert!(rank("pending", 0) < rank("failed", 0));
        assert!(rank("failed", 0) < rank("captured", 0));
        assert!(rank("captured", 0) < rank("captured", 1));
        assert!(rank("new", 0) < rank("authorized", 0), "unknown after new");
        assert!(rank("authorized", 3) < rank("pending", 0));
        assert!(is_payment(&json!({"type": "payment"})));
        assert!(!is_payment(&json!({"status": "read"})));
    }
}
