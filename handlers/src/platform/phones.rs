//! The linked WABAs and phones `get_config` reads from EUM Social, cached in the table
//! (`WABA#{metaWabaId}`, `PHONE#{metaPhoneNumberId}`, listed on `gsi-itemType`), with aliases
//! (`PHONE_ALIAS#…`, `WABA_ALIAS#…`) so that a request may name a phone by its Meta id, EUM
//! id, ARN or display number, and a WABA by its Meta id or EUM id.

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::ports::account::LinkedAccount;
use crate::store::StoreError;

/// The alias a phone name is looked up under: an ARN or EUM id as given, else its digits.
pub fn alias_of(name: &str) -> String {
    let name = name.trim();
    if name.starts_with("arn:") || name.starts_with("phone-number-id-") {
        name.to_string()
    } else {
        name.chars().filter(char::is_ascii_digit).collect()
    }
}

/// Caches the accounts and their phones (overwrites what was cached before).
///
/// # Errors
/// The store's errors.
pub async fn cache(ctx: &Ctx, accounts: &[LinkedAccount], now: &str) -> Result<(), StoreError> {
    let store = ctx.store();
    for account in accounts {
        let mut waba = serde_json::to_value(account).unwrap_or_default();
        waba["pk"] = json!(keys::linked_waba(&account.waba_id));
        waba["itemType"] = json!("LINKED_WABA");
        waba["itemTypePk"] = json!(keys::item_type::LINKED_WABA);
        waba["createdAt"] = json!(now);
        store.put_record(&waba).await?;
        store
            .put_record(&json!({"pk": keys::waba_alias(&account.id), "itemType": "WABA_ALIAS", "wabaId": account.waba_id, "id": account.id, "createdAt": now}))
            .await?;
        for phone in &account.phone_numbers {
            let mut item = serde_json::to_value(phone).unwrap_or_default();
            item["pk"] = json!(keys::linked_phone(&phone.meta_phone_number_id));
            item["itemType"] = json!("LINKED_PHONE");
            item["itemTypePk"] = json!(keys::item_type::LINKED_PHONE);
            item["wabaId"] = json!(account.waba_id);
            item["linkedWabaId"] = json!(account.id);
            item["createdAt"] = json!(now);
            store.put_record(&item).await?;
            for alias in [
                &phone.meta_phone_number_id,
                &phone.phone_number_id,
                &phone.arn,
                &phone.display_phone_number,
                &phone.phone_number,
            ] {
                let alias = alias_of(alias);
                if alias.is_empty() {
                    continue;
                }
                store
                    .put_record(&json!({
                        "pk": keys::phone_alias(&alias),
                        "itemType": "PHONE_ALIAS",
                        "metaPhoneNumberId": phone.meta_phone_number_id,
                        "phoneNumberId": phone.phone_number_id,
                        "createdAt": now,
                    }))
                    .await?;
            }
        }
    }
    Ok(())
}

/// A linked phone named any way: (Meta phone number id, EUM phone id), from the cache.
///
/// # Errors
/// The store's errors.
pub async fn resolve(ctx: &Ctx, name: &str) -> Result<Option<(String, String)>, StoreError> {
    let alias = alias_of(name);
    if alias.is_empty() {
        return Ok(None);
    }
    let item = ctx.store().get_item(&keys::phone_alias(&alias)).await?;
    Ok(item.and_then(|i| {
        Some((
            i["metaPhoneNumberId"].as_str()?.to_string(),
            i["phoneNumberId"].as_str()?.to_string(),
        ))
    }))
}

/// For a send: the phone a `phoneNumberId` names when it is not a plain Meta id this function
/// knows (an EUM id, ARN or display number cached by `get_config`). No lookup for the default
/// phone or a phone of `PHONE_NUMBERS`; a name the cache does not hold is taken as a Meta id.
///
/// # Errors
/// The store's errors.
pub async fn named(ctx: &Ctx, given: Option<&str>) -> Result<Option<(String, String)>, StoreError> {
    let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
        return Ok(None);
    };
    let known = ctx.default_phone() == Some(given)
        || ctx
            .settings()
            .phone_numbers
            .iter()
            .any(|(meta, _)| meta == given);
    if known {
        return Ok(None);
    }
    resolve(ctx, given).await
}

/// The cached phone item of a Meta phone number id.
///
/// # Errors
/// The store's errors.
pub async fn cached_phone(
    ctx: &Ctx,
    meta_phone_number_id: &str,
) -> Result<Option<Value>, StoreError> {
    ctx.store()
        .get_item(&keys::linked_phone(meta_phone_number_id))
        .await
}

/// The EUM phone id (`phone-number-id-…` or ARN) of a phone named any way: given as one, the
/// cache, the configured `PHONE_NUMBERS`, else the default origination.
///
/// # Errors
/// 400 naming `phoneNumberId` when none is given or configured; the store's errors.
pub async fn eum_phone(ctx: &Ctx, given: Option<&str>) -> Result<String, HandlerError> {
    let given = given.map(str::trim).filter(|g| !g.is_empty());
    if let Some(g) = given {
        if g.starts_with("phone-number-id-") || g.starts_with("arn:") {
            return Ok(g.to_string());
        }
        if let Some((_, eum)) = resolve(ctx, g).await? {
            return Ok(eum);
        }
    }
    let meta = given.or(ctx.default_phone());
    ctx.settings()
        .phone_numbers
        .iter()
        .find(|(m, _)| Some(m.as_str()) == meta)
        .map(|(_, o)| o.clone())
        .or_else(|| ctx.settings().origination_phone_number_id.clone())
        .ok_or_else(|| {
            HandlerError::MissingParam(
                "phoneNumberId (a Meta id, EUM id, ARN or display number of a linked phone; run get_config to cache them, or set ORIGINATION_PHONE_NUMBER_ID)".into(),
            )
        })
}

/// The EUM id (`waba-…`) of a WABA named by Meta id or EUM id, else the configured default
/// (`DEFAULT_WABA_ID`), else the only linked one.
///
/// # Errors
/// 400 naming `wabaId` when it cannot be found; EUM Social's errors.
pub async fn eum_waba(ctx: &Ctx, given: Option<&str>) -> Result<String, HandlerError> {
    let named = given
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .or_else(|| ctx.platform().default_waba_id.clone());
    if let Some(name) = &named {
        if name.starts_with("waba-") || name.starts_with("arn:") {
            return Ok(name.clone());
        }
        if let Some(id) = resolved(ctx).get(name) {
            return Ok(id.clone());
        }
        if let Some(item) = ctx.store().get_item(&keys::linked_waba(name)).await?
            && let Some(id) = item["id"].as_str()
        {
            return Ok(id.to_string());
        }
    }
    // Every page of the linked accounts: once per context for a WABA named by Meta id.
    let accounts = ctx.platform().account.list_accounts().await?;
    let found = match &named {
        Some(name) => accounts
            .iter()
            .find(|a| &a.waba_id == name || &a.id == name),
        None if accounts.len() == 1 => accounts.first(),
        None => {
            return Err(HandlerError::MissingParam(format!(
                "wabaId ({} WABAs are linked and DEFAULT_WABA_ID is not set)",
                accounts.len()
            )));
        }
    };
    let Some(found) = found else {
        return Err(HandlerError::NotFound(format!(
            "no linked WABA `{}`",
            named.unwrap_or_default()
        )));
    };
    if let Some(name) = named {
        resolved(ctx).insert(name, found.id.clone());
    }
    Ok(found.id.clone())
}

/// The context's WABAs already resolved (Meta id → EUM id).
fn resolved(ctx: &Ctx) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, String>> {
    ctx.platform()
        .resolved_wabas
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}
