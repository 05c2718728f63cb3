//! `get_phone_number`: one linked phone from EUM Social, with its quality rating, the limit and
//! quality its webhooks reported, and its call settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::PhoneNumberId;
use crate::platform::phones;
use crate::ports::account::PhoneNumberDetails;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_phone_number";

pub const SPEC: ActionSpec = crate::action_spec!(
    Config,
    Read,
    "Returns a linked phone number from EUM Social: quality rating, messaging limit, call settings."
);

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The phone: Meta id, EUM `phone-number-id-…`, ARN or display number; defaults to
    /// DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    #[serde(flatten)]
    pub details: PhoneNumberDetails,
    /// The last `phone_number_quality_update` stored (`QUALITY#{display number}`): event,
    /// current and old messaging limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_webhook: Option<Value>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let eum = phones::eum_phone(ctx, p.phone_number_id.as_deref()).await?;
    let details = ctx.platform().account.get_phone_number(&eum).await?;
    let display: String = details
        .phone_number
        .display_phone_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let quality_webhook = ctx.store().get_item(&keys::quality(&display)).await?;
    Ok(Output {
        details,
        quality_webhook,
    })
}
