//! Templates and flows: the WABA a request names, the template cache ([`cache`]), Meta's
//! template rules ([`rules`]), the check `send_template` makes ([`check`]) and the flow items
//! ([`flows`]).

pub mod cache;
pub mod check;
pub mod flows;
pub mod rules;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::ports::templates::Waba;

/// The WABA parameter every template and flow action shares.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WabaRef {
    /// The WhatsApp Business Account: Meta's id or EUM's `waba-…` id (default
    /// `DEFAULT_WABA_ID`).
    #[serde(default, alias = "waba_id")]
    pub waba_id: Option<String>,
}

impl WabaRef {
    /// Both ids of the WABA: the given one, else `DEFAULT_WABA_ID`, else the only entry of
    /// `ALLOWED_WABA_IDS`.
    ///
    /// # Errors
    /// [`HandlerError::MissingParam`] naming `wabaId` when none is given or configured; EUM
    /// Social's errors when it cannot be resolved.
    pub async fn resolve(&self, ctx: &Ctx) -> Result<Waba, HandlerError> {
        let settings = ctx.settings();
        let allowed = &settings.inbound.allowed_waba_ids;
        let id = self
            .waba_id
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .or_else(|| settings.default_waba_id.clone())
            .or_else(|| (allowed.len() == 1).then(|| allowed[0].clone()))
            .ok_or_else(|| {
                HandlerError::MissingParam("wabaId (no DEFAULT_WABA_ID is configured)".into())
            })?;
        Ok(ctx.templates().resolve_waba(&id).await?)
    }
}
