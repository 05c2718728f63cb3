//! `send_call_event`: Meta's call JSON (`/calls`: connect, pre_accept, accept, reject,
//! terminate) through `SendWhatsAppCallEvent`, with `biz_opaque_callback_data`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::PhoneNumberId;
use crate::platform::phones;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_call_event";

pub const SPEC: ActionSpec = crate::action_spec!(
    Calling,
    Send,
    "Sends a call action (connect, pre_accept, accept, reject, terminate) as Meta's call JSON."
);

const ACTIONS: [&str; 5] = ["connect", "pre_accept", "accept", "reject", "terminate"];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Meta's call request: `{"to": "16505551234", "action": "connect", "session": {"sdp_type":
    /// "offer", "sdp": "…"}}` or `{"call_id": "wacid.…", "action": "accept", "session": …}`.
    /// `messaging_product` is added when absent.
    #[serde(alias = "call_event", alias = "call")]
    pub call_event: Value,
    /// Echoed back in the call's webhooks (at most 512 characters); overrides the one in
    /// `callEvent`.
    #[schemars(length(max = 512))]
    #[serde(default, alias = "biz_opaque_callback_data")]
    pub biz_opaque_callback_data: Option<String>,
    /// The business phone: Meta id, EUM id, ARN or display number; defaults to
    /// DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub call_id: String,
    /// Meta's JSON as sent.
    pub call_event: Value,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let Value::Object(mut event) = p.call_event else {
        return Err(HandlerError::invalid(
            "callEvent",
            "must be Meta's call JSON object",
        ));
    };
    let action = event
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !ACTIONS.contains(&action) {
        return Err(HandlerError::invalid(
            "callEvent.action",
            format!("must be one of {}", ACTIONS.join(", ")),
        ));
    }
    if action == "connect" && event.get("to").is_none() {
        return Err(HandlerError::invalid(
            "callEvent.to",
            "a connect names the customer to call",
        ));
    }
    if action != "connect" && event.get("call_id").is_none() {
        return Err(HandlerError::invalid(
            "callEvent.call_id",
            format!("`{action}` names the call"),
        ));
    }
    event
        .entry("messaging_product")
        .or_insert(json!("whatsapp"));
    if let Some(data) = p.biz_opaque_callback_data.filter(|d| !d.is_empty()) {
        event.insert("biz_opaque_callback_data".into(), json!(data));
    }
    let event = Value::Object(event);
    let origination = phones::eum_phone(ctx, p.phone_number_id.as_deref()).await?;
    let call_id = ctx
        .platform()
        .account
        .send_call_event(&origination, &event, &ctx.settings().meta_api_version)
        .await?;
    Ok(Output {
        call_id,
        call_event: event,
    })
}
