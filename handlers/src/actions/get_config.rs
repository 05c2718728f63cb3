//! `get_config`: the linked WABAs and their phone numbers, read from EUM Social and cached so
//! that a request may name a phone by its Meta id, EUM id, ARN or display number.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::params::ids::EumId;
use crate::platform::phones;
use crate::ports::SendFailure;
use crate::ports::account::LinkedAccount;
use crate::registry::ActionSpec;
use crate::time;

pub const NAME: &str = "get_config";

pub const SPEC: ActionSpec = crate::action_spec!(
    Config,
    Read,
    "Lists the linked WABAs and phone numbers (ARNs, registration, event destinations, marketing onboarding, dataset) and caches them."
);

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Only this WABA (Meta id or EUM `waba-…`); all linked WABAs when absent.
    #[serde(default, alias = "waba_id")]
    pub waba_id: Option<EumId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// `eum` (read from EUM Social now) or `configuration` (local mode).
    pub source: &'static str,
    pub accounts: Vec<Value>,
    /// What the function is configured with.
    pub configured: Value,
}

fn configured(ctx: &Ctx) -> Value {
    let s = ctx.settings();
    json!({
        "defaultPhoneNumberId": s.default_phone_number_id,
        "originationPhoneNumberId": s.origination_phone_number_id,
        "phoneNumbers": s.phone_numbers.iter().map(|(meta, eum)| json!({"metaPhoneNumberId": meta, "phoneNumberId": eum})).collect::<Vec<_>>(),
        "defaultWabaId": ctx.platform().default_waba_id,
        "metaApiVersion": s.meta_api_version,
        "notifications": ctx.platform().notifier.is_some(),
    })
}

/// The account as cached, with the state its webhooks reported (`ACCOUNT#{wabaId}`).
async fn with_state(ctx: &Ctx, account: &LinkedAccount) -> Result<Value, HandlerError> {
    let mut out = serde_json::to_value(account)?;
    if let Some(state) = ctx
        .store()
        .get_item(&keys::account(&account.waba_id))
        .await?
    {
        out["webhookState"] = state;
    }
    Ok(out)
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let api = &ctx.platform().account;
    if api.is_local() {
        return Ok(Output {
            source: "configuration",
            accounts: Vec::new(),
            configured: configured(ctx),
        });
    }
    let summaries = match p.waba_id.as_deref().filter(|w| !w.trim().is_empty()) {
        Some(given) => {
            let id = phones::eum_waba(ctx, Some(given)).await?;
            vec![id]
        }
        None => match api.list_accounts().await {
            Ok(list) => list.into_iter().map(|a| a.id).collect(),
            // Listing needs IAM on Resource "*", which the SAM template does not grant: the
            // configured WABA (its EUM id) is read directly instead.
            Err(e) if e.kind == SendFailure::AccessDenied => {
                match &ctx.platform().default_waba_id {
                    Some(id) if id.starts_with("waba-") => vec![id.clone()],
                    _ => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        },
    };
    let mut accounts = Vec::new();
    for id in &summaries {
        accounts.push(api.get_account(id).await?);
    }
    phones::cache(ctx, &accounts, &time::now_iso()).await?;
    let mut out = Vec::new();
    for account in &accounts {
        out.push(with_state(ctx, account).await?);
    }
    Ok(Output {
        source: "eum",
        accounts: out,
        configured: configured(ctx),
    })
}
