//! `test_automation`: which rule would fire for a message, and what it would send, without
//! sending anything or claiming a cooldown.

use chrono::{Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::automations::{self, Incoming, Kind};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::Direction;
use crate::params::ids::{CustomerId, PhoneNumberId};
use crate::params::{self, lenient};
use crate::registry::ActionSpec;
use crate::store::PageRequest;
use crate::time;

pub const NAME: &str = "test_automation";

pub const SPEC: ActionSpec = crate::action_spec!(
    Automations,
    Read,
    "Says which automation rule would fire for a message and what it would send, without sending."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The customer's message text.
    #[schemars(length(max = crate::params::bounds::TEXT))]
    #[serde(default)]
    pub text: Option<String>,
    /// The customer (wa_id or BSUID): their conversation decides "first message", the
    /// 24-hour window and the cooldown.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default, alias = "customer_id", alias = "to")]
    pub customer_id: Option<CustomerId>,
    /// Defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// The message's time (ISO-8601), default now: decides the away hours and the window.
    #[serde(default)]
    pub received_at: Option<String>,
    /// Treat it as the customer's first message (default: from the conversation, if any).
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub first_message: Option<bool>,
    /// Test a chat opened with `request_welcome` instead of a message.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub welcome_request: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiringRule {
    pub id: String,
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// True when a rule matches.
    pub fires: bool,
    pub rule: Option<FiringRule>,
    pub reason: Option<String>,
    /// The reply in Meta's JSON (`type` and its object).
    pub reply: Value,
    /// True when the reply would be sent now (not in cooldown, allowed by the window).
    pub would_send: bool,
    /// True when the 24-hour customer-service window is open at the message.
    pub window_open: bool,
    /// Why it would not be sent, or what else happens (opt-out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub rules_checked: usize,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let phone = params::phone_number_id(p.phone_number_id.as_deref(), ctx.default_phone())?;
    let now = Utc::now();
    let at = match p.received_at.as_deref() {
        Some(s) => time::parse_iso(s)
            .ok_or_else(|| HandlerError::invalid("receivedAt", "is not an ISO-8601 time"))?,
        None => now,
    };
    let customer = p
        .customer_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let conv = customer.map(|c| keys::conversation(&phone, c));
    let first = match (p.first_message, &conv) {
        (Some(f), _) => f,
        (None, Some(conv)) => {
            let page = ctx
                .store()
                .list_messages(
                    conv,
                    &PageRequest {
                        limit: 20,
                        cursor: None,
                    },
                )
                .await?;
            !page
                .items
                .iter()
                .any(|m| m.direction == Direction::Inbound && m.kind.is_some())
        }
        (None, None) => false,
    } || p.welcome_request;
    let rules = automations::load(ctx).await?;
    let incoming = Incoming {
        phone_number_id: &phone,
        text: p.text.as_deref(),
        at,
        first,
        welcome_request: p.welcome_request,
    };
    // The message being answered opens the window; a late one may find it closed.
    let window_open = now - at < Duration::hours(24);
    let mut out = Output {
        fires: false,
        rule: None,
        reason: None,
        reply: Value::Null,
        would_send: false,
        window_open,
        notes: Vec::new(),
        rules_checked: automations::matching::ordered(&rules, &phone).len(),
    };
    let Some((rule, reason)) = automations::choose(&rules, &incoming) else {
        return Ok(out);
    };
    out.fires = true;
    out.would_send = true;
    out.reason = Some(reason);
    out.reply = automations::reply_preview(&rule.rule.reply);
    if rule.rule.kind == Kind::OptOut {
        out.notes.push(
            "sets the customer's marketing opt-out (MARKETING templates are then refused)".into(),
        );
    }
    if !window_open && rule.rule.reply.text.is_some() {
        out.would_send = false;
        out.notes.push("outside the 24-hour window only templates can be sent: this text reply would be refused; give the rule a template reply".into());
    }
    if let Some(conv) = &conv
        && let Some(lease) = ctx
            .store()
            .get_item(&keys::automation_cooldown(&rule.id, conv))
            .await?
        && let Some(until) = lease.get("until").and_then(Value::as_i64)
        && until > now.timestamp()
    {
        out.would_send = false;
        let until = chrono::DateTime::from_timestamp(until, 0)
            .map(time::iso)
            .unwrap_or_default();
        out.notes
            .push(format!("in cooldown for this customer until {until}"));
    }
    out.rule = Some(FiringRule {
        id: rule.id,
        name: rule.rule.name,
        kind: rule.rule.kind,
    });
    Ok(out)
}
