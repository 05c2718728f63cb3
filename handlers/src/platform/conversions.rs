//! `automatic_events`: the lead and purchase events Meta detects in a chat that started from a
//! click-to-WhatsApp ad. Each becomes a `CTWA_EVENT#{wamid}#{eventName}` item listed with the
//! customer's referrals (`CTWA#{customerId}` on `gsi-itemType`, newest first), so
//! `get_customer` shows the ad's clicks and what came of them together. The customer is the one
//! of the message the event names; when that message is not stored, the event is still kept by
//! its key, unlisted.

use serde_json::{Value, json};

use super::{FieldChange, FieldOutcome, business_phone, meta_time, text, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::model::{Direction, MessageItem};
use crate::store::StoreError;

pub const ITEM_TYPE: &str = "CTWA_EVENT";

/// The customer of a stored message: its sender when inbound, its recipient when outbound.
fn customer_of(m: &MessageItem) -> Option<String> {
    match m.direction {
        Direction::Inbound => m.from.clone().or_else(|| m.from_user_id.clone()),
        Direction::Outbound => m.to.clone().or_else(|| m.to_user_id.clone()),
    }
}

/// Meta's purchase `value` (the amount times 1000, a number or a string) as the amount.
fn amount(custom: Option<&Value>) -> Option<f64> {
    let raw = custom?.get("value")?;
    let thousandths = match raw {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    Some(thousandths / 1000.0)
}

/// Stores each element of `automatic_events[]`; one without a message id is poison (it names
/// nothing to attach to).
pub(super) async fn record(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<FieldOutcome, StoreError> {
    let mut outcome = FieldOutcome::default();
    let phone = business_phone(change.value);
    let events = change
        .value
        .get("automatic_events")
        .and_then(Value::as_array);
    for (i, event) in events.into_iter().flatten().enumerate() {
        let Some(message_id) = text(event, "id") else {
            outcome.poison.push(format!(
                "changes[{}] (automatic_events): automatic_events[{i}] needs id",
                change.index
            ));
            continue;
        };
        // Meta documents LeadSubmitted and Purchase; another name is stored as it came.
        let name = text(event, "event_name").unwrap_or_else(|| "UNNAMED".into());
        let at = meta_time(event.get("timestamp")).map_or_else(|| change.event_at.into(), |t| t.0);
        let message = tolerate(
            ctx.store().get_message(&message_id).await,
            "automatic event's message",
            &mut outcome,
        )?
        .flatten();
        let customer = message.as_ref().and_then(customer_of);
        let custom = event.get("custom_data").filter(|c| c.is_object());
        let mut item = json!({
            "pk": keys::ctwa_event(&message_id, &name),
            "itemType": ITEM_TYPE,
            "eventName": name,
            "waMessageId": message_id,
            "ctwaClid": text(event, "ctwa_clid"),
            "currency": custom.and_then(|c| text(c, "currency")),
            "value": amount(custom),
            "customData": custom,
            "phoneNumberId": phone.clone().or_else(|| message.as_ref().and_then(|m| m.phone_number_id.clone())),
            "wabaId": change.waba_id,
            "customerId": customer,
            "eventAt": at,
            "createdAt": at,
            "payload": event,
        });
        // The conversation is named under another attribute: `conversationPk` would list the
        // event among the conversation's messages.
        if let Some(map) = item.as_object_mut() {
            if let Some(conversation) = message.as_ref().and_then(|m| m.conversation_pk.clone()) {
                map.insert("conversation".into(), json!(conversation));
            }
            if let Some(customer) = &customer {
                map.insert(
                    "itemTypePk".into(),
                    json!(keys::item_type::ctwa_of_customer(customer)),
                );
            }
        }
        if tolerate(
            ctx.store().put_record(&item).await,
            "automatic event",
            &mut outcome,
        )?
        .is_some()
        {
            outcome.items += 1;
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purchase_value_is_meta_s_thousandths() {
        assert_eq!(amount(Some(&json!({"value": 25000}))), Some(25.0));
        assert_eq!(amount(Some(&json!({"value": "1500"}))), Some(1.5));
        assert_eq!(amount(Some(&json!({"currency": "USD"}))), None);
    }
}
