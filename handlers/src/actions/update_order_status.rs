//! `update_order_status`: moves an order forward (received → confirmed → paid → processing →
//! partially_shipped → shipped → delivered → completed, or canceled, refunded) and tells the
//! customer with a text or a template. A status before the order's is refused (409); the same
//! status again changes nothing and retries the notification without sending it twice.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::list_orders::statuses;
use super::{send_template, send_text};
use crate::commerce::orders::{self, OrderRecord};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::SendCommon;
use crate::params::ids::{Bsuid, PhoneNumber, PhoneNumberId, WaMessageId};
use crate::params::{self, check_len};
use crate::registry::ActionSpec;

pub const NAME: &str = "update_order_status";

pub const SPEC: ActionSpec = crate::action_spec!(
    Commerce,
    Send,
    "Moves an order's status forward (never back) and notifies the customer with a text or a \
     template."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The order's id: the wamid of the customer's `order` message.
    #[serde(alias = "order_id")]
    pub order_id: WaMessageId,
    /// The new status: confirmed, paid, processing, partially_shipped, shipped, delivered,
    /// completed, canceled or refunded.
    pub status: String,
    /// A note kept with the status (not sent), at most 512 characters.
    #[schemars(length(max = 512))]
    #[serde(default)]
    pub note: Option<String>,
    /// Tell the customer with this text (inside the 24-hour window).
    #[schemars(length(max = crate::params::bounds::TEXT))]
    #[serde(default, alias = "notify_text")]
    pub notify_text: Option<String>,
    /// Tell the customer with this template: send_template's parameters
    /// (`{"name", "language", "body": [...], ...}`); works outside the window.
    #[serde(default, alias = "notify_template")]
    pub notify_template: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_message_id: Option<String>,
    /// True when this notification had been sent before (a retry); nothing was sent now.
    pub replayed: bool,
    /// Why it was not sent (the status was updated all the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_status: Option<u16>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub order: OrderRecord,
    /// False when the order already had this status (nothing changed).
    pub changed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<Notification>,
}

/// The idempotency key of an order's notification for one status: a retry never sends twice.
fn notification_key(order_id: &str, status: &str) -> String {
    let digest = Sha256::digest(order_id.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("order-{hex}-{status}")
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let order_id = p.order_id.trim();
    params::non_empty("orderId", order_id)?;
    let Some(rank) = orders::rank(&p.status) else {
        return Err(HandlerError::invalid(
            "status",
            format!(
                "is `{}`; an order status is one of {}",
                p.status,
                statuses()
            ),
        ));
    };
    if let Some(note) = &p.note {
        check_len("note", note, 512)?;
    }
    if p.notify_text.is_some() && p.notify_template.is_some() {
        return Err(HandlerError::invalid(
            "notifyTemplate",
            "give either `notifyText` or `notifyTemplate`, not both",
        ));
    }
    if let Some(t) = &p.notify_text {
        params::non_empty("notifyText", t)?;
        check_len("notifyText", t, 4096)?;
    }
    if p.notify_template.as_ref().is_some_and(|t| !t.is_object()) {
        return Err(HandlerError::invalid(
            "notifyTemplate",
            "must be an object of send_template's parameters",
        ));
    }
    let store = ctx.store();
    let order = orders::get(store, order_id)
        .await?
        .ok_or_else(|| HandlerError::NotFound(format!("no order with orderId `{order_id}`")))?;
    if rank < order.status_rank {
        return Err(HandlerError::Conflict(format!(
            "order `{order_id}` is `{}`; its status only moves forward ({})",
            order.status,
            statuses()
        )));
    }
    let now = crate::time::now_iso();
    let changed = orders::advance(store, order_id, &p.status, p.note.as_deref(), &now).await?;
    let order = orders::get(store, order_id)
        .await?
        .ok_or_else(|| HandlerError::Internal(format!("order `{order_id}` vanished")))?;
    if !changed && order.status != p.status {
        // a concurrent update took the order further first
        return Err(HandlerError::Conflict(format!(
            "order `{order_id}` is now `{}`; its status only moves forward",
            order.status
        )));
    }
    let notification = notify(ctx, &order, &p).await;
    Ok(Output {
        order,
        changed,
        notification,
    })
}

/// Sends the notification, if one was asked for; its failure is reported, not raised.
async fn notify(ctx: &Ctx, order: &OrderRecord, p: &Params) -> Option<Notification> {
    let common = SendCommon {
        to: order.wa_id.clone().map(PhoneNumber::from_trusted),
        recipient: order
            .wa_id
            .is_none()
            .then(|| order.user_id.clone().map(Bsuid::from_trusted))
            .flatten(),
        phone_number_id: Some(PhoneNumberId::from_trusted(&order.phone_number_id)),
        idempotency_key: Some(notification_key(&order.order_id, &p.status)),
        ..Default::default()
    };
    let sent = if let Some(text) = &p.notify_text {
        let params = send_text::Params {
            text: text.clone(),
            preview_url: false,
            common,
        };
        send_text::run(ctx, params).await
    } else if let Some(template) = &p.notify_template {
        let mut request = template.clone();
        for (key, value) in [
            ("to", json!(common.to)),
            ("recipient", json!(common.recipient)),
            ("phoneNumberId", json!(common.phone_number_id)),
            ("idempotencyKey", json!(common.idempotency_key)),
        ] {
            request[key] = value;
        }
        match params::parse::<send_template::Params>(request) {
            Ok(params) => send_template::run(ctx, params).await,
            Err(e) => Err(e),
        }
    } else {
        return None;
    };
    Some(match sent {
        Ok(out) => Notification {
            wa_message_id: Some(out.wa_message_id),
            replayed: out.replayed,
            error: None,
            error_status: None,
        },
        Err(e) => Notification {
            wa_message_id: None,
            replayed: false,
            error_status: Some(e.status()),
            error: Some(e.public_message()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_keys_are_valid_idempotency_keys() {
        let key = notification_key(&format!("wamid.{}", "x".repeat(200)), "partially_shipped");
        assert!(key.len() <= crate::outbound::MAX_KEY_LEN, "{key}");
        assert!(key.chars().all(|c| c.is_ascii_graphic()), "{key}");
        assert_ne!(key, notification_key("wamid.A", "shipped"));
    }
}
