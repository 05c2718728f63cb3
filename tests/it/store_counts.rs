//! Conformance of the store operations behind analytics and automations (both stores):
//! status transitions with their previous status, counters that add under concurrency,
//! taking an item once, and leases.

use std::sync::Arc;

use handlers::model::MessageStatus;
use handlers::store::{Lease, StatusApplied, StatusUpdate, Store};
use serde_json::json;

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
    a_status_change_names_the_status_it_replaced,
    concurrent_counts_add_exactly,
    an_item_is_taken_once,
    a_lease_holds_until_it_runs_out,
);

fn update(id: &str, status: MessageStatus, at: &str) -> StatusUpdate {
    StatusUpdate {
        wa_message_id: id.into(),
        status,
        at: at.into(),
        now: at.into(),
        ..Default::default()
    }
}

async fn a_status_change_names_the_status_it_replaced<S: Store + 'static>(store: Arc<S>) {
    let first = store
        .apply_status_change(&update(
            "wamid.S",
            MessageStatus::Sent,
            "2026-11-20T10:00:00Z",
        ))
        .await
        .unwrap();
    assert_eq!(first.applied, StatusApplied::Applied);
    assert_eq!(first.previous, None);
    let read = store
        .apply_status_change(&update(
            "wamid.S",
            MessageStatus::Read,
            "2026-11-20T10:00:02Z",
        ))
        .await
        .unwrap();
    assert_eq!(read.applied, StatusApplied::Applied);
    assert_eq!(read.previous, Some(MessageStatus::Sent));
    let late = store
        .apply_status_change(&update(
            "wamid.S",
            MessageStatus::Delivered,
            "2026-11-20T10:00:01Z",
        ))
        .await
        .unwrap();
    assert_eq!(late.applied, StatusApplied::Stale);
    assert_eq!(late.previous, None);
    let stored = store.get_message("wamid.S").await.unwrap().unwrap();
    assert_eq!(stored.status, MessageStatus::Read);
}

async fn concurrent_counts_add_exactly<S: Store + 'static>(store: Arc<S>) {
    let set = json!({"itemType": "ANALYTICS_COUNTER", "createdAt": "2026-11-20T00:00:00Z"});
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (store, set) = (store.clone(), set.clone());
        tasks.push(tokio::spawn(async move {
            let counts = vec![("in_text".to_string(), 1), (format!("err_{}", i % 2), 2)];
            store.add_counts("COUNTER#T", &set, &counts).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let item = store.get_item("COUNTER#T").await.unwrap().unwrap();
    assert_eq!(item["in_text"], 20);
    assert_eq!(item["err_0"], 20);
    assert_eq!(item["err_1"], 20);
    assert_eq!(item["itemType"], "ANALYTICS_COUNTER");
    assert_eq!(item["pk"], "COUNTER#T");
}

async fn an_item_is_taken_once<S: Store + 'static>(store: Arc<S>) {
    assert_eq!(store.take_record("TAKE#1").await.unwrap(), None);
    store
        .put_record(&json!({"pk": "TAKE#1", "since": "2026-11-20T10:00:00Z"}))
        .await
        .unwrap();
    let (a, b) = tokio::join!(store.take_record("TAKE#1"), store.take_record("TAKE#1"));
    let taken: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(
        taken,
        vec![json!({"pk": "TAKE#1", "since": "2026-11-20T10:00:00Z"})]
    );
    assert_eq!(store.get_item("TAKE#1").await.unwrap(), None);
}

async fn a_lease_holds_until_it_runs_out<S: Store + 'static>(store: Arc<S>) {
    let lease = |holder: &str, now: i64| Lease {
        pk: "LEASE#1".into(),
        holder: holder.into(),
        now,
        until: now + 60,
        attrs: json!({"rule": "r1"}),
    };
    assert!(store.claim_lease(&lease("w1", 1000)).await.unwrap());
    // the same holder again (a redelivery) is granted; another within the time is not
    assert!(store.claim_lease(&lease("w1", 1001)).await.unwrap());
    assert!(!store.claim_lease(&lease("w2", 1030)).await.unwrap());
    // once run out, another holder gets it
    assert!(store.claim_lease(&lease("w3", 1061)).await.unwrap());
    let item = store.get_item("LEASE#1").await.unwrap().unwrap();
    assert_eq!(item["holder"], "w3");
    assert_eq!(item["until"], 1121);
    assert_eq!(item["rule"], "r1");
}
