//! The order of a conversation is the order in which things happened: Meta's time (whole
//! seconds), then, within one second, when this system learned of each message (EUM's receipt
//! of the webhook, or the moment a send was asked for), and only then the message id. A reply
//! in its question's second follows the question whichever id sorts higher, also when the
//! question is delivered again after the reply. Each case runs on both stores.

use std::sync::Arc;

use handlers::Ctx;
use handlers::store::{PageRequest, Store};
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
    a_reply_in_its_questions_second_follows_it,
    a_send_follows_a_question_of_its_second,
    one_second_pages_in_the_order_of_arrival,
    items_stored_before_arrival_times_come_first_in_their_second,
);

/// 2025-11-20T10:00:00Z
const T: i64 = 1_763_632_800;
const OTHER: &str = "447700900123";
const THIRD: &str = "33612345678";

fn conv(customer: &str) -> String {
    format!("CONV#{PHONE}#{customer}")
}

/// An EUM event that EUM received at `received` (its `message_timestamp`).
fn eum_event(changes: Value, received: &str) -> String {
    let mut event: Value = serde_json::from_str(&envelope(changes)).unwrap();
    event["message_timestamp"] = json!(received);
    event.to_string()
}

/// A customer's text of Meta time `timestamp`, received by EUM at `received`.
fn question(wamid: &str, customer: &str, timestamp: i64, received: &str) -> String {
    eum_event(
        messages_change(
            customer,
            json!([text_message(wamid, customer, timestamp, "is it in stock?")]),
            json!([]),
        ),
        received,
    )
}

/// A reply the business wrote in the WhatsApp Business app (an echo), received at `received`.
fn echo(wamid: &str, customer: &str, timestamp: i64, received: &str) -> String {
    eum_event(
        json!([{
            "field": "smb_message_echoes",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
                "message_echoes": [{
                    "from": "15550783881", "to": customer, "id": wamid,
                    "timestamp": timestamp.to_string(), "type": "text",
                    "text": {"body": "yes, we have it"}
                }]
            }
        }]),
        received,
    )
}

async fn deliver(ctx: &Ctx, sns_id: &str, body: &str) {
    let answer = intake::handle(ctx, sns_event(&[(sns_id, body.to_string())]))
        .await
        .expect("delivered");
    assert_eq!(answer["data"]["poison"], 0, "{answer}");
}

async fn thread<S: Store + 'static>(store: &Arc<S>, conversation: &str, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_messages(conversation, &PageRequest { limit, cursor })
            .await
            .unwrap();
        ids.extend(page.items.into_iter().map(|m| m.wa_message_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            return ids;
        }
    }
}

async fn a_reply_in_its_questions_second_follows_it<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    // GIVEN a question of 10:00:00 that EUM received at .200 and a reply of the same second
    // received at .900: the reply's id sorts higher for one customer, lower for the other, and
    // for the third the reply's record is processed before the question's
    let cases = [
        (CUSTOMER, "wamid.A-Q", "wamid.Z-R", false),
        (OTHER, "wamid.Z-Q2", "wamid.A-R2", false),
        (THIRD, "wamid.Z-Q3", "wamid.A-R3", true),
    ];
    for (customer, q, r, reply_first) in cases {
        let asked = question(q, customer, T, "2025-11-20T10:00:00.200Z");
        let answered = echo(r, customer, T, "2025-11-20T10:00:00.900123456Z");
        if reply_first {
            deliver(&ctx, &format!("{r}-sns"), &answered).await;
            deliver(&ctx, &format!("{q}-sns"), &asked).await;
        } else {
            deliver(&ctx, &format!("{q}-sns"), &asked).await;
            deliver(&ctx, &format!("{r}-sns"), &answered).await;
        }
        // WHEN the question's record is delivered again after the reply (the same SNS
        // message, and the same event published twice under another SNS id)
        deliver(&ctx, &format!("{q}-sns"), &asked).await;
        deliver(&ctx, &format!("{q}-sns-again"), &asked).await;

        // THEN the thread, newest first, is the reply then the question
        assert_eq!(
            thread(&store, &conv(customer), 50).await,
            [r, q],
            "{customer}"
        );
        // and the conversation's last message is the business's reply
        let c = store
            .get_conversation(&conv(customer))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.last_message_id.as_deref(), Some(r), "{customer}");
        assert_eq!(
            c.last_message_direction,
            Some(handlers::model::Direction::Outbound),
            "{customer}"
        );
        assert_eq!(c.last_message_preview.as_deref(), Some("yes, we have it"));
        // the question, stored once, is the one unread message; the window opened with it
        assert_eq!(c.unread_count, 1, "{customer}");
        assert_eq!(c.last_inbound_at.as_deref(), Some("2025-11-20T10:00:00Z"));
        // and the inbox lists the same
        let inbox = action(
            &ctx,
            json!({"action": "get_conversations", "phoneNumberId": PHONE, "limit": 10}),
        )
        .await;
        let listed = inbox["data"]["conversations"]
            .as_array()
            .unwrap_or_else(|| panic!("{inbox}"))
            .iter()
            .find(|c| c["customerId"] == customer)
            .cloned()
            .unwrap_or_else(|| panic!("{customer} listed: {inbox}"));
        assert_eq!(listed["lastMessageDirection"], "OUTBOUND", "{listed}");
        assert_eq!(listed["unreadCount"], 1, "{listed}");
    }
}

async fn a_send_follows_a_question_of_its_second<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    for (customer, q) in [(CUSTOMER, "wamid.A-SENT-Q"), (OTHER, "wamid.Z-SENT-Q")] {
        // GIVEN an open conversation
        let opener = format!("wamid.OPEN-{customer}");
        let opened = question(&opener, customer, now_secs() - 120, "2025-01-01T00:00:00Z");
        deliver(&ctx, &format!("open-{customer}"), &opened).await;
        // WHEN the business sends a reply (its id `wamid.SANDBOX…` sorts between the two
        // questions' ids)
        let sent = action(
            &ctx,
            json!({"action": "send_text", "to": customer, "text": "on its way"}),
        )
        .await;
        assert_eq!(sent["statusCode"], 200, "{sent}");
        let r = sent["data"]["waMessageId"].as_str().unwrap().to_string();
        let reply = store.get_message(&r).await.unwrap().unwrap();
        // and a question of the reply's second, which EUM received at the very start of that
        // second (before the send was asked for), is processed after the send
        let second = handlers::time::parse_iso(&reply.received_at)
            .unwrap()
            .timestamp();
        let received = format!("{}.000Z", reply.received_at.trim_end_matches('Z'));
        deliver(&ctx, q, &question(q, customer, second, &received)).await;
        deliver(
            &ctx,
            &format!("{q}-again"),
            &question(q, customer, second, &received),
        )
        .await;
        // THEN the reply follows the question, and is the conversation's last message
        let ids = thread(&store, &conv(customer), 50).await;
        assert_eq!(ids[..2], [r.as_str(), q], "{customer}");
        let c = store
            .get_conversation(&conv(customer))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.last_message_id.as_deref(), Some(r.as_str()), "{customer}");
        assert_eq!(
            c.last_message_direction,
            Some(handlers::model::Direction::Outbound)
        );
        assert_eq!(c.last_message_preview.as_deref(), Some("on its way"));
        assert_eq!(c.unread_count, 2, "{customer}");
    }
}

async fn one_second_pages_in_the_order_of_arrival<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    // GIVEN five messages of one second whose ids sort against their order of arrival, and an
    // older one
    deliver(
        &ctx,
        "older",
        &question("wamid.OLDER", CUSTOMER, T - 5, "2025-11-20T09:59:55.500Z"),
    )
    .await;
    let arrived = ["wamid.E", "wamid.D", "wamid.C", "wamid.B", "wamid.A"];
    for (i, id) in arrived.iter().enumerate() {
        let received = format!("2025-11-20T10:00:00.{}00Z", i + 1);
        let body = if i % 2 == 0 {
            question(id, CUSTOMER, T, &received)
        } else {
            echo(id, CUSTOMER, T, &received)
        };
        deliver(&ctx, id, &body).await;
    }
    // WHEN the thread is read whole, and two messages at a time
    let whole = thread(&store, &conv(CUSTOMER), 50).await;
    let paged = thread(&store, &conv(CUSTOMER), 2).await;
    // THEN both are in the order of arrival, newest first
    let expected = [
        "wamid.A",
        "wamid.B",
        "wamid.C",
        "wamid.D",
        "wamid.E",
        "wamid.OLDER",
    ];
    assert_eq!(whole, expected);
    assert_eq!(paged, expected);
    let c = store
        .get_conversation(&conv(CUSTOMER))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.last_message_id.as_deref(), Some("wamid.A"));
    // the questions of that second and the older one are unread
    assert_eq!(c.unread_count, 4);
}

async fn items_stored_before_arrival_times_come_first_in_their_second<S: Store + 'static>(
    store: Arc<S>,
) {
    let ctx = ctx(store.clone());
    // GIVEN a message and its conversation as stored before `arrivedAt` existed (no arrival
    // time), whose id sorts above the next message's
    let old = handlers::model::MessageItem {
        pk: handlers::keys::message("wamid.Z-OLD"),
        item_type: handlers::model::ItemType::Message,
        wa_message_id: "wamid.Z-OLD".into(),
        direction: handlers::model::Direction::Inbound,
        kind: Some("text".into()),
        text: Some("stored long ago".into()),
        conversation_pk: Some(conv(CUSTOMER)),
        received_at: "2025-11-20T10:00:00Z".into(),
        created_at: "2025-11-20T10:00:01Z".into(),
        ..Default::default()
    };
    let touch = handlers::store::ConversationTouch {
        pk: conv(CUSTOMER),
        inbox_pk: PHONE.into(),
        phone_number_id: PHONE.into(),
        customer_id: CUSTOMER.into(),
        message_at: old.received_at.clone(),
        message_id: old.wa_message_id.clone(),
        preview: "stored long ago".into(),
        direction: handlers::model::Direction::Inbound,
        inbound: true,
        now: "2025-11-20T10:00:01Z".into(),
        ..Default::default()
    };
    store.record_message(&old, &touch).await.unwrap();
    // WHEN a reply of the same second arrives, with its arrival time
    deliver(
        &ctx,
        "new",
        &echo("wamid.A-NEW", CUSTOMER, T, "2025-11-20T10:00:00.700Z"),
    )
    .await;
    // THEN it follows the old message, in the thread and as the last message
    assert_eq!(
        thread(&store, &conv(CUSTOMER), 1).await,
        ["wamid.A-NEW", "wamid.Z-OLD"]
    );
    let c = store
        .get_conversation(&conv(CUSTOMER))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.last_message_id.as_deref(), Some("wamid.A-NEW"));
    assert_eq!(
        c.last_message_arrived_at.as_deref(),
        Some("2025-11-20T10:00:00.700000000Z")
    );
}
