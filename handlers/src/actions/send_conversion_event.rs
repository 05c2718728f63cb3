//! `send_conversion_event`: a conversion (purchase, lead, …) of a click-to-WhatsApp customer,
//! as Meta's Conversions API event, through `SendWhatsAppConversionEvent`. Without an explicit
//! click id, the customer's latest stored `ctwa_clid` is used.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::{Bsuid, EumId, MetaId, PhoneNumber};
use crate::platform::{customers, phones};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_conversion_event";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversions,
    Send,
    "Sends a conversion event for a click-to-WhatsApp customer (their latest ctwa_clid unless one is given)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Meta's event: `{"event_name": "Purchase", "event_time": 1763640000, "custom_data":
    /// {"currency": "USD", "value": 42.5}}`, or `{"data": [events…]}`. `action_source`
    /// (`business_messaging`), `messaging_channel` (`whatsapp`) and `user_data.ctwa_clid` are
    /// filled in when absent.
    pub event: Value,
    /// The click id; default: the customer's latest referral's `ctwa_clid`.
    #[serde(default, alias = "ctwa_clid")]
    pub ctwa_clid: Option<String>,
    /// The customer's phone number (to find their click id); or give `recipient`.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default)]
    pub to: Option<PhoneNumber>,
    /// The customer's BSUID.
    #[serde(default)]
    pub recipient: Option<Bsuid>,
    /// The dataset (default: the WABA's own, from `GetLinkedWhatsAppBusinessAccount`; create
    /// it with `create_dataset`).
    #[serde(default, alias = "dataset_id")]
    pub dataset_id: Option<MetaId>,
    /// The WABA: Meta id or EUM `waba-…`; defaults to DEFAULT_WABA_ID, else the only one linked.
    #[serde(default, alias = "waba_id")]
    pub waba_id: Option<EumId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// EUM Social's request id.
    pub request_id: String,
    pub ctwa_clid: String,
    /// The dataset the event went to.
    pub dataset_id: String,
    /// Meta's JSON as sent.
    pub event_data: Value,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let events = match p.event {
        Value::Object(ref o) if o.contains_key("data") => match &o["data"] {
            Value::Array(list) if !list.is_empty() => list.clone(),
            _ => {
                return Err(HandlerError::invalid(
                    "event.data",
                    "must be a non-empty list of events",
                ));
            }
        },
        Value::Object(_) => vec![p.event.clone()],
        _ => {
            return Err(HandlerError::invalid(
                "event",
                "must be Meta's event object",
            ));
        }
    };
    let clid = match p.ctwa_clid.filter(|c| !c.is_empty()) {
        Some(c) => c,
        None => {
            let customer = customers::customer_id(p.to.as_deref(), p.recipient.as_deref())
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    HandlerError::MissingParam(
                        "ctwaClid (or to/recipient: a customer with a click-to-WhatsApp referral)"
                            .into(),
                    )
                })?;
            customers::latest_click_id(ctx, &customer).await?.ok_or_else(|| {
                HandlerError::invalid(
                    "to",
                    format!("customer {customer} has no click-to-WhatsApp referral with a ctwa_clid; give ctwaClid"),
                )
            })?
        }
    };
    let mut data = Vec::new();
    for (i, mut e) in events.into_iter().enumerate() {
        let Some(obj) = e.as_object_mut() else {
            return Err(HandlerError::invalid(
                &format!("event.data[{i}]"),
                "must be an object",
            ));
        };
        if !obj.get("event_name").is_some_and(Value::is_string) {
            return Err(HandlerError::invalid(
                &format!("event.data[{i}].event_name"),
                "is required (Purchase, LeadSubmitted, …)",
            ));
        }
        obj.entry("action_source")
            .or_insert(json!("business_messaging"));
        obj.entry("messaging_channel").or_insert(json!("whatsapp"));
        let user = obj.entry("user_data").or_insert(json!({}));
        if let Some(user) = user.as_object_mut() {
            user.entry("ctwa_clid").or_insert(json!(clid));
        }
        data.push(e);
    }
    let event_data = json!({"data": data});
    let id = phones::eum_waba(ctx, p.waba_id.as_deref()).await?;
    let account = &ctx.platform().account;
    // EUM Social requires the dataset; without one given, the WABA's own.
    let dataset_id = match p.dataset_id.filter(|d| !d.trim().is_empty()) {
        Some(d) => d.into_string(),
        None => account.get_account(&id).await?.dataset_id.ok_or_else(|| {
            HandlerError::invalid(
                "datasetId",
                format!(
                    "WABA {id} has no dataset: create it with `create_dataset`, or give `datasetId`"
                ),
            )
        })?,
    };
    let request_id = account
        .send_conversion_event(&id, &dataset_id, &event_data)
        .await?;
    Ok(Output {
        request_id,
        ctwa_clid: clid,
        dataset_id,
        event_data,
    })
}
