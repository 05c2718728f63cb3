use std::sync::Arc;

use handlers::Store;
use serde_json::json;

use super::super::{CommitCounts, EmbeddedStore};
use super::*;

/// Lets the spawned writes run until `n` of them have queued since `before`.
async fn queued(store: &EmbeddedStore, n: u64, before: CommitCounts) {
    while store.commit_counts().queued - before.queued < n {
        tokio::task::yield_now().await;
    }
}

fn failure(operation: &'static str) -> StoreError {
    StoreError::Rejected {
        operation,
        source: "refused by the test".into(),
    }
}

#[tokio::test]
async fn a_write_that_fails_after_writing_keeps_nothing_and_its_group_keeps_the_rest() {
    let store = Arc::new(EmbeddedStore::in_memory());
    let before = store.commit_counts();
    let held = store.hold_connection();
    let spawn = |pk: &'static str, fail: bool| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write("test", move |w| {
                    w.put(pk, &json!({"pk": pk}))?;
                    if fail { Err(failure("test")) } else { Ok(pk) }
                })
                .await
        })
    };
    let tasks = [
        spawn("ITEM#1", false),
        spawn("ITEM#2", true),
        spawn("ITEM#3", false),
    ];
    queued(&store, 3, before).await;
    drop(held);
    let [one, two, three] = tasks;
    assert_eq!(one.await.unwrap().unwrap(), "ITEM#1");
    assert!(matches!(
        two.await.unwrap(),
        Err(StoreError::Rejected { .. })
    ));
    assert_eq!(three.await.unwrap().unwrap(), "ITEM#3");
    assert!(store.get_item("ITEM#1").await.unwrap().is_some());
    assert_eq!(store.get_item("ITEM#2").await.unwrap(), None, "rolled back");
    assert!(store.get_item("ITEM#3").await.unwrap().is_some());
    let counts = store.commit_counts();
    assert_eq!(counts.transactions - before.transactions, 1);
    assert_eq!(
        store.item_writes(),
        2,
        "the rolled-back write is not counted"
    );
}

#[tokio::test]
async fn a_write_that_panics_panics_its_caller_alone() {
    let store = Arc::new(EmbeddedStore::in_memory());
    let before = store.commit_counts();
    let held = store.hold_connection();
    let spawn = |pk: &'static str, panics: bool| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write("test", move |w| {
                    w.put(pk, &json!({"pk": pk}))?;
                    assert!(!panics, "the write's own bug");
                    Ok(())
                })
                .await
        })
    };
    let tasks = [
        spawn("ITEM#1", false),
        spawn("ITEM#2", true),
        spawn("ITEM#3", false),
    ];
    queued(&store, 3, before).await;
    drop(held);
    let [one, two, three] = tasks;
    one.await.unwrap().unwrap();
    assert!(two.await.unwrap_err().is_panic());
    three.await.unwrap().unwrap();
    assert_eq!(store.get_item("ITEM#2").await.unwrap(), None);
    assert!(store.get_item("ITEM#3").await.unwrap().is_some());
    // and the store goes on: a write alone
    store.put_record(&json!({"pk": "ITEM#4"})).await.unwrap();
    assert!(store.get_item("ITEM#4").await.unwrap().is_some());
}

/// One caller at a time: one transaction per write, no group.
#[tokio::test]
async fn a_write_alone_is_its_own_transaction() {
    let store = EmbeddedStore::in_memory();
    for n in 0..5 {
        store
            .put_record(&json!({"pk": format!("ITEM#{n}")}))
            .await
            .unwrap();
    }
    assert!(
        store
            .put_record(&json!({"pk": "ITEM#BIG", "blob": "x".repeat(500 * 1024)}))
            .await
            .is_err()
    );
    assert_eq!(
        store.commit_counts(),
        CommitCounts {
            queued: 6,
            transactions: 5,
            calls: 5
        }
    );
}
