//! `send_order_details`: the payment request (review and pay) of an order, an
//! `order_details` interactive message. The request is recorded as a PAYMENT item (status
//! `new`) that the payment status webhooks move forward.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::interactive::Frame;
use crate::commerce::details::{self, Order};
use crate::commerce::money::Amount;
use crate::commerce::{orders, payments};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::params::ids::{ReferenceId, WaMessageId};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_order_details";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a payment request (order_details, review and pay) and records it as a PAYMENT; \
     Meta offers payments in India, Brazil and Singapore only."
);

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Goods {
    DigitalGoods,
    PhysicalGoods,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub frame: Frame,
    /// The business's unique id of this payment request: 1 to 35 English letters, digits, `_`,
    /// `-` or `.`. The payment webhooks name it.
    #[serde(alias = "reference_id")]
    pub reference_id: ReferenceId,
    /// `physical-goods` (default) or `digital-goods` (Meta's `type`).
    #[serde(default = "physical", alias = "goods_type")]
    pub goods_type: Goods,
    /// Meta's `payment_type` (`upi` in India, `br` in Brazil).
    #[serde(default, alias = "payment_type")]
    pub payment_type: Option<String>,
    /// The name of the payment configuration set up in WhatsApp Manager (India).
    #[serde(default, alias = "payment_configuration")]
    pub payment_configuration: Option<String>,
    /// Meta's `payment_settings` list as is (Brazil: Pix, payment links, boleto).
    #[serde(default, alias = "payment_settings")]
    pub payment_settings: Option<Vec<Value>>,
    /// ISO 4217 code (INR, BRL, SGD).
    pub currency: String,
    /// {"value", "offset": 100}: must equal subtotal + tax + shipping − discount.
    #[serde(alias = "total_amount")]
    pub total_amount: Amount,
    /// {"items": [{"retailerId", "name", "amount", "quantity", ...}], "subtotal", "tax",
    /// "shipping", "discount", "catalogId", "expiration"}.
    pub order: Order,
    /// The ORDER this request is for (its wamid): the payment is linked to it, and a captured
    /// payment moves it to `paid`.
    #[serde(default, alias = "order_id")]
    pub order_id: Option<WaMessageId>,
    #[serde(flatten)]
    pub common: SendCommon,
}

fn physical() -> Goods {
    Goods::PhysicalGoods
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    details::check_reference(&p.reference_id)?;
    details::check_currency(&p.currency)?;
    let order = details::order_json(&p.order, &p.total_amount)?;
    let mut parameters = Map::new();
    parameters.insert("reference_id".into(), json!(p.reference_id));
    let goods = match p.goods_type {
        Goods::DigitalGoods => "digital-goods",
        Goods::PhysicalGoods => "physical-goods",
    };
    parameters.insert("type".into(), json!(goods));
    for (key, value) in [
        ("payment_type", &p.payment_type),
        ("payment_configuration", &p.payment_configuration),
    ] {
        if let Some(v) = value {
            crate::params::non_empty(key, v)?;
            parameters.insert(key.into(), json!(v));
        }
    }
    if let Some(settings) = &p.payment_settings {
        parameters.insert("payment_settings".into(), json!(settings));
    }
    parameters.insert("currency".into(), json!(p.currency));
    parameters.insert("total_amount".into(), p.total_amount.json());
    parameters.insert("order".into(), order);
    if let Some(order_id) = &p.order_id
        && orders::get(ctx.store(), order_id).await?.is_none()
    {
        return Err(HandlerError::NotFound(format!(
            "no order with orderId `{order_id}`"
        )));
    }
    let action = json!({"name": "review_and_pay", "parameters": parameters});
    let out = p.frame.outgoing("order_details", action)?;
    let sent = outbound::send(ctx, &p.common, out).await?;
    let customer = crate::keys::parse_conversation(&sent.conversation_pk)
        .map(|(_, c)| c.to_string())
        .unwrap_or_default();
    let now = crate::time::now_iso();
    let request = payments::Request {
        phone: &sent.phone_number_id,
        reference_id: &p.reference_id,
        order_id: p.order_id.as_deref(),
        conversation: &sent.conversation_pk,
        customer_id: &customer,
        wa_message_id: &sent.wa_message_id,
        total_amount: p.total_amount.json(),
        currency: &p.currency,
        payment_type: p.payment_type.as_deref(),
        payment_configuration: p.payment_configuration.as_deref(),
        now: &now,
    };
    let recorded = match payments::record_request(ctx.store(), &request).await {
        Ok(()) => match &p.order_id {
            Some(id) => orders::link_payment(ctx.store(), id, &p.reference_id, &now).await,
            None => Ok(()),
        },
        Err(e) => Err(e),
    };
    recorded.map_err(|source| HandlerError::SentNotRecorded {
        wa_message_id: sent.wa_message_id.clone(),
        source,
    })?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};

    #[tokio::test]
    async fn sends_metas_review_and_pay_action() {
        let p = params(send_request(json!({
            "body": "Your order", "referenceId": "ORD-1", "paymentType": "upi",
            "paymentConfiguration": "my-config", "currency": "INR",
            "totalAmount": {"value": 1100, "offset": 100},
            "order": {"items": [{"retailerId": "sku", "name": "Tea", "amount": {"value": 500}, "quantity": 2}],
                      "subtotal": {"value": 1000}, "tax": {"value": 100, "description": "GST"}}
        })));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["interactive"]["action"],
            json!({"name": "review_and_pay", "parameters": {
                "reference_id": "ORD-1", "type": "physical-goods", "payment_type": "upi",
                "payment_configuration": "my-config", "currency": "INR",
                "total_amount": {"value": 1100, "offset": 100},
                "order": {"status": "pending",
                          "items": [{"retailer_id": "sku", "name": "Tea", "amount": {"value": 500, "offset": 100}, "quantity": 2}],
                          "subtotal": {"value": 1000, "offset": 100},
                          "tax": {"value": 100, "offset": 100, "description": "GST"}}}})
        );
        assert_eq!(out.message["interactive"]["type"], "order_details");
    }
}
