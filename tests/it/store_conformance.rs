//! One conformance suite, run against every store: the embedded store and DynamoDB Local.
//! Each case goes through the real intake path (SNS events) or the store port directly.

use std::sync::Arc;

use handlers::keys;
use handlers::model::{self, Direction, ItemType, MessageItem, MessageStatus};
use handlers::store::{
    ConversationTouch, PageRequest, Recorded, Store, StoreError, get_item_as, put_item,
};
use serde_json::json;
use whatsapp_lambda::intake;

use crate::helpers::*;

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::embedded_store()).await; })*
        }
        mod dynamodb {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::dynamo_store().await).await; })*
        }
    };
}

conformance!(
    duplicates_are_stored_and_counted_once,
    statuses_only_move_forward,
    failed_is_terminal_and_keeps_its_error,
    status_before_its_message_merges,
    out_of_order_messages_keep_the_newest_last,
    concurrent_deliveries_count_exactly,
    messages_and_conversations_paginate,
    archive_and_read,
    template_and_quality_updates_never_regress,
    foreign_tokens_are_refused,
    stats_count_the_recent_window,
    stored_attributes_keep_their_text,
    create_record_claims_a_key_once,
    one_batch_with_a_repeated_message_stores_it_once,
    one_batch_with_a_status_before_its_message_keeps_the_status,
    one_batch_with_interleaved_conversations_keeps_each_in_order,
    transitions_apply_with_their_counters_or_not_at_all,
    many_records_are_written_in_batches,
);

const CONV: &str = "CONV#106540352242922#16505551234";

async fn duplicates_are_stored_and_counted_once<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    // GIVEN one message delivered ten times, some under other SNS ids (EUM may publish twice)
    for i in 0..10 {
        let sns_id = if i % 2 == 0 {
            "sns-1".to_string()
        } else {
            format!("sns-dup-{i}")
        };
        intake::handle(
            &ctx,
            text_event(&sns_id, "wamid.D1", CUSTOMER, 1_763_632_800, "hello"),
        )
        .await
        .unwrap();
    }
    // THEN one message, counted once
    let conv = store
        .get_conversation(CONV)
        .await
        .unwrap()
        .expect("conversation");
    assert_eq!(conv.unread_count, 1);
    let page = store
        .list_messages(
            CONV,
            &PageRequest {
                limit: 50,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].text.as_deref(), Some("hello"));
}

async fn statuses_only_move_forward<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    for (n, (value, ts)) in [
        ("delivered", 20),
        ("sent", 10),
        ("read", 30),
        ("delivered", 20),
        ("sent", 10),
    ]
    .iter()
    .enumerate()
    {
        intake::handle(
            &ctx,
            status_event(&format!("s{n}"), "wamid.OUT1", value, 1_763_632_800 + ts),
        )
        .await
        .unwrap();
    }
    let msg = store
        .get_message("wamid.OUT1")
        .await
        .unwrap()
        .expect("status creates the item");
    assert_eq!(msg.status, MessageStatus::Read);
    assert_eq!(msg.direction, Direction::Outbound);
    assert_eq!(msg.delivered_at.as_deref(), Some("2025-11-20T10:00:20Z"));
    assert_eq!(msg.read_at.as_deref(), Some("2025-11-20T10:00:30Z"));
    // the late `sent` changed nothing
    assert_eq!(msg.sent_at, None);
    assert_eq!(msg.conversation_pk.as_deref(), Some(CONV));
}

async fn failed_is_terminal_and_keeps_its_error<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    intake::handle(
        &ctx,
        status_event("f1", "wamid.OUT2", "sent", 1_763_632_801),
    )
    .await
    .unwrap();
    intake::handle(
        &ctx,
        status_event("f2", "wamid.OUT2", "failed", 1_763_632_802),
    )
    .await
    .unwrap();
    intake::handle(
        &ctx,
        status_event("f3", "wamid.OUT2", "read", 1_763_632_803),
    )
    .await
    .unwrap();
    let msg = store.get_message("wamid.OUT2").await.unwrap().unwrap();
    assert_eq!(msg.status, MessageStatus::Failed);
    let error = msg.error.expect("failed keeps Meta's error");
    assert_eq!(error.code, Some(131047));
    assert_eq!(error.title.as_deref(), Some("Re-engagement message"));
    assert_eq!(
        error.details.as_deref(),
        Some("More than 24 hours have passed")
    );
    assert_eq!(msg.sent_at.as_deref(), Some("2025-11-20T10:00:01Z"));
    assert_eq!(msg.read_at, None);
}

async fn status_before_its_message_merges<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    intake::handle(
        &ctx,
        status_event("b1", "wamid.OUT3", "delivered", 1_763_632_810),
    )
    .await
    .unwrap();
    // the send is recorded after its status arrived (as the outbound path will do)
    let outbound = MessageItem {
        pk: keys::message("wamid.OUT3"),
        item_type: ItemType::Message,
        wa_message_id: "wamid.OUT3".into(),
        direction: Direction::Outbound,
        kind: Some("text".into()),
        text: Some("your order shipped".into()),
        conversation_pk: Some(CONV.into()),
        received_at: "2025-11-20T10:00:05Z".into(),
        created_at: "2025-11-20T10:00:05Z".into(),
        status: MessageStatus::Accepted,
        ..Default::default()
    };
    let touch = ConversationTouch {
        pk: CONV.into(),
        inbox_pk: keys::inbox(PHONE),
        phone_number_id: PHONE.into(),
        customer_id: CUSTOMER.into(),
        wa_id: Some(CUSTOMER.into()),
        message_at: outbound.received_at.clone(),
        message_id: "wamid.OUT3".into(),
        preview: "your order shipped".into(),
        direction: Direction::Outbound,
        inbound: false,
        now: "2025-11-20T10:00:05Z".into(),
        ..Default::default()
    };
    assert_eq!(
        store.record_message(&outbound, &touch).await.unwrap(),
        Recorded::New
    );
    assert_eq!(
        store.record_message(&outbound, &touch).await.unwrap(),
        Recorded::Duplicate
    );
    let msg = store.get_message("wamid.OUT3").await.unwrap().unwrap();
    assert_eq!(msg.kind.as_deref(), Some("text"));
    assert_eq!(
        msg.status,
        MessageStatus::Delivered,
        "the earlier status is kept"
    );
    assert_eq!(msg.text.as_deref(), Some("your order shipped"));
    assert_eq!(
        msg.to.as_deref(),
        Some(CUSTOMER),
        "what only the status knew is kept"
    );
    assert_eq!(msg.phone_number_id.as_deref(), Some(PHONE));
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 0, "outbound messages are not unread");
    assert_eq!(conv.last_inbound_at, None);
}

async fn out_of_order_messages_keep_the_newest_last<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    intake::handle(
        &ctx,
        text_event("o1", "wamid.NEW", CUSTOMER, 1_763_632_900, "newer"),
    )
    .await
    .unwrap();
    intake::handle(
        &ctx,
        text_event("o2", "wamid.OLD", CUSTOMER, 1_763_632_800, "older"),
    )
    .await
    .unwrap();
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 2);
    assert_eq!(conv.last_message_preview.as_deref(), Some("newer"));
    assert_eq!(conv.last_message_at, "2025-11-20T10:01:40Z");
    assert_eq!(
        conv.last_inbound_at.as_deref(),
        Some("2025-11-20T10:01:40Z")
    );
    let page = store
        .list_messages(
            CONV,
            &PageRequest {
                limit: 10,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let ids: Vec<_> = page
        .items
        .iter()
        .map(|m| m.wa_message_id.as_str())
        .collect();
    assert_eq!(ids, ["wamid.NEW", "wamid.OLD"]);
}

async fn concurrent_deliveries_count_exactly<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    // GIVEN 16 messages to one conversation, each delivered twice, all at once
    let mut tasks = Vec::new();
    for i in 0..32 {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let n = i % 16;
            let event = text_event(
                &format!("c{i}"),
                &format!("wamid.C{n}"),
                CUSTOMER,
                1_763_632_800 + n,
                "hi",
            );
            intake::handle(&ctx, event).await
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("no delivery fails");
    }
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 16);
    assert_eq!(conv.last_message_id.as_deref(), Some("wamid.C15"));
    let page = store
        .list_messages(
            CONV,
            &PageRequest {
                limit: 100,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 16);
}

async fn messages_and_conversations_paginate<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    for i in 0..25 {
        intake::handle(
            &ctx,
            text_event(
                &format!("p{i}"),
                &format!("wamid.P{i:02}"),
                CUSTOMER,
                1_763_632_800 + i,
                "x",
            ),
        )
        .await
        .unwrap();
    }
    for c in 0..7 {
        let customer = format!("4477009001{c:02}");
        intake::handle(
            &ctx,
            text_event(
                &format!("q{c}"),
                &format!("wamid.Q{c}"),
                &customer,
                1_763_640_000 + c,
                "y",
            ),
        )
        .await
        .unwrap();
    }
    // messages through the action, 10 at a time
    let mut seen = Vec::new();
    let mut token = json!(null);
    for _ in 0..10 {
        let answer = action(&ctx, json!({"action": "get_messages", "customerId": CUSTOMER, "limit": 10, "nextToken": token})).await;
        assert_eq!(answer["statusCode"], 200, "{answer}");
        for m in answer["data"]["messages"].as_array().unwrap() {
            seen.push(m["waMessageId"].as_str().unwrap().to_string());
        }
        token = answer["data"]["nextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    let expected: Vec<String> = (0..25).rev().map(|i| format!("wamid.P{i:02}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
    // conversations, 3 at a time
    let mut convs = Vec::new();
    let mut token = json!(null);
    for _ in 0..10 {
        let answer = action(
            &ctx,
            json!({"action": "get_conversations", "limit": 3, "nextToken": token}),
        )
        .await;
        assert_eq!(answer["statusCode"], 200, "{answer}");
        for c in answer["data"]["conversations"].as_array().unwrap() {
            convs.push(c["customerId"].as_str().unwrap().to_string());
        }
        token = answer["data"]["nextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    assert_eq!(convs.len(), 8);
    assert_eq!(convs[0], "447700900106", "most recent first");
    assert_eq!(convs[7], CUSTOMER);
}

async fn archive_and_read<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    intake::handle(
        &ctx,
        text_event("a1", "wamid.A1", CUSTOMER, 1_763_632_800, "one"),
    )
    .await
    .unwrap();
    let read = action(
        &ctx,
        json!({"action": "mark_conversation_read", "customerId": CUSTOMER}),
    )
    .await;
    assert_eq!(read["data"]["unreadCount"], 0, "{read}");
    let archived = action(
        &ctx,
        json!({"action": "archive_conversation", "conversationPk": CONV}),
    )
    .await;
    assert_eq!(archived["data"]["archived"], true, "{archived}");
    let inbox = action(&ctx, json!({"action": "get_conversations"})).await;
    assert_eq!(inbox["data"]["count"], 0);
    let shelf = action(
        &ctx,
        json!({"action": "get_conversations", "archived": true}),
    )
    .await;
    assert_eq!(shelf["data"]["count"], 1);
    // a new message from the customer brings it back
    intake::handle(
        &ctx,
        text_event("a2", "wamid.A2", CUSTOMER, 1_763_632_900, "two"),
    )
    .await
    .unwrap();
    let inbox = action(&ctx, json!({"action": "get_conversations"})).await;
    assert_eq!(inbox["data"]["count"], 1);
    assert_eq!(inbox["data"]["conversations"][0]["unreadCount"], 1);
    let missing = action(
        &ctx,
        json!({"action": "mark_conversation_read", "customerId": "999"}),
    )
    .await;
    assert_eq!(missing["statusCode"], 404);
}

async fn template_and_quality_updates_never_regress<S: Store + 'static>(store: Arc<S>) {
    let newer = model::TemplateItem {
        pk: keys::template(WABA, "order_update", "en_US"),
        item_type: ItemType::Template,
        item_type_pk: keys::item_type::TEMPLATE.into(),
        waba_id: WABA.into(),
        name: "order_update".into(),
        language: "en_US".into(),
        status: "APPROVED".into(),
        status_at: "2026-11-20T10:00:10Z".into(),
        created_at: "2026-11-20T10:00:10Z".into(),
        updated_at: "2026-11-20T10:00:10Z".into(),
        ..Default::default()
    };
    let older = model::TemplateItem {
        status: "PENDING".into(),
        status_at: "2026-11-20T10:00:00Z".into(),
        ..newer.clone()
    };
    assert!(store.put_template_status(&newer).await.unwrap());
    assert!(!store.put_template_status(&older).await.unwrap());
    let stored = store.get_item(&newer.pk).await.unwrap().unwrap();
    assert_eq!(stored["status"], "APPROVED");
    let listed = store
        .list_by_item_type(
            keys::item_type::TEMPLATE,
            &PageRequest {
                limit: 10,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}

async fn foreign_tokens_are_refused<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    for i in 0..3 {
        intake::handle(
            &ctx,
            text_event(
                &format!("t{i}"),
                &format!("wamid.T{i}"),
                CUSTOMER,
                1_763_632_800 + i,
                "x",
            ),
        )
        .await
        .unwrap();
    }
    let page = store
        .list_messages(
            CONV,
            &PageRequest {
                limit: 1,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let token = page.next_cursor.expect("more pages");
    // a token of one conversation used on another
    let other = store
        .list_messages(
            "CONV#1#2",
            &PageRequest {
                limit: 1,
                cursor: Some(token),
            },
        )
        .await;
    assert!(matches!(other, Err(StoreError::BadCursor(_))), "{other:?}");
    let garbage = action(
        &ctx,
        json!({"action": "get_messages", "customerId": CUSTOMER, "nextToken": "bm9wZQ"}),
    )
    .await;
    assert_eq!(garbage["statusCode"], 400, "{garbage}");
    assert!(garbage["error"].as_str().unwrap().contains("nextToken"));
}

async fn stats_count_the_recent_window<S: Store + 'static>(store: Arc<S>) {
    let ctx = ctx(store.clone());
    let now = now_secs();
    // two messages in the window, one from two days ago (outside 24 hours), one send, one poison record
    intake::handle(&ctx, text_event("w1", "wamid.W1", CUSTOMER, now - 60, "a"))
        .await
        .unwrap();
    intake::handle(
        &ctx,
        text_event("w2", "wamid.W2", "447700900123", now - 3600, "b"),
    )
    .await
    .unwrap();
    intake::handle(
        &ctx,
        text_event("w3", "wamid.W3", CUSTOMER, now - 48 * 3600, "old"),
    )
    .await
    .unwrap();
    let sent = action(
        &ctx,
        json!({"action": "send_text", "to": CUSTOMER, "text": "reply"}),
    )
    .await;
    assert_eq!(sent["statusCode"], 200, "{sent}");
    intake::handle(&ctx, sns_event(&[("bad", "{".to_string())]))
        .await
        .unwrap();
    let stats = action(&ctx, json!({"action": "get_stats", "hours": 24})).await;
    assert_eq!(stats["statusCode"], 200, "{stats}");
    let data = &stats["data"];
    assert_eq!(data["inbound"]["total"], 2, "{data}");
    assert_eq!(data["inbound"]["byType"]["text"], 2);
    assert_eq!(data["outbound"]["total"], 1);
    assert_eq!(data["outbound"]["byStatus"]["accepted"], 1);
    assert_eq!(data["activeConversations"], 2);
    assert_eq!(data["failedWebhookRecords"], 1);
    let wider = action(&ctx, json!({"action": "get_stats", "hours": 72})).await;
    assert_eq!(wider["data"]["inbound"]["total"], 3);
}

/// The typed states are stored as exactly the text written before they were enums: items
/// already in a table, and anything reading the table directly, see no change.
async fn stored_attributes_keep_their_text<S: Store + 'static>(store: Arc<S>) {
    // (auditing processed records too: the audit item's attributes are checked below)
    let ctx = ctx_auditing(store.clone());
    // GIVEN an inbound message, a status of an unknown message, an unknown status and a kept field
    intake::handle(
        &ctx,
        text_event("raw-1", "wamid.RAW1", CUSTOMER, 1_763_632_800, "hi"),
    )
    .await
    .unwrap();
    intake::handle(
        &ctx,
        status_event("raw-2", "wamid.RAW2", "sent", 1_763_632_801),
    )
    .await
    .unwrap();
    intake::handle(
        &ctx,
        status_event("raw-3", "wamid.RAW3", "some_new_status", 1_763_632_802),
    )
    .await
    .unwrap();
    let kept = envelope(
        json!([{"field": "partner_solutions", "value": {"event": "SOLUTION_CREATED", "solution_id": "1715120619246906"}}]),
    );
    intake::handle(&ctx, sns_event(&[("raw-4", kept)]))
        .await
        .unwrap();
    let raw = |pk: String| {
        let store = store.clone();
        async move { store.get_item(&pk).await.unwrap().expect("stored") }
    };

    // THEN each attribute holds its old text
    let inbound = raw(keys::message("wamid.RAW1")).await;
    assert_eq!(
        (
            &inbound["itemType"],
            &inbound["direction"],
            &inbound["status"],
            &inbound["statusRank"]
        ),
        (
            &json!("MESSAGE"),
            &json!("INBOUND"),
            &json!("received"),
            &json!(0)
        )
    );
    let conv = raw(CONV.to_string()).await;
    assert_eq!(conv["itemType"], "CONVERSATION");
    assert_eq!(conv["lastMessageDirection"], "INBOUND");
    let sent = raw(keys::message("wamid.RAW2")).await;
    assert_eq!(
        (
            &sent["itemType"],
            &sent["direction"],
            &sent["status"],
            &sent["statusRank"]
        ),
        (
            &json!("MESSAGE"),
            &json!("OUTBOUND"),
            &json!("sent"),
            &json!(2)
        )
    );
    assert_eq!(sent["sentAt"], "2025-11-20T10:00:01Z");
    let unknown = raw(keys::message("wamid.RAW3")).await;
    assert_eq!(
        (&unknown["status"], &unknown["statusRank"]),
        (&json!("some_new_status"), &json!(1))
    );
    let typed = store.get_message("wamid.RAW3").await.unwrap().unwrap();
    assert_eq!(typed.status, MessageStatus::Other("some_new_status".into()));
    let audit = raw(keys::webhook_audit("raw-1")).await;
    assert_eq!(
        (&audit["itemType"], &audit["kind"], &audit["outcome"]),
        (&json!("WEBHOOK_EVENT"), &json!("sns"), &json!("processed"))
    );
    let field = raw(keys::webhook_field_event(
        WABA,
        "partner_solutions",
        "raw-4",
        0,
    ))
    .await;
    assert_eq!(
        (&field["itemType"], &field["kind"], &field["outcome"]),
        (
            &json!("WEBHOOK_EVENT"),
            &json!("partner_solutions"),
            &json!("kept")
        )
    );

    // AND the media items are stored exactly as the JSON the media path used to build
    let upload = model::MediaUploadItem {
        pk: keys::media_upload("m-1"),
        item_type: ItemType::MediaUpload,
        media_id: "m-1".into(),
        key: "uploads/2026-11-20/a.jpg".into(),
        size: None,
        mime_type: Some("image/jpeg".into()),
        origination_phone_number_id: ORIGINATION.into(),
        created_at: "2026-11-20T10:00:00Z".into(),
        ..Default::default()
    };
    put_item(&*store, &upload).await.unwrap();
    assert_eq!(
        raw(upload.pk.clone()).await,
        json!({
            "pk": "MEDIA_UPLOAD#m-1",
            "itemType": "MEDIA_UPLOAD",
            "mediaId": "m-1",
            "key": "uploads/2026-11-20/a.jpg",
            "size": null,
            "mimeType": "image/jpeg",
            "originationPhoneNumberId": ORIGINATION,
            "createdAt": "2026-11-20T10:00:00Z",
        })
    );
    let back: model::MediaUploadItem = get_item_as(&*store, &upload.pk).await.unwrap().unwrap();
    assert_eq!(back, upload);
    let downloaded = model::MediaDownloadItem {
        pk: keys::media_download("m-2"),
        item_type: ItemType::MediaDownload,
        media_id: "m-2".into(),
        wa_message_id: "wamid.RAW1".into(),
        outcome: model::DownloadOutcome::Downloaded,
        created_at: "2026-11-20T10:00:00Z".into(),
        copy: Some(model::MediaCopy {
            key: "media/p/2026-11-20/m-2.jpg".into(),
            mime_type: None,
            size: Some(12),
            store: "local".into(),
        }),
        error: None,
    };
    put_item(&*store, &downloaded).await.unwrap();
    assert_eq!(
        raw(downloaded.pk.clone()).await,
        json!({
            "pk": "MEDIA_DOWNLOAD#m-2",
            "itemType": "MEDIA_DOWNLOAD",
            "mediaId": "m-2",
            "waMessageId": "wamid.RAW1",
            "outcome": "downloaded",
            "createdAt": "2026-11-20T10:00:00Z",
            "key": "media/p/2026-11-20/m-2.jpg",
            "mimeType": null,
            "size": 12,
            "store": "local",
        })
    );
    let failed = model::MediaDownloadItem {
        pk: keys::media_download("m-3"),
        outcome: model::DownloadOutcome::Failed,
        copy: None,
        error: Some("no such media".into()),
        ..downloaded
    };
    put_item(&*store, &failed).await.unwrap();
    assert_eq!(
        raw(failed.pk.clone()).await,
        json!({
            "pk": "MEDIA_DOWNLOAD#m-3",
            "itemType": "MEDIA_DOWNLOAD",
            "mediaId": "m-2",
            "waMessageId": "wamid.RAW1",
            "outcome": "failed",
            "createdAt": "2026-11-20T10:00:00Z",
            "error": "no such media",
        })
    );
}

async fn create_record_claims_a_key_once<S: Store + 'static>(store: Arc<S>) {
    // GIVEN eight concurrent claims of one key
    let claims: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_record(&json!({"pk": "SEND#claim-1", "attempt": i}))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let won: Vec<bool> = join_all(claims).await;
    // THEN exactly one wins, and its item is the one kept
    assert_eq!(won.iter().filter(|w| **w).count(), 1);
    let winner = won.iter().position(|w| *w).unwrap();
    let kept = store.get_item("SEND#claim-1").await.unwrap().unwrap();
    assert_eq!(kept["attempt"], json!(winner));
}

// ------------------------------------------- one invocation's records, processed concurrently

const OTHER: &str = "16505559999";

/// A text message of `customer` as an EUM event.
fn text_body(wamid: &str, customer: &str, timestamp: i64, text: &str) -> String {
    envelope(messages_change(
        customer,
        json!([text_message(wamid, customer, timestamp, text)]),
        json!([]),
    ))
}

/// A context whose records of one invocation run concurrently.
fn concurrent_ctx<S: Store + 'static>(store: &Arc<S>) -> handlers::Ctx {
    ctx_inbound(store.clone(), |inbound| inbound.concurrency = 8)
}

async fn message_count<S: Store + 'static>(store: &Arc<S>, conversation: &str) -> usize {
    let page = store
        .list_messages(
            conversation,
            &PageRequest {
                limit: 100,
                cursor: None,
            },
        )
        .await
        .unwrap();
    page.items.len()
}

async fn one_batch_with_a_repeated_message_stores_it_once<S: Store + 'static>(store: Arc<S>) {
    let ctx = concurrent_ctx(&store);
    let other = keys::conversation(PHONE, OTHER);
    // GIVEN an SQS batch in which one message comes three times (twice under the same SQS
    // body), among others
    let d1 = text_body("wamid.R1", CUSTOMER, 1_763_632_800, "once");
    let batch = [
        ("rq-1", d1.clone()),
        (
            "rq-2",
            text_body("wamid.RO1", OTHER, 1_763_632_801, "other"),
        ),
        ("rq-3", d1.clone()),
        (
            "rq-4",
            text_body("wamid.R2", CUSTOMER, 1_763_632_802, "twice"),
        ),
        ("rq-5", d1.clone()),
    ];
    let answer = intake::handle(&ctx, sqs_event(&batch)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    // AND an SNS event with a new message twice and an old one again
    let e2 = text_body("wamid.RO2", OTHER, 1_763_632_803, "again");
    let answer = intake::handle(
        &ctx,
        sns_event(&[("rs-1", e2.clone()), ("rs-2", e2), ("rs-3", d1)]),
    )
    .await
    .unwrap();
    assert_eq!(answer["data"]["messages"], 1, "{answer}");
    assert_eq!(answer["data"]["duplicates"], 2, "{answer}");
    // THEN each message is stored and counted once
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 2);
    assert_eq!(message_count(&store, CONV).await, 2);
    let conv = store.get_conversation(&other).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 2);
    assert_eq!(message_count(&store, &other).await, 2);
    assert_eq!(conv.last_message_id.as_deref(), Some("wamid.RO2"));
}

async fn one_batch_with_a_status_before_its_message_keeps_the_status<S: Store + 'static>(
    store: Arc<S>,
) {
    let ctx = concurrent_ctx(&store);
    let status_body = |wamid: &str, value: &str, ts: i64| {
        envelope(messages_change(
            CUSTOMER,
            json!([]),
            json!([status(wamid, value, ts)]),
        ))
    };
    // GIVEN an SQS batch in which a message's status comes before the message
    let batch = [
        ("sb-1", status_body("wamid.SB1", "delivered", 1_763_632_810)),
        (
            "sb-2",
            text_body("wamid.OB1", OTHER, 1_763_632_801, "other"),
        ),
        (
            "sb-3",
            text_body("wamid.SB1", CUSTOMER, 1_763_632_800, "late"),
        ),
    ];
    let answer = intake::handle(&ctx, sqs_event(&batch)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    // AND an SNS event: read, the message, then an older delivered
    let answer = intake::handle(
        &ctx,
        sns_event(&[
            ("sbs-1", status_body("wamid.SB2", "read", 1_763_632_830)),
            (
                "sbs-2",
                text_body("wamid.SB2", CUSTOMER, 1_763_632_820, "later"),
            ),
            (
                "sbs-3",
                status_body("wamid.SB2", "delivered", 1_763_632_825),
            ),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            &answer["data"]["messages"],
            &answer["data"]["statuses"],
            &answer["data"]["staleStatuses"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{answer}"
    );
    // THEN the status that came first is kept and the message completed it
    for (wamid, kept, text) in [
        ("wamid.SB1", MessageStatus::Delivered, "late"),
        ("wamid.SB2", MessageStatus::Read, "later"),
    ] {
        let msg = store.get_message(wamid).await.unwrap().unwrap();
        assert_eq!(msg.status, kept, "{wamid}: not regressed");
        assert_eq!(msg.text.as_deref(), Some(text), "{wamid}");
        assert_eq!(msg.kind.as_deref(), Some("text"), "{wamid}");
        assert_eq!(msg.conversation_pk.as_deref(), Some(CONV), "{wamid}");
    }
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 2);
    assert_eq!(conv.last_message_id.as_deref(), Some("wamid.SB2"));
    assert_eq!(message_count(&store, CONV).await, 2);
}

async fn one_batch_with_interleaved_conversations_keeps_each_in_order<S: Store + 'static>(
    store: Arc<S>,
) {
    let ctx = concurrent_ctx(&store);
    let other = keys::conversation(PHONE, OTHER);
    // GIVEN two conversations whose messages interleave in one SQS batch, then in an SNS event
    let mut sqs = Vec::new();
    for n in 0..3 {
        sqs.push((
            format!("iq-c-{n}"),
            text_body(
                &format!("wamid.IC{n}"),
                CUSTOMER,
                1_763_632_800 + n,
                &format!("customer {n}"),
            ),
        ));
        sqs.push((
            format!("iq-o-{n}"),
            text_body(
                &format!("wamid.IO{n}"),
                OTHER,
                1_763_632_800 + n,
                &format!("other {n}"),
            ),
        ));
    }
    let sqs: Vec<(&str, String)> = sqs.iter().map(|(i, b)| (i.as_str(), b.clone())).collect();
    let answer = intake::handle(&ctx, sqs_event(&sqs)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let answer = intake::handle(
        &ctx,
        sns_event(&[
            (
                "is-c-3",
                text_body("wamid.IC3", CUSTOMER, 1_763_632_803, "customer 3"),
            ),
            (
                "is-o-3",
                text_body("wamid.IO3", OTHER, 1_763_632_803, "other 3"),
            ),
            (
                "is-c-4",
                text_body("wamid.IC4", CUSTOMER, 1_763_632_804, "customer 4"),
            ),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(answer["data"]["messages"], 3, "{answer}");
    // THEN each conversation has its own last message and counts
    for (pk, last, preview, count) in [
        (CONV, "wamid.IC4", "customer 4", 5),
        (other.as_str(), "wamid.IO3", "other 3", 4),
    ] {
        let conv = store.get_conversation(pk).await.unwrap().unwrap();
        assert_eq!(conv.last_message_id.as_deref(), Some(last), "{pk}");
        assert_eq!(conv.last_message_preview.as_deref(), Some(preview), "{pk}");
        assert_eq!(conv.unread_count, count, "{pk}");
        assert_eq!(message_count(&store, pk).await, count as usize, "{pk}");
    }
}

async fn join_all<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

/// `Store::transition` (campaigns): the change and its counters together, only when every
/// expected value holds; concurrent transitions from one read: exactly one wins.
async fn transitions_apply_with_their_counters_or_not_at_all(store: Arc<dyn Store>) {
    use handlers::store::Transition;
    let obj = |v: serde_json::Value| v.as_object().cloned().unwrap();
    store
        .put_record(&json!({"pk": "T#1", "state": "pending", "attempt": 0}))
        .await
        .unwrap();
    let change = |expect: serde_json::Value, to: &str| Transition {
        pk: "T#1".into(),
        expect: obj(expect),
        set: obj(json!({"state": to, "lease": 5})),
        remove: vec!["attempt".into()],
        counter_pk: Some("T#COUNT#00".into()),
        add: vec![("sent".into(), 1), ("failed_131026".into(), 2)],
    };
    // concurrent writers that read the same item: one wins, the counters move once
    let attempt = change(
        json!({"state": "pending", "attempt": 0, "lease": null}),
        "sending",
    );
    let tries = (0..8).map(|_| store.transition(&attempt));
    let won = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(won, 1);
    let item = store.get_item("T#1").await.unwrap().unwrap();
    assert_eq!(
        (
            item["state"].clone(),
            item["lease"].clone(),
            item.get("attempt")
        ),
        (json!("sending"), json!(5), None)
    );
    let counters = store.get_item("T#COUNT#00").await.unwrap().unwrap();
    assert_eq!(
        (counters["sent"].clone(), counters["failed_131026"].clone()),
        (json!(1), json!(2))
    );
    // a condition that does not hold, or an item that does not exist: nothing at all
    assert!(
        !store
            .transition(&change(json!({"state": "pending"}), "sent"))
            .await
            .unwrap()
    );
    let mut absent = change(json!({}), "sent");
    absent.pk = "T#none".into();
    assert!(!store.transition(&absent).await.unwrap());
    assert!(store.get_item("T#none").await.unwrap().is_none());
    assert_eq!(
        store.get_item("T#COUNT#00").await.unwrap().unwrap()["sent"],
        1
    );
    // without counters: a plain conditional change
    let plain = Transition {
        counter_pk: None,
        add: vec![],
        ..change(json!({"state": "sending", "lease": 5}), "sent")
    };
    assert!(store.transition(&plain).await.unwrap());
    assert_eq!(
        store.get_item("T#1").await.unwrap().unwrap()["state"],
        "sent"
    );
}

/// `Store::put_records`: more items than one DynamoDB batch holds, all written, overwriting.
async fn many_records_are_written_in_batches(store: Arc<dyn Store>) {
    let items: Vec<_> = (0..60)
        .map(|i| json!({"pk": format!("B#{i}"), "n": i}))
        .collect();
    store.put_records(&items).await.unwrap();
    store
        .put_records(
            &items[..3]
                .iter()
                .map(|v| json!({"pk": v["pk"], "n": 100}))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    for i in [0, 2, 3, 59] {
        let item = store.get_item(&format!("B#{i}")).await.unwrap().unwrap();
        assert_eq!(item["n"], if i < 3 { 100 } else { i }, "{item}");
    }
}
