//! The id checks, driven from the registry: every id parameter of every action (found by its
//! schema's `format`) refuses a forged or odd value with a 400 naming it, and every parameter
//! named like an id is declared as one, so a new action cannot escape the checks.

use serde_json::{Value, json};

use super::ids::IdKind;
use crate::registry::REGISTRY;

/// Parameters named like ids that never become part of a key, and why.
const NOT_KEY_IDS: [(&str, &str); 3] = [
    // Meta's catalog: sent to Meta as given, never stored under a key of its own.
    ("catalogId", "sent to Meta only"),
    // The merchant's SKU ("Content ID"): its alphabet is the merchant's.
    ("productRetailerId", "the merchant's SKU, sent to Meta only"),
    (
        "thumbnailProductRetailerId",
        "the merchant's SKU, sent to Meta only",
    ),
];

fn named_like_an_id(action: &str, name: &str) -> bool {
    // `get_analytics`' `to` is a day, not a recipient.
    let recipient = matches!(name, "to" | "recipient" | "replyTo") && action != "get_analytics";
    recipient
        || name == "id"
        || name.ends_with("Id")
        || name.ends_with("Ids")
        || name.ends_with("Pk")
        || name == "templateName"
}

#[test]
fn every_parameter_named_like_an_id_is_declared_as_one() {
    let mut undeclared = Vec::new();
    for spec in REGISTRY.actions() {
        for param in (spec.params)() {
            let declared = param.format.as_deref().and_then(IdKind::from_format);
            if named_like_an_id(spec.name, &param.name)
                && declared.is_none()
                && !NOT_KEY_IDS.iter().any(|(name, _)| *name == param.name)
            {
                undeclared.push(format!("{}.{}", spec.name, param.name));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "declare these with a type of params::ids: {undeclared:?}"
    );
}

#[tokio::test]
async fn every_id_parameter_of_every_action_refuses_forged_and_odd_ids() {
    let ctx = crate::testing::ctx();
    let mut cases = 0;
    for spec in REGISTRY.actions() {
        for param in (spec.params)() {
            let Some(kind) = param.format.as_deref().and_then(IdKind::from_format) else {
                continue;
            };
            for bad in [
                "1065#1650".to_string(),
                "1065\u{1}1650".to_string(),
                "1".repeat(kind.max_len() + 1),
            ] {
                let value = if param.kind.as_deref() == Some("array") {
                    json!([bad])
                } else {
                    Value::String(bad.clone())
                };
                let mut request = json!({"action": spec.name});
                request[&param.name] = value;
                let answer = REGISTRY.dispatch(ctx.clone(), request).await;
                let error = answer["error"].as_str().unwrap_or_default();
                assert_eq!(
                    answer["statusCode"], 400,
                    "{}.{} = {bad:?}: {answer}",
                    spec.name, param.name
                );
                assert!(
                    error.starts_with(&format!("invalid parameter `{}`", param.name)),
                    "{}.{} = {bad:?}: {error}",
                    spec.name,
                    param.name
                );
                cases += 1;
            }
        }
    }
    assert!(cases > 300, "only {cases} cases");
}

#[tokio::test]
async fn a_forged_phone_number_id_is_refused_before_anything_is_sent() {
    let ctx = crate::testing::ctx();
    let answer = REGISTRY
        .dispatch(
            ctx,
            crate::testing::send_request(json!({
                "action": "send_text",
                "text": "hi",
                "phoneNumberId": "106540352242922#16505551234",
            })),
        )
        .await;
    assert_eq!(answer["statusCode"], 400, "{answer}");
    assert_eq!(
        answer["error"],
        "invalid parameter `phoneNumberId`: must not contain `#` (it separates the parts of table keys)"
    );
}
