//! `get_call_logs`: the calls of a business phone, or of one customer, newest first, over a
//! time range: queries of `gsi-itemType`, never a scan.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::{Bsuid, PhoneNumber, PhoneNumberId};
use crate::params::{self, Paging};
use crate::platform::{calls, customers, phones};
use crate::registry::ActionSpec;
use crate::time;

pub const NAME: &str = "get_call_logs";

pub const SPEC: ActionSpec = crate::action_spec!(
    Calling,
    Read,
    "Lists calls (direction, times, duration, outcome, statuses) of a phone or a customer over a time range."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Only this customer's calls: their phone number; or give `recipient`.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default)]
    pub to: Option<PhoneNumber>,
    /// Only this customer's calls: their BSUID.
    #[serde(default)]
    pub recipient: Option<Bsuid>,
    /// The business phone: Meta id, EUM id, ARN or display number; defaults to
    /// DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// Only calls at or after this ISO-8601 time.
    #[serde(default)]
    pub since: Option<String>,
    /// Only calls at or before this ISO-8601 time.
    #[serde(default)]
    pub until: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub calls: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

fn bound(field: &str, v: Option<&str>) -> Result<Option<String>, HandlerError> {
    match v.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => time::parse_iso(v)
            .map(|t| Some(time::iso(t)))
            .ok_or_else(|| {
                HandlerError::invalid(field, "must be an ISO-8601 time (2026-11-20T00:00:00Z)")
            }),
    }
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let page = p.paging.request()?;
    let since = bound("since", p.since.as_deref())?;
    let until = bound("until", p.until.as_deref())?;
    let phone = match p.phone_number_id.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => phones::resolve(ctx, g)
            .await?
            .map(|(meta, _)| meta)
            .unwrap_or_else(|| g.to_string()),
        None => params::phone_number_id(None, ctx.default_phone())?,
    };
    let customer = customers::customer_id(p.to.as_deref(), p.recipient.as_deref());
    let found = calls::list(
        ctx,
        &phone,
        customer.as_deref(),
        since.as_deref(),
        until.as_deref(),
        &page,
    )
    .await?;
    Ok(Output {
        calls: found.items,
        next_token: found.next_cursor,
    })
}
