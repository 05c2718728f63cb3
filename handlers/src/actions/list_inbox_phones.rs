//! `list_inbox_phones`: the business phones an inbox can show, discovered from the stored
//! conversations and from the configuration, so that nothing needs configuring before the inbox
//! shows what has arrived.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::registry::ActionSpec;

pub const NAME: &str = "list_inbox_phones";

pub const SPEC: ActionSpec = crate::action_spec!(
    Conversations,
    Read,
    "Lists the business phones that have conversations or are configured, the default first."
);

/// The most phones one answer lists.
pub const MAX_PHONES: usize = 200;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Phone {
    /// Meta's phone number id, as `phoneNumberId` of the other actions.
    pub phone_number_id: String,
    /// It is DEFAULT_PHONE_NUMBER_ID.
    pub default: bool,
    /// It is named by the configuration (default, PHONE_NUMBERS or ALLOWED_PHONE_NUMBER_IDS).
    pub configured: bool,
    /// The store holds conversations of it (open or archived).
    pub has_conversations: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub count: usize,
    pub phones: Vec<Phone>,
}

pub async fn run(ctx: &Ctx, _params: Params) -> Result<Output, HandlerError> {
    let stored = ctx.store().list_inbox_phones(MAX_PHONES).await?;
    let settings = ctx.settings();
    let configured: Vec<&str> = settings
        .default_phone_number_id
        .iter()
        .map(String::as_str)
        .chain(settings.phone_numbers.iter().map(|(meta, _)| meta.as_str()))
        .chain(
            settings
                .inbound
                .allowed_phone_number_ids
                .iter()
                .map(String::as_str),
        )
        .collect();
    let phones = merge(ctx.default_phone(), &configured, &stored);
    Ok(Output {
        count: phones.len(),
        phones,
    })
}

/// The default phone first, then the others sorted; each once.
fn merge(default: Option<&str>, configured: &[&str], stored: &[String]) -> Vec<Phone> {
    let mut ids: Vec<&str> = configured
        .iter()
        .copied()
        .chain(stored.iter().map(String::as_str))
        .filter(|p| !p.is_empty())
        .collect();
    ids.sort_by_key(|p| (Some(*p) != default, *p));
    ids.dedup();
    ids.into_iter()
        .take(MAX_PHONES)
        .map(|id| Phone {
            phone_number_id: id.to_string(),
            default: Some(id) == default,
            configured: configured.contains(&id),
            has_conversations: stored.iter().any(|s| s == id),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_comes_first_and_each_phone_once() {
        let stored = vec!["300".to_string(), "100".to_string()];
        let phones = merge(Some("200"), &["200", "100"], &stored);
        let ids: Vec<_> = phones.iter().map(|p| p.phone_number_id.as_str()).collect();
        assert_eq!(ids, ["200", "100", "300"]);
        assert!(phones[0].default && phones[0].configured && !phones[0].has_conversations);
        assert!(!phones[1].default && phones[1].configured && phones[1].has_conversations);
        assert!(!phones[2].configured && phones[2].has_conversations);
        assert!(merge(None, &[], &[]).is_empty());
    }
}
