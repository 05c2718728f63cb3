//! Firing a rule: the opt-out it sets, its cooldown lease, and its reply through the send
//! pipeline under the key `automation:{trigger id}`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::model::{AutomationItem, Kind, Reply};
use crate::actions::{send_template, send_text};
use crate::analytics::counters::AUTOMATION_KEY_PREFIX;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::platform::customers::{self, Preference};
use crate::store::Lease;

/// What firing a rule did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The reply was sent, or had been (`replayed`: a redelivery of the same message).
    Sent {
        wa_message_id: String,
        replayed: bool,
    },
    /// The rule answered this customer less than its cooldown ago.
    Cooldown,
    /// The reply could not be sent (the reason, for the log).
    Failed(String),
}

/// The idempotency key of the reply to `trigger_id` (an inbound wamid or request id).
pub fn reply_key(trigger_id: &str) -> String {
    format!("{AUTOMATION_KEY_PREFIX}{trigger_id}")
}

/// The cooldown lease of a rule for one conversation, held by `trigger_id` from `now`.
pub fn cooldown_lease(rule: &AutomationItem, conv: &str, trigger_id: &str, now: i64) -> Lease {
    Lease {
        pk: keys::automation_cooldown(&rule.id, conv),
        holder: trigger_id.to_string(),
        now,
        until: now + rule.rule.cooldown(),
        attrs: json!({"itemType": "AUTOMATION_COOLDOWN", "ruleId": rule.id, "conversationPk": conv}),
    }
}

/// Fires `rule` for the customer's message `trigger_id` (Meta's time `at`).
pub async fn fire(
    ctx: &Ctx,
    rule: &AutomationItem,
    phone: &str,
    conv: &str,
    customer_id: &str,
    trigger_id: &str,
    at: DateTime<Utc>,
) -> Outcome {
    if rule.rule.kind == Kind::OptOut {
        let now = crate::time::now_iso();
        let when = crate::time::iso(at);
        let preference = Preference {
            customer_id,
            opted_out: true,
            at: &when,
            rank: at.timestamp_millis(),
            source: "automation",
            detail: Some("sent an opt-out keyword"),
            phone_number_id: Some(phone),
            waba_id: None,
            now: &now,
        };
        if let Err(e) = customers::merge_preference(ctx, &preference).await {
            return Outcome::Failed(format!("opt-out not stored: {e}"));
        }
    }
    let lease = cooldown_lease(rule, conv, trigger_id, Utc::now().timestamp());
    match ctx.store().claim_lease(&lease).await {
        Ok(true) => {}
        Ok(false) => return Outcome::Cooldown,
        Err(e) => return Outcome::Failed(format!("cooldown not claimed: {e}")),
    }
    match send(
        ctx,
        &rule.rule.reply,
        phone,
        customer_id,
        &reply_key(trigger_id),
    )
    .await
    {
        Ok(out) => Outcome::Sent {
            wa_message_id: out.wa_message_id,
            replayed: out.replayed,
        },
        Err(e) => Outcome::Failed(format!("rule {}: {}", rule.id, e.public_message())),
    }
}

async fn send(
    ctx: &Ctx,
    reply: &Reply,
    phone: &str,
    customer_id: &str,
    key: &str,
) -> Result<crate::outbound::SendOutput, HandlerError> {
    let mut request = json!({"phoneNumberId": phone, "idempotencyKey": key});
    let to = if customer_id.chars().all(|c| c.is_ascii_digit()) {
        "to"
    } else {
        "recipient"
    };
    request[to] = json!(customer_id);
    match (&reply.text, &reply.template) {
        (Some(text), _) => {
            request["text"] = json!(text);
            send_text::run(ctx, serde_json::from_value(request)?).await
        }
        (None, Some(t)) => {
            request["name"] = json!(t.name);
            request["language"] = json!(t.language);
            request["body"] = json!(t.body);
            if let Some(c) = &t.components {
                request["components"] = json!(c);
            }
            send_template::run(ctx, serde_json::from_value(request)?).await
        }
        (None, None) => Err(HandlerError::invalid("reply", "the rule has no reply")),
    }
}

/// What the reply would look like in Meta's JSON (`type` and its object), for `test_automation`.
pub fn reply_preview(reply: &Reply) -> Value {
    match (&reply.text, &reply.template) {
        (Some(text), _) => json!({"type": "text", "text": {"body": text}}),
        (None, Some(t)) => {
            let components = t.components.clone().unwrap_or_else(|| {
                if t.body.is_empty() {
                    Vec::new()
                } else {
                    vec![
                        json!({"type": "body", "parameters": t.body.iter().map(|p| match p {
                        Value::String(s) => json!({"type": "text", "text": s}),
                        other => other.clone(),
                    }).collect::<Vec<_>>()}),
                    ]
                }
            });
            json!({"type": "template", "template": {"name": t.name, "language": {"code": t.language}, "components": components}})
        }
        (None, None) => Value::Null,
    }
}
