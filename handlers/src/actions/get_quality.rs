//! `get_quality`: a phone's quality history (its `phone_number_quality_update` webhooks, newest
//! first) and, outside local mode, the live rating from EUM Social.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::Paging;
use crate::params::ids::PhoneNumberId;
use crate::platform::{phones, quality};
use crate::registry::ActionSpec;

pub const NAME: &str = "get_quality";

pub const SPEC: ActionSpec = crate::action_spec!(
    Config,
    Read,
    "Returns a phone's stored quality and messaging-limit history, and the live quality rating."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The phone's display number (as in the quality webhooks), or any name of a linked phone
    /// (Meta id, EUM id, ARN); defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id", alias = "displayPhoneNumber")]
    pub phone_number_id: Option<PhoneNumberId>,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub display_phone_number: String,
    /// The newest stored state (`QUALITY#{display number}`).
    pub current: Option<Value>,
    /// Every stored quality webhook, newest first.
    pub history: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// EUM Social's `qualityRating` now; absent in local mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_quality_rating: Option<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let page = p.paging.request()?;
    let given = p
        .phone_number_id
        .clone()
        .map(String::from)
        .filter(|g| !g.trim().is_empty())
        .or_else(|| ctx.default_phone().map(str::to_string))
        .ok_or_else(|| {
            HandlerError::MissingParam(
                "phoneNumberId (no DEFAULT_PHONE_NUMBER_ID is configured)".into(),
            )
        })?;
    // The webhooks name the display number: find it for a Meta id, EUM id or ARN.
    let (display, live) = match phones::resolve(ctx, &given).await? {
        Some((meta, eum)) => {
            let cached = phones::cached_phone(ctx, &meta).await?;
            let display = cached
                .as_ref()
                .and_then(|c| c["displayPhoneNumber"].as_str())
                .map(phones::alias_of)
                .unwrap_or_else(|| phones::alias_of(&given));
            let live = if ctx.platform().account.is_local() {
                None
            } else {
                Some(
                    ctx.platform()
                        .account
                        .get_phone_number(&eum)
                        .await?
                        .phone_number
                        .quality_rating,
                )
            };
            (display, live)
        }
        None => (phones::alias_of(&given), None),
    };
    let current = ctx.store().get_item(&keys::quality(&display)).await?;
    let history = quality::history(ctx, &display, &page).await?;
    Ok(Output {
        display_phone_number: display,
        current,
        history: history.items,
        next_token: history.next_cursor,
        live_quality_rating: live,
    })
}
