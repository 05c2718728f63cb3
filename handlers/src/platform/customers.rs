//! Customers: their marketing preference (`user_preferences` webhook, or set by hand after a
//! "STOP") on a `CUSTOMER#{customerId}` item, and the click-to-WhatsApp referrals their inbound
//! messages carried (`CTWA#{wamid}`, listed per customer on `gsi-itemType`, newest first).
//!
//! The preference is merged by its time (milliseconds as the rank): the newest stop or resume
//! wins whatever the order of arrival, and a redelivery changes nothing.

use serde_json::{Value, json};

use super::{FieldChange, FieldOutcome, business_phone, meta_time, text, tolerate};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::MessageItem;
use crate::store::{Forward, PageRequest, StoreError};

pub const ITEM_TYPE: &str = "CUSTOMER";
pub const CTWA_ITEM_TYPE: &str = "CTWA";
/// The rank attribute of the marketing preference.
pub const PREFERENCE_RANK: &str = "marketingPreferenceRank";

/// A marketing preference to merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Preference<'a> {
    pub customer_id: &'a str,
    pub opted_out: bool,
    /// When it was expressed, ISO-8601.
    pub at: &'a str,
    /// Milliseconds since the epoch: the newest wins.
    pub rank: i64,
    /// `user_preferences` (the customer, through Meta) or `manual`.
    pub source: &'a str,
    pub detail: Option<&'a str>,
    pub phone_number_id: Option<&'a str>,
    pub waba_id: Option<&'a str>,
    pub now: &'a str,
}

/// Merges a preference into the customer's item. True when it is the newest.
///
/// # Errors
/// The store's errors.
pub async fn merge_preference(ctx: &Ctx, p: &Preference<'_>) -> Result<bool, StoreError> {
    merge_preference_with(ctx, p, json!({})).await
}

/// [`merge_preference`] with more attributes that move with the preference (`extra`, an
/// object).
async fn merge_preference_with(
    ctx: &Ctx,
    p: &Preference<'_>,
    extra: Value,
) -> Result<bool, StoreError> {
    let mut set = json!({
        "itemType": ITEM_TYPE,
        "customerId": p.customer_id,
        "createdAt": p.now,
        "updatedAt": p.now,
    });
    if p.customer_id.chars().all(|c| c.is_ascii_digit()) {
        set["waId"] = json!(p.customer_id);
    } else {
        set["userId"] = json!(p.customer_id);
    }
    if let Some(phone) = p.phone_number_id {
        set["phoneNumberId"] = json!(phone);
    }
    if let Some(waba) = p.waba_id {
        set["wabaId"] = json!(waba);
    }
    let mut attrs = json!({
        "marketingOptOut": p.opted_out,
        "marketingPreferenceAt": p.at,
        "marketingPreferenceSource": p.source,
        "marketingPreferenceDetail": p.detail,
    });
    if let (Some(attrs), Value::Object(extra)) = (attrs.as_object_mut(), extra) {
        attrs.extend(extra);
    }
    let forward = Forward {
        rank_attr: PREFERENCE_RANK,
        rank: p.rank,
        attrs,
    };
    ctx.store()
        .merge_record(&keys::customer(p.customer_id), &set, Some(&forward))
        .await
}

/// `user_preferences`: each `marketing_messages` stop, resume or signup (an opt-in through a
/// signup link, with its `signup_id`). A value this version does not know is kept on the
/// customer (`unrecognisedPreference`, as Meta sent it) without changing the preference.
pub(super) async fn record_preferences(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<FieldOutcome, StoreError> {
    let mut outcome = FieldOutcome::default();
    let phone = business_phone(change.value);
    let list = change
        .value
        .get("user_preferences")
        .and_then(Value::as_array);
    for (i, pref) in list.into_iter().flatten().enumerate() {
        let Some(customer) = text(pref, "wa_id").or_else(|| text(pref, "user_id")) else {
            outcome.poison.push(format!(
                "changes[{}] (user_preferences): user_preferences[{i}] needs wa_id or user_id",
                change.index
            ));
            continue;
        };
        let raw_value = text(pref, "value").unwrap_or_default();
        // Without Meta's time the preference cannot be ordered against others: it is kept,
        // not applied.
        let time = meta_time(pref.get("timestamp"));
        let marketing = text(pref, "category").is_none_or(|c| c == "marketing_messages");
        let (opted_out, source) = match raw_value.to_lowercase().as_str() {
            "stop" => (Some(true), "user_preferences"),
            "resume" => (Some(false), "user_preferences"),
            "signup" => (Some(false), "signup"),
            _ => (None, "user_preferences"),
        };
        let written = match (opted_out, time) {
            (Some(opted_out), Some((at, secs))) if marketing => {
                let detail = text(pref, "detail");
                let p = Preference {
                    customer_id: &customer,
                    opted_out,
                    at: &at,
                    rank: secs * 1000,
                    source,
                    detail: detail.as_deref(),
                    phone_number_id: phone.as_deref(),
                    waba_id: Some(change.waba_id),
                    now: change.now,
                };
                let extra = json!({
                    "marketingPreferenceValue": raw_value,
                    "marketingSignupId": text(pref, "signup_id"),
                });
                merge_preference_with(ctx, &p, extra).await
            }
            _ => {
                let set = json!({
                    "itemType": ITEM_TYPE,
                    "customerId": customer,
                    "createdAt": change.now,
                    "updatedAt": change.now,
                    "unrecognisedPreference": pref,
                });
                ctx.store()
                    .merge_record(&keys::customer(&customer), &set, None)
                    .await
            }
        };
        if tolerate(written, "customer", &mut outcome)?.is_some() {
            outcome.items += 1;
        }
    }
    Ok(outcome)
}

/// Keeps the click-to-WhatsApp referral of an inbound message as a CTWA event of its customer
/// (idempotent: keyed by the message). Messages without a referral write nothing.
///
/// # Errors
/// The store's errors.
pub async fn record_referral(
    ctx: &Ctx,
    message: &MessageItem,
    customer_id: &str,
) -> Result<(), StoreError> {
    let Some(referral) = &message.referral else {
        return Ok(());
    };
    let s = |k: &str| text(referral, k);
    let item = json!({
        "pk": keys::ctwa(&message.wa_message_id),
        "itemType": CTWA_ITEM_TYPE,
        "itemTypePk": keys::item_type::ctwa_of_customer(customer_id),
        "customerId": customer_id,
        "waMessageId": message.wa_message_id,
        "phoneNumberId": message.phone_number_id,
        "wabaId": message.waba_id,
        "ctwaClid": s("ctwa_clid"),
        "sourceId": s("source_id"),
        "sourceType": s("source_type"),
        "sourceUrl": s("source_url"),
        "headline": s("headline"),
        "body": s("body"),
        "mediaType": s("media_type"),
        "referral": referral,
        "createdAt": message.received_at,
    });
    ctx.store().put_record(&item).await
}

/// The customer's referrals, newest first.
///
/// # Errors
/// The store's errors.
pub async fn referrals(ctx: &Ctx, customer_id: &str, limit: u32) -> Result<Vec<Value>, StoreError> {
    Ok(ctx
        .store()
        .list_by_item_type(
            &keys::item_type::ctwa_of_customer(customer_id),
            &PageRequest {
                limit,
                cursor: None,
            },
        )
        .await?
        .items)
}

/// The customer's latest `ctwa_clid`, when any referral carried one.
///
/// # Errors
/// The store's errors.
pub async fn latest_click_id(ctx: &Ctx, customer_id: &str) -> Result<Option<String>, StoreError> {
    Ok(referrals(ctx, customer_id, 20)
        .await?
        .iter()
        .find_map(|r| r["ctwaClid"].as_str().map(str::to_string)))
}

/// The customer id of a `to` (digits of the phone number) or a BSUID `recipient`.
pub fn customer_id(to: Option<&str>, recipient: Option<&str>) -> Option<String> {
    match (
        to.filter(|t| !t.is_empty()),
        recipient.filter(|r| !r.is_empty()),
    ) {
        (Some(to), _) => Some(to.chars().filter(char::is_ascii_digit).collect()),
        (None, Some(r)) => Some(r.to_string()),
        (None, None) => None,
    }
}

/// The category of a cached template (`MARKETING`, `UTILITY`, `AUTHENTICATION`), when a cached
/// item has one: the default WABA's item first, else the first cached template of that name
/// and language.
async fn template_category(
    ctx: &Ctx,
    name: &str,
    language: &str,
) -> Result<Option<String>, StoreError> {
    let category = |item: &Value| item["category"].as_str().map(str::to_uppercase);
    if let Some(waba) = &ctx.platform().default_waba_id
        && let Some(item) = ctx
            .store()
            .get_item(&keys::template(waba, name, language))
            .await?
    {
        return Ok(category(&item));
    }
    let mut page = PageRequest {
        limit: 100,
        cursor: None,
    };
    for _ in 0..10 {
        let found = ctx
            .store()
            .list_by_item_type(keys::item_type::TEMPLATE, &page)
            .await?;
        if let Some(item) = found
            .items
            .iter()
            .find(|t| t["name"] == name && t["language"] == language)
        {
            return Ok(category(item));
        }
        match found.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    Ok(None)
}

/// Refuses a MARKETING template to a customer who stopped marketing messages (400 saying
/// why). Utility and authentication templates, and templates whose category is not cached,
/// go out.
///
/// # Errors
/// [`HandlerError::InvalidParam`] naming the opt-out; the store's errors.
pub async fn check_marketing(
    ctx: &Ctx,
    name: &str,
    language: &str,
    to: Option<&str>,
    recipient: Option<&str>,
) -> Result<(), HandlerError> {
    let Some(customer) = customer_id(to, recipient) else {
        return Ok(());
    };
    let Some(item) = ctx.store().get_item(&keys::customer(&customer)).await? else {
        return Ok(());
    };
    if item["marketingOptOut"] != json!(true) {
        return Ok(());
    }
    if template_category(ctx, name, language).await?.as_deref() != Some("MARKETING") {
        return Ok(());
    }
    Err(HandlerError::invalid(
        "name",
        format!(
            "`{name}` is a MARKETING template and customer {customer} stopped marketing messages on {} ({}); utility and authentication templates still go out",
            item["marketingPreferenceAt"]
                .as_str()
                .unwrap_or("an unknown date"),
            item["marketingPreferenceSource"]
                .as_str()
                .unwrap_or("unknown source"),
        ),
    ))
}
