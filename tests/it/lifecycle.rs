//! A conversation that reads like WhatsApp (issue 14): edits, deletions, reactions, chat
//! openings and number changes change the conversation instead of adding messages. Every
//! scenario runs on the embedded store and on DynamoDB Local, in the order Meta usually sends
//! and in reverse, each webhook delivered twice; both orders must end the same.

use std::sync::Arc;

use handlers::Ctx;
use handlers::store::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

macro_rules! both_stores {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test] async fn $case() { super::$case(super::Kind::Embedded).await; })*
        }
        mod dynamodb {
            $(#[tokio::test] async fn $case() { super::$case(super::Kind::Dynamo).await; })*
        }
    };
}

#[derive(Clone, Copy)]
enum Kind {
    Embedded,
    Dynamo,
}

/// A new, empty store of `kind` (a fresh table on DynamoDB Local).
async fn fresh(kind: Kind) -> Arc<dyn Store> {
    match kind {
        Kind::Embedded => embedded_store(),
        Kind::Dynamo => dynamo_store().await,
    }
}

both_stores!(
    edit_then_delete,
    reaction_then_change_then_removal,
    welcome_then_first_message,
    number_change_then_a_message_from_the_new_number,
    call_permission_reply_keeps_the_answer,
);

const T: i64 = 1_763_632_800;
const NEW_NUMBER: &str = "16505559876";

fn message(kind: &str, id: &str, from: &str, at: i64, body: Value) -> Value {
    let mut m = json!({"from": from, "id": id, "timestamp": at.to_string(), "type": kind});
    if !body.is_null() {
        m[kind] = body;
    }
    m
}

/// One webhook (one SNS record) carrying `m`, from the customer `from`.
fn webhook(m: &Value) -> Value {
    let from = m["from"].as_str().unwrap();
    let sns_id = format!("sns-{}", m["id"].as_str().unwrap());
    sns_event(&[(
        sns_id.as_str(),
        envelope(messages_change(from, json!([m]), json!([]))),
    )])
}

/// Delivers `messages` in order, each twice, to a fresh context on `store`.
async fn deliver_all(store: Arc<dyn Store>, messages: &[Value]) -> Ctx {
    let ctx = ctx(store);
    for m in messages {
        for _ in 0..2 {
            let answer = intake::handle(&ctx, webhook(m)).await.expect("delivered");
            assert_eq!(answer["data"]["poison"], json!(0), "{answer}");
            assert_eq!(answer["statusCode"], json!(200), "{answer}");
        }
    }
    ctx
}

async fn ok(ctx: &Ctx, request: Value) -> Value {
    let answer = action(ctx, request.clone()).await;
    assert_eq!(answer["statusCode"], 200, "{request} → {answer}");
    answer["data"].clone()
}

async fn messages_of(ctx: &Ctx, customer: &str) -> Vec<Value> {
    let data = ok(
        ctx,
        json!({"action": "get_messages", "customerId": customer}),
    )
    .await;
    data["messages"].as_array().unwrap().clone()
}

async fn conversation_of(ctx: &Ctx, customer: &str) -> Value {
    ok(
        ctx,
        json!({"action": "get_conversation", "customerId": customer}),
    )
    .await
}

/// What both orders must agree on: the messages and the conversation, without the times of
/// our own writes.
fn comparable(mut messages: Vec<Value>, mut conversation: Value) -> Value {
    for m in &mut messages {
        for key in ["createdAt", "updatedAt", "rev"] {
            m.as_object_mut().unwrap().remove(key);
        }
    }
    messages.sort_by_key(|m| m["waMessageId"].as_str().unwrap_or_default().to_string());
    for key in ["createdAt", "updatedAt", "lastReadIds"] {
        conversation.as_object_mut().unwrap().remove(key);
    }
    json!({"messages": messages, "conversation": conversation})
}

/// Runs `messages` in order and in reverse (each delivered twice), asserts both end the same,
/// and returns the context of the usual order for the scenario's own checks.
async fn both_orders(kind: Kind, messages: &[Value], customer: &str) -> Ctx {
    let usual = deliver_all(fresh(kind).await, messages).await;
    let reversed: Vec<Value> = messages.iter().rev().cloned().collect();
    let reverse = deliver_all(fresh(kind).await, &reversed).await;
    let a = comparable(
        messages_of(&usual, customer).await,
        conversation_of(&usual, customer).await,
    );
    let b = comparable(
        messages_of(&reverse, customer).await,
        conversation_of(&reverse, customer).await,
    );
    assert_eq!(
        a, b,
        "the usual order and the reverse order end differently"
    );
    usual
}

async fn edit_then_delete(kind: Kind) {
    let original = message("text", "wamid.ORIG", CUSTOMER, T, json!({"body": "helo"}));
    let edit = message(
        "edit",
        "wamid.EDIT",
        CUSTOMER,
        T + 60,
        json!({"original_message_id": "wamid.ORIG", "message": {"type": "text", "text": {"body": "hello"}}}),
    );
    let revoke = message(
        "revoke",
        "wamid.REVOKE",
        CUSTOMER,
        T + 120,
        json!({"original_message_id": "wamid.ORIG"}),
    );
    // Edited, before the deletion.
    let ctx = both_orders(kind, &[original.clone(), edit.clone()], CUSTOMER).await;
    let messages = messages_of(&ctx, CUSTOMER).await;
    assert_eq!(messages.len(), 1, "an edit is not a message: {messages:?}");
    assert_eq!(messages[0]["text"], "hello");
    assert_eq!(messages[0]["editedAt"], "2025-11-20T10:01:00Z");
    assert_eq!(messages[0]["edits"][0]["text"], "helo");
    let conv = conversation_of(&ctx, CUSTOMER).await;
    assert_eq!(conv["unreadCount"], 1);
    assert_eq!(conv["lastMessagePreview"], "hello");
    assert_eq!(conv["lastMessageId"], "wamid.ORIG");

    // Then deleted.
    let ctx = both_orders(kind, &[original, edit, revoke], CUSTOMER).await;
    let messages = messages_of(&ctx, CUSTOMER).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["deletedAt"], "2025-11-20T10:02:00Z");
    assert_eq!(m["deletedBy"], "INBOUND");
    assert!(m.get("text").is_none() && m.get("edits").is_none(), "{m}");
    let conv = conversation_of(&ctx, CUSTOMER).await;
    assert_eq!(conv["unreadCount"], 1, "a deletion is not unread");
    assert_eq!(conv["lastMessagePreview"], "This message was deleted");
    assert_eq!(conv["lastActivityAt"], "2025-11-20T10:02:00Z");
}

async fn reaction_then_change_then_removal(kind: Kind) {
    let original = message("text", "wamid.ORIG", CUSTOMER, T, json!({"body": "hi"}));
    let react = |id: &str, at: i64, emoji: &str| {
        message(
            "reaction",
            id,
            CUSTOMER,
            at,
            json!({"message_id": "wamid.ORIG", "emoji": emoji}),
        )
    };
    let ctx = both_orders(
        kind,
        &[
            original,
            react("wamid.R1", T + 10, "👍"),
            react("wamid.R2", T + 20, "❤️"),
            react("wamid.R3", T + 30, ""),
        ],
        CUSTOMER,
    )
    .await;
    let messages = messages_of(&ctx, CUSTOMER).await;
    assert_eq!(
        messages.len(),
        1,
        "reactions are not messages: {messages:?}"
    );
    let mine = &messages[0]["reactions"][CUSTOMER];
    assert!(mine.get("emoji").is_none(), "removed: {mine}");
    assert_eq!(mine["at"], "2025-11-20T10:00:30Z");
    let conv = conversation_of(&ctx, CUSTOMER).await;
    assert_eq!(conv["unreadCount"], 1);
    assert_eq!(conv["lastMessageId"], "wamid.ORIG");
    assert_eq!(conv["lastMessagePreview"], "hi");
    assert_eq!(conv["lastActivityAt"], "2025-11-20T10:00:30Z");
}

async fn welcome_then_first_message(kind: Kind) {
    let welcome = message("request_welcome", "wamid.WELCOME", CUSTOMER, T, Value::Null);
    let first = message(
        "text",
        "wamid.FIRST",
        CUSTOMER,
        T + 5,
        json!({"body": "hi"}),
    );
    let ctx = both_orders(kind, &[welcome.clone(), first], CUSTOMER).await;
    let messages = messages_of(&ctx, CUSTOMER).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let conv = conversation_of(&ctx, CUSTOMER).await;
    assert_eq!(conv["welcomeRequestedAt"], "2025-11-20T10:00:00Z");
    assert_eq!(conv["lastInboundAt"], "2025-11-20T10:00:05Z");
    assert_eq!(conv["unreadCount"], 1);
    assert_eq!(conv["lastMessagePreview"], "hi");

    // The welcome alone: an open conversation and window, nothing unread, no message.
    let ctx = deliver_all(fresh(kind).await, &[welcome]).await;
    let conv = conversation_of(&ctx, CUSTOMER).await;
    assert_eq!(conv["unreadCount"], 0);
    assert_eq!(conv["lastInboundAt"], "2025-11-20T10:00:00Z");
    assert!(conv.get("lastMessagePreview").is_none(), "{conv}");
    assert!(messages_of(&ctx, CUSTOMER).await.is_empty());
    let listed = ok(&ctx, json!({"action": "get_conversations"})).await;
    assert_eq!(
        listed["conversations"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
}

async fn number_change_then_a_message_from_the_new_number(kind: Kind) {
    let before = message(
        "text",
        "wamid.OLD",
        CUSTOMER,
        T,
        json!({"body": "old number"}),
    );
    let change = message(
        "system",
        "wamid.CHANGE",
        CUSTOMER,
        T + 10,
        json!({"body": "Kerry changed their phone number to a new number", "new_wa_id": NEW_NUMBER, "type": "user_changed_number"}),
    );
    let after = message(
        "text",
        "wamid.NEW",
        NEW_NUMBER,
        T + 20,
        json!({"body": "new number"}),
    );
    let ctx = both_orders(kind, &[before, change, after], NEW_NUMBER).await;

    // One conversation, found from either number, holding the whole history.
    let from_old = conversation_of(&ctx, CUSTOMER).await;
    let from_new = conversation_of(&ctx, NEW_NUMBER).await;
    assert_eq!(from_old["pk"], from_new["pk"]);
    assert_eq!(from_new["waId"], NEW_NUMBER);
    assert_eq!(from_new["previousWaIds"], json!([CUSTOMER]));
    assert_eq!(from_new["lastMessageId"], "wamid.NEW");
    for customer in [CUSTOMER, NEW_NUMBER] {
        let ids: Vec<String> = messages_of(&ctx, customer)
            .await
            .iter()
            .map(|m| m["waMessageId"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            ids,
            ["wamid.NEW", "wamid.CHANGE", "wamid.OLD"],
            "{customer}"
        );
    }
    let listed = ok(&ctx, json!({"action": "get_conversations"})).await;
    assert_eq!(
        listed["conversations"].as_array().unwrap().len(),
        1,
        "{listed}"
    );

    // A reply addressed to the old number goes to the new one, in the same conversation.
    let sent = ok(
        &ctx,
        json!({"action": "send_text", "to": CUSTOMER, "text": "got it", "force": true}),
    )
    .await;
    assert_eq!(sent["message"]["to"], NEW_NUMBER, "{sent}");
    assert_eq!(sent["conversationPk"], from_new["pk"]);
    let id = sent["waMessageId"].as_str().unwrap();
    let stored = ok(&ctx, json!({"action": "get_message", "messageId": id})).await;
    assert_eq!(stored["conversationPk"], from_new["pk"], "{stored}");
}

async fn call_permission_reply_keeps_the_answer(kind: Kind) {
    let reply = message(
        "interactive",
        "wamid.CALLPERM",
        CUSTOMER,
        T,
        json!({"type": "call_permission_reply", "call_permission_reply": {
            "response": "accept", "is_permanent": false,
            "expiration_timestamp": T + 604_800, "response_source": "user_action"}}),
    );
    let ctx = deliver_all(fresh(kind).await, &[reply]).await;
    let m = &messages_of(&ctx, CUSTOMER).await[0];
    let answer = &m["interactive"]["callPermission"];
    assert_eq!(answer["response"], "accept");
    assert_eq!(answer["isPermanent"], false);
    assert_eq!(answer["responseSource"], "user_action");
    assert_eq!(answer["expirationTimestamp"], T + 604_800);
    assert_eq!(answer["expiresAt"], "2025-11-27T10:00:00Z");
}
