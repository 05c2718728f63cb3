//! `set_customer_preferences`: a customer's marketing opt-out set by hand (after a "STOP"
//! message, say). The newest preference wins, whether it came from here or from Meta's
//! `user_preferences` webhook.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::{Bsuid, PhoneNumber};
use crate::params::lenient;
use crate::platform::customers::{self, Preference};
use crate::registry::ActionSpec;
use crate::time;

pub const NAME: &str = "set_customer_preferences";

pub const SPEC: ActionSpec = crate::action_spec!(
    Customers,
    Manage,
    "Sets a customer's marketing opt-out (MARKETING templates to them are then refused)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// `true`: the customer stopped marketing messages; `false`: they resumed.
    #[serde(deserialize_with = "lenient::bool")]
    pub marketing_opt_out: bool,
    /// Why (kept with the preference): "replied STOP".
    #[schemars(length(max = 256))]
    #[serde(default)]
    pub reason: Option<String>,
    /// The customer's phone number; or give `recipient`.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default, alias = "customerId", alias = "waId")]
    pub to: Option<PhoneNumber>,
    /// The customer's BSUID.
    #[serde(default)]
    pub recipient: Option<Bsuid>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub customer_id: String,
    /// False when a newer preference was already stored (it was kept).
    pub applied: bool,
    pub preferences: Option<Value>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let customer = customers::customer_id(p.to.as_deref(), p.recipient.as_deref())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| HandlerError::MissingParam("to (or recipient)".into()))?;
    let now = time::now_iso();
    let rank = chrono::Utc::now().timestamp_millis();
    let applied = customers::merge_preference(
        ctx,
        &Preference {
            customer_id: &customer,
            opted_out: p.marketing_opt_out,
            at: &now,
            rank,
            source: "manual",
            detail: p.reason.as_deref(),
            phone_number_id: ctx.default_phone(),
            waba_id: None,
            now: &now,
        },
    )
    .await?;
    let preferences = ctx.store().get_item(&keys::customer(&customer)).await?;
    Ok(Output {
        customer_id: customer,
        applied,
        preferences,
    })
}
