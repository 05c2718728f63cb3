//! `simulate_status`: local mode only. Plays sent, delivered and read statuses for a sandbox
//! send through the real inbound path, as EUM Social would publish them.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::inbound::{Delivery, process_delivery};
use crate::model::MessageItem;
use crate::params::ids::WaMessageId;
use crate::registry::ActionSpec;

pub const NAME: &str = "simulate_status";

pub const SPEC: ActionSpec = crate::action_spec!(
    Utility,
    Manage,
    "Sandbox only: plays back statuses (default sent, delivered, read) for a sent message through the inbound path."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// A message sent with the sandbox sender.
    #[serde(alias = "wa_message_id", alias = "messageId")]
    pub wa_message_id: WaMessageId,
    /// In order, default ["sent", "delivered", "read"]; "failed" too.
    #[serde(default = "all")]
    pub statuses: Vec<Playable>,
}

/// The statuses Meta sends for a delivered (or undeliverable) message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Playable {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl Playable {
    fn as_str(self) -> &'static str {
        match self {
            Playable::Sent => "sent",
            Playable::Delivered => "delivered",
            Playable::Read => "read",
            Playable::Failed => "failed",
        }
    }
}

fn all() -> Vec<Playable> {
    vec![Playable::Sent, Playable::Delivered, Playable::Read]
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<MessageItem, HandlerError> {
    if !ctx.sender().is_sandbox() {
        return Err(HandlerError::invalid(
            "action",
            "simulate_status only plays back statuses for the local sandbox sender; real statuses come from EUM Social",
        ));
    }
    let message = ctx
        .store()
        .get_message(&p.wa_message_id)
        .await?
        .ok_or_else(|| {
            HandlerError::NotFound(format!("no message with waMessageId `{}`", p.wa_message_id))
        })?;
    let phone = message.phone_number_id.clone().unwrap_or_default();
    let customer = message.to.clone().unwrap_or_default();
    // One second apart, ending now.
    let base = chrono::Utc::now().timestamp() - p.statuses.len() as i64;
    for (i, &playable) in p.statuses.iter().enumerate() {
        let status = playable.as_str();
        let mut s = json!({"id": p.wa_message_id, "status": status, "timestamp": (base + i as i64).to_string(), "recipient_id": customer});
        if playable == Playable::Failed {
            s["errors"] = json!([{"code": 131026, "title": "Message undeliverable (sandbox)", "error_data": {"details": "simulated failure"}}]);
        }
        let entry = json!({"id": message.waba_id.clone().unwrap_or_else(|| "sandbox-waba".into()), "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": phone, "phone_number_id": phone},
            "statuses": [s]
        }}]});
        let body = json!({"context": {}, "whatsAppWebhookEntry": entry.to_string(), "messageId": format!("sandbox-{status}")}).to_string();
        let id = format!("sandbox-{}-{status}", p.wa_message_id);
        process_delivery(
            ctx,
            &Delivery {
                source: "sandbox",
                id: &id,
                body: &body,
            },
        )
        .await?;
    }
    Ok(ctx
        .store()
        .get_message(&p.wa_message_id)
        .await?
        .unwrap_or(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params};
    use serde_json::json;

    #[test]
    fn plays_sent_delivered_read_by_default_and_refuses_unknown_statuses() {
        let p: Params = params(json!({"waMessageId": "wamid.A"}));
        assert_eq!(p.statuses, all());
        let err = crate::params::parse::<Params>(
            json!({"waMessageId": "w", "statuses": ["read", "seen"]}),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid parameter `statuses[1]`: unknown variant `seen`"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_unknown_message_is_404() {
        let err = run(&ctx(), params(json!({"waMessageId": "wamid.nope"})))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
    }
}
