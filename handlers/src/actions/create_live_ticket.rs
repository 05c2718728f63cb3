//! `create_live_ticket`: a one-time ticket that opens one WebSocket connection for live updates
//! of a deployed inbox (see [`crate::live`]). The ticket is asked for through the HTTP API, so
//! the WebSocket's `$connect` is authorized by the same identity as every action.

use chrono::Utc;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::live;
use crate::params::ids::PhoneNumberId;
use crate::registry::ActionSpec;

pub const NAME: &str = "create_live_ticket";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Read,
    "Issues a one-time ticket (valid 60 s) that opens one WebSocket connection for live updates."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The business phone (Meta's phone number id) the page follows; every phone when absent.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Open this with `new WebSocket(url)` before `expiresAt`.
    pub url: String,
    pub expires_at: String,
    /// The phone followed, or `*` for every phone.
    pub phone_number_id: String,
}

pub async fn run(ctx: &Ctx, params: Params) -> Result<Output, HandlerError> {
    let Some(feed) = ctx.live() else {
        return Err(HandlerError::NotFound(
            "live updates over WebSocket are not configured (LIVE_SOCKET_URL); locally `serve` streams them on GET /live".into(),
        ));
    };
    let phone = match params.phone_number_id.as_deref().map(str::trim) {
        None | Some("") => live::EVERY_PHONE.to_string(),
        Some(p) if p.len() > 64 || p.contains('#') => {
            return Err(HandlerError::InvalidParam {
                field: "phoneNumberId".into(),
                reason: "a Meta phone number id (at most 64 characters, no `#`)".into(),
            });
        }
        Some(p) => p.to_string(),
    };
    let ticket = live::new_ticket();
    let item = live::ticket_item(&ticket, &phone, Utc::now());
    ctx.store().put_record(&item).await?;
    let separator = if feed.socket_url().contains('?') {
        '&'
    } else {
        '?'
    };
    Ok(Output {
        url: format!("{}{separator}ticket={ticket}", feed.socket_url()),
        expires_at: item["expiresAt"].as_str().unwrap_or_default().to_string(),
        phone_number_id: phone,
    })
}
