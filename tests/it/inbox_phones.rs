//! `list_inbox_phones` on both stores: the phones of the stored conversations, open and
//! archived, with the configured ones, each once.

use std::sync::Arc;

use handlers::store::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

/// A text webhook to `phone` (the helper's events go to 106540352242922).
fn text_to(phone: &str, sns_id: &str, wamid: &str) -> Value {
    let event = text_event(sns_id, wamid, CUSTOMER, 1_763_632_800, "hi").to_string();
    serde_json::from_str(&event.replace("106540352242922", phone)).unwrap()
}

async fn phones_come_from_conversations_and_configuration<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    let empty = action(&ctx, json!({"action": "list_inbox_phones"})).await;
    // the configured default alone
    assert_eq!(empty["data"]["count"], 1, "{empty}");
    assert_eq!(empty["data"]["phones"][0]["phoneNumberId"], PHONE);
    assert_eq!(empty["data"]["phones"][0]["default"], true);
    assert_eq!(empty["data"]["phones"][0]["hasConversations"], false);
    for (phone, id) in [("222", "a"), ("111", "b"), ("222", "c"), ("333", "d")] {
        intake::handle(&ctx, text_to(phone, id, &format!("wamid.P{id}")))
            .await
            .unwrap();
    }
    let archived = action(
        &ctx,
        json!({"action": "archive_conversation", "conversationPk": format!("CONV#333#{CUSTOMER}")}),
    )
    .await;
    assert_eq!(archived["statusCode"], 200, "{archived}");
    let listed = action(&ctx, json!({"action": "list_inbox_phones"})).await;
    let ids: Vec<&str> = listed["data"]["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phoneNumberId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [PHONE, "111", "222", "333"], "{listed}");
    assert_eq!(listed["data"]["phones"][3]["hasConversations"], true);
    assert_eq!(listed["data"]["phones"][1]["configured"], false);
    // the store's own limit
    assert_eq!(store.list_inbox_phones(2).await.unwrap(), ["111", "222"]);
}

#[tokio::test]
async fn embedded_phones_come_from_conversations_and_configuration() {
    phones_come_from_conversations_and_configuration(embedded_store()).await;
}

#[tokio::test]
async fn dynamodb_phones_come_from_conversations_and_configuration() {
    phones_come_from_conversations_and_configuration(dynamo_store().await).await;
}
