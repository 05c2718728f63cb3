//! Wix eCommerce order webhooks. Wix posts a JWT (RS256, signed with the app's key; verified at
//! the door, `src/intake/webhooks/wix.rs`) whose claims nest three layers:
//! `{data: "<json>"}` → `{eventType, instanceId, data: "<json>"}` → the event
//! (`{id, entityId, eventTime, createdEvent | updatedEvent | actionEvent}`).
//!
//! Order events (`wix.ecom.v1.order_created`, `_updated`, `_approved`, `_canceled`,
//! `_payment_status_updated`, ...) carry the eCom `Order`: in `createdEvent.entity(AsJson)`,
//! `updatedEvent.currentEntity(AsJson)`, or `actionEvent.body(AsJson).order`. The legacy Stores
//! events (`orderId` at the top of the event) are read too. Other event types are ignored.

use serde_json::Value;

use super::{ShopError, ShopOrder, ShopWebhook};

pub struct Wix;

/// Wix's nested JSON: a string holding JSON, or the object itself.
fn nested(value: Option<&Value>) -> Option<Value> {
    match value? {
        Value::String(text) => serde_json::from_str(text).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first(value: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| text(value, p))
}

fn error(reason: impl Into<String>) -> ShopError {
    ShopError {
        shop: "wix",
        reason: reason.into(),
    }
}

/// The order object of an event.
fn order_of(event: &Value) -> Option<Value> {
    if let Some(created) = event.get("createdEvent") {
        return nested(created.get("entity")).or_else(|| nested(created.get("entityAsJson")));
    }
    if let Some(updated) = event.get("updatedEvent") {
        return nested(updated.get("currentEntity"))
            .or_else(|| nested(updated.get("currentEntityAsJson")));
    }
    if let Some(action) = event.get("actionEvent") {
        let body = nested(action.get("body")).or_else(|| nested(action.get("bodyAsJson")))?;
        return body.get("order").cloned().or(Some(body));
    }
    event.get("orderId").map(|_| event.clone())
}

impl ShopWebhook for Wix {
    fn name(&self) -> &'static str {
        "wix"
    }

    fn key_prefix(&self) -> &'static str {
        "WIX"
    }

    fn order(&self, payload: &Value) -> Result<Option<ShopOrder>, ShopError> {
        let outer =
            nested(payload.get("data")).ok_or_else(|| error("the JWT has no `data` claim"))?;
        let event_type = text(&outer, "/eventType").ok_or_else(|| error("no `eventType`"))?;
        let Some(event_name) = event_type
            .rsplit_once(".order_")
            .or_else(|| event_type.rsplit_once("Order"))
            .map(|(_, e)| e.to_string())
        else {
            return Ok(None);
        };
        let event = nested(outer.get("data"))
            .ok_or_else(|| error(format!("`{event_type}` has no event data")))?;
        let order =
            order_of(&event).ok_or_else(|| error(format!("`{event_type}` carries no order")))?;
        let order_id = first(&order, &["/id", "/orderId"])
            .or_else(|| text(&event, "/entityId"))
            .ok_or_else(|| error(format!("`{event_type}` order has no id")))?;
        let contact = |p: &str| {
            first(
                &order,
                &[
                    &format!("/billingInfo/contactDetails/{p}"),
                    &format!("/recipientInfo/contactDetails/{p}"),
                    &format!("/shippingInfo/logistics/shippingDestination/contactDetails/{p}"),
                    &format!("/buyerInfo/{p}"),
                ],
            )
        };
        let buyer_name = match (contact("firstName"), contact("lastName")) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (f, l) => f.or(l),
        };
        let currency = first(&order, &["/currency"]);
        let total = first(&order, &["/priceSummary/total/formattedAmount"]).or_else(|| {
            let amount = first(&order, &["/priceSummary/total/amount", "/totals/total"])?;
            Some(
                currency
                    .as_ref()
                    .map_or(amount.clone(), |c| format!("{amount} {c}")),
            )
        });
        let event_time = first(&event, &["/eventTime"])
            .or_else(|| first(&order, &["/updatedDate", "/createdDate", "/dateCreated"]))
            .unwrap_or_else(crate::time::now_iso);
        Ok(Some(ShopOrder {
            order_id,
            number: first(&order, &["/number"]),
            event: event_name.to_ascii_lowercase(),
            event_id: text(&event, "/id"),
            event_time,
            status: first(&order, &["/status"]),
            payment_status: first(&order, &["/paymentStatus"]),
            fulfillment_status: first(&order, &["/fulfillmentStatus"]),
            buyer_name,
            buyer_phone: contact("phone"),
            buyer_email: first(&order, &["/buyerInfo/email"]),
            total,
            currency,
            site_id: text(&outer, "/instanceId"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The claims of a JWT as Wix nests them (strings holding JSON).
    pub fn claims(event_type: &str, event: &Value) -> Value {
        let outer =
            json!({"eventType": event_type, "instanceId": "site-1", "data": event.to_string()});
        json!({"data": outer.to_string(), "iat": 1_763_632_800})
    }

    #[test]
    fn an_ecom_order_created_event_is_read() {
        let order = json!({
            "id": "a1b2", "number": "10042", "status": "APPROVED", "paymentStatus": "PAID",
            "currency": "EUR", "buyerInfo": {"email": "ana@example.com"},
            "billingInfo": {"contactDetails": {"firstName": "Ana", "lastName": "García", "phone": "+34 612 345 678"}},
            "priceSummary": {"total": {"amount": "42.00", "formattedAmount": "€42.00"}}
        });
        let event = json!({"id": "evt-1", "entityId": "a1b2", "eventTime": "2026-01-02T10:00:00.000Z",
            "createdEvent": {"entityAsJson": order.to_string()}});
        let read = Wix
            .order(&claims("wix.ecom.v1.order_created", &event))
            .unwrap()
            .unwrap();
        assert_eq!(read.order_id, "a1b2");
        assert_eq!(read.event, "created");
        assert_eq!(read.number.as_deref(), Some("10042"));
        assert_eq!(read.buyer_name.as_deref(), Some("Ana García"));
        assert_eq!(read.buyer_phone.as_deref(), Some("+34 612 345 678"));
        assert_eq!(read.total.as_deref(), Some("€42.00"));
        assert_eq!(read.site_id.as_deref(), Some("site-1"));
        assert!(Wix.confirms(&read));

        let canceled = json!({"id": "evt-2", "entityId": "a1b2", "actionEvent": {"body": {"order": {"id": "a1b2", "status": "CANCELED"}}}});
        let read = Wix
            .order(&claims("wix.ecom.v1.order_canceled", &canceled))
            .unwrap()
            .unwrap();
        assert_eq!(
            (read.event.as_str(), read.status.as_deref()),
            ("canceled", Some("CANCELED"))
        );
        assert!(!Wix.confirms(&read));
    }

    #[test]
    fn other_events_are_ignored_and_broken_ones_refused() {
        let contact = json!({"id": "e", "createdEvent": {"entity": {"id": "c"}}});
        assert_eq!(
            Wix.order(&claims("wix.contacts.v4.contact_created", &contact))
                .unwrap(),
            None
        );
        assert_eq!(
            Wix.order(&json!({"iat": 1})).unwrap_err().to_string(),
            "wix webhook: the JWT has no `data` claim"
        );
        let empty = json!({"id": "e"});
        assert_eq!(
            Wix.order(&claims("wix.ecom.v1.order_created", &empty))
                .unwrap_err()
                .reason,
            "`wix.ecom.v1.order_created` carries no order"
        );
    }
}
