//! The conversation without a transaction (issue 11): the newest message by (time, id) wins in
//! any order of arrival, a redelivery changes nothing, a crash between the message and its
//! conversation is completed by the redelivery, and unread counts are derived from the read
//! mark. Each case runs on the embedded store and on DynamoDB Local.

use std::sync::Arc;

use handlers::Ctx;
use handlers::store::{Store, put_item};
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

macro_rules! both_stores {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::embedded_store()).await; })*
        }
        mod dynamodb {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::dynamo_store().await).await; })*
        }
    };
}

both_stores!(
    same_second_messages_end_the_same_in_either_order,
    read_mark_counts_what_came_after_it,
    unread_counts_in_the_inbox_list,
    redelivery_completes_a_conversation_left_behind,
    duplicate_of_the_newest_does_not_unarchive,
    late_inbound_behind_a_reply_opens_the_window,
);

const CONV: &str = "CONV#106540352242922#16505551234";
const T: i64 = 1_763_632_800;

async fn deliver(ctx: &Ctx, sns_id: &str, wamid: &str, timestamp: i64, body: &str) {
    intake::handle(ctx, text_event(sns_id, wamid, CUSTOMER, timestamp, body))
        .await
        .expect("delivered");
}

/// A text the business sent to [`CUSTOMER`] at `at`.
fn outbound_message(id: &str, at: &str) -> handlers::model::MessageItem {
    handlers::model::MessageItem {
        pk: handlers::keys::message(id),
        item_type: handlers::model::ItemType::Message,
        wa_message_id: id.into(),
        direction: handlers::model::Direction::Outbound,
        kind: Some("text".into()),
        conversation_pk: Some(CONV.into()),
        received_at: at.into(),
        created_at: at.into(),
        ..Default::default()
    }
}

async fn conversation(ctx: &Ctx) -> Value {
    let answer = action(
        ctx,
        json!({"action": "get_conversation", "customerId": CUSTOMER}),
    )
    .await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    answer["data"].clone()
}

async fn same_second_messages_end_the_same_in_either_order<S: Store + 'static>(store: Arc<S>) {
    // GIVEN two messages of the same second, delivered in both orders to two conversations
    // (two customers), and the smaller id redelivered last
    let ctx = ctx(store.clone());
    for (customer, order) in [
        (CUSTOMER, ["wamid.SAME-A", "wamid.SAME-B"]),
        ("447700900123", ["wamid.SAME-B2", "wamid.SAME-A2"]),
    ] {
        for (i, id) in order.iter().enumerate() {
            let event = text_event(&format!("{id}-{i}"), id, customer, T, id);
            intake::handle(&ctx, event).await.unwrap();
        }
        let first = order.iter().min().unwrap();
        let again = text_event("again", first, customer, T, first);
        intake::handle(&ctx, again).await.unwrap();
    }
    // THEN the larger id is the last message, whatever the order, and both count as unread
    let a = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(a.last_message_id.as_deref(), Some("wamid.SAME-B"));
    assert_eq!(a.unread_count, 2);
    let b = store
        .get_conversation(&format!("CONV#{PHONE}#447700900123"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.last_message_id.as_deref(), Some("wamid.SAME-B2"));
    assert_eq!(b.last_message_preview.as_deref(), Some("wamid.SAME-B2"));
    assert_eq!(b.unread_count, 2);
}

async fn read_mark_counts_what_came_after_it<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    // GIVEN two messages, then the conversation marked read
    deliver(&ctx, "r1", "wamid.R1", T - 10, "one").await;
    deliver(&ctx, "r2", "wamid.R2", T, "two").await;
    assert_eq!(conversation(&ctx).await["unreadCount"], 2);
    let read = action(
        &ctx,
        json!({"action": "mark_conversation_read", "customerId": CUSTOMER}),
    )
    .await;
    assert_eq!(read["data"]["unreadCount"], 0, "{read}");
    assert_eq!(read["data"]["lastReadAt"], "2025-11-20T10:00:00Z");
    // WHEN the messages are delivered again: still read
    deliver(&ctx, "r1-again", "wamid.R1", T - 10, "one").await;
    deliver(&ctx, "r2-again", "wamid.R2", T, "two").await;
    assert_eq!(conversation(&ctx).await["unreadCount"], 0);
    // WHEN another message of the mark's own second arrives: it was not seen, so it is unread
    deliver(&ctx, "r3", "wamid.R3", T, "three, same second").await;
    assert_eq!(conversation(&ctx).await["unreadCount"], 1);
    // WHEN a message older than the mark arrives late: the read mark covers it
    deliver(&ctx, "r0", "wamid.R0", T - 60, "late").await;
    assert_eq!(conversation(&ctx).await["unreadCount"], 1);
    // WHEN a newer one arrives, twice
    deliver(&ctx, "r4", "wamid.R4", T + 5, "four").await;
    deliver(&ctx, "r4-again", "wamid.R4", T + 5, "four").await;
    let conv = conversation(&ctx).await;
    assert_eq!(conv["unreadCount"], 2, "{conv}");
    // AND a send from the business does not count
    let outbound = outbound_message("wamid.OUT", "2025-11-20T10:00:30Z");
    put_item(store.as_ref(), &outbound).await.unwrap();
    assert_eq!(conversation(&ctx).await["unreadCount"], 2);
    // THEN reading again zeroes it, and the mark moves to the newest message
    let read = action(
        &ctx,
        json!({"action": "mark_conversation_read", "customerId": CUSTOMER}),
    )
    .await;
    assert_eq!(read["data"]["unreadCount"], 0, "{read}");
    assert_eq!(read["data"]["lastReadAt"], "2025-11-20T10:00:05Z");
}

async fn unread_counts_in_the_inbox_list<S: Store + 'static>(store: Arc<S>) {
    // GIVEN three conversations: one read, one with two unread, one with one unread
    let ctx = ctx(store.clone());
    let customers = ["447700900301", "447700900302", "447700900303"];
    for (n, customer) in customers.iter().enumerate() {
        for i in 0..=n {
            let id = format!("wamid.L{n}{i}");
            let event = text_event(&id, &id, customer, T + (n * 10 + i) as i64, "hi");
            intake::handle(&ctx, event).await.unwrap();
        }
    }
    let read = action(
        &ctx,
        json!({"action": "mark_conversation_read", "customerId": customers[0]}),
    )
    .await;
    assert_eq!(read["statusCode"], 200, "{read}");
    // THEN the inbox shows each count
    let inbox = action(&ctx, json!({"action": "get_conversations"})).await;
    let counts: Vec<(String, i64)> = inbox["data"]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["customerId"].as_str().unwrap().to_string(),
                c["unreadCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("447700900303".to_string(), 3),
            ("447700900302".to_string(), 2),
            ("447700900301".to_string(), 0),
        ]
    );
}

async fn redelivery_completes_a_conversation_left_behind<S: Store + 'static>(store: Arc<S>) {
    // GIVEN a message stored without its conversation (the process died between the two
    // writes, which DynamoDB sends independently)
    let ctx = ctx(store.clone());
    deliver(&ctx, "c1", "wamid.C1", T, "first").await;
    let event = text_event("c2", "wamid.C2", CUSTOMER, T + 60, "second");
    let body = event["Records"][0]["Sns"]["Message"].as_str().unwrap();
    let envelope = handlers::model::Envelope::parse(body).unwrap();
    let entry = envelope.entry().unwrap();
    let value: handlers::model::MessagesValue =
        serde_json::from_value(entry.changes[0].value.clone()).unwrap();
    let arrival = handlers::model::Arrival {
        phone_number_id: PHONE,
        display_phone_number: Some("15550783881"),
        waba_id: WABA,
        now: "2026-11-23T10:00:00Z",
        arrived_at: &handlers::time::arrival(envelope.message_timestamp.as_deref()),
    };
    let (item, _) =
        handlers::model::parse_inbound(&value.messages[0], &arrival, &value.contacts).unwrap();
    put_item(store.as_ref(), &item).await.unwrap();
    let before = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(before.last_message_id.as_deref(), Some("wamid.C1"));
    // WHEN the record is delivered again
    let answer = intake::handle(&ctx, event).await.unwrap();
    // THEN it is a duplicate, and the conversation is complete
    assert_eq!(answer["data"]["duplicates"], 1, "{answer}");
    let after = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(after.last_message_id.as_deref(), Some("wamid.C2"));
    assert_eq!(after.last_message_preview.as_deref(), Some("second"));
    assert_eq!(
        after.last_inbound_at.as_deref(),
        Some("2025-11-20T10:01:00Z")
    );
    assert_eq!(after.unread_count, 2);
}

async fn duplicate_of_the_newest_does_not_unarchive<S: Store + 'static>(store: Arc<S>) {
    // GIVEN a conversation archived after its newest message
    let ctx = ctx(store.clone());
    deliver(&ctx, "a1", "wamid.ARCH", T, "hello").await;
    let archived = action(
        &ctx,
        json!({"action": "archive_conversation", "conversationPk": CONV}),
    )
    .await;
    assert_eq!(archived["data"]["archived"], true, "{archived}");
    // WHEN that message is delivered again
    deliver(&ctx, "a1-again", "wamid.ARCH", T, "hello").await;
    // THEN it stays archived; a new message brings it back
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert!(conv.archived);
    deliver(&ctx, "a2", "wamid.ARCH2", T + 1, "again").await;
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert!(!conv.archived);
    assert_eq!(conv.unread_count, 2);
}

async fn late_inbound_behind_a_reply_opens_the_window<S: Store + 'static>(store: Arc<S>) {
    // GIVEN a customer message at T and the business's reply at T+100
    let ctx = ctx(store.clone());
    deliver(&ctx, "w1", "wamid.W1", T, "hi").await;
    let reply = outbound_message("wamid.REPLY", "2025-11-20T10:01:40Z");
    let touch = handlers::store::ConversationTouch {
        pk: CONV.into(),
        inbox_pk: PHONE.into(),
        phone_number_id: PHONE.into(),
        customer_id: CUSTOMER.into(),
        message_at: reply.received_at.clone(),
        message_id: reply.wa_message_id.clone(),
        preview: "our reply".into(),
        direction: handlers::model::Direction::Outbound,
        inbound: false,
        now: "2026-11-23T10:00:00Z".into(),
        ..Default::default()
    };
    store.record_message(&reply, &touch).await.unwrap();
    // WHEN a customer message from T+50 arrives late, and again
    deliver(&ctx, "w2", "wamid.W2", T + 50, "sent before your reply").await;
    deliver(
        &ctx,
        "w2-again",
        "wamid.W2",
        T + 50,
        "sent before your reply",
    )
    .await;
    // THEN the reply stays the last message, and the window starts at T+50
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.last_message_id.as_deref(), Some("wamid.REPLY"));
    assert_eq!(conv.last_message_preview.as_deref(), Some("our reply"));
    assert_eq!(
        conv.last_inbound_at.as_deref(),
        Some("2025-11-20T10:00:50Z")
    );
    assert_eq!(conv.unread_count, 2);
}
