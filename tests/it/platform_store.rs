//! `Store::merge_record`, the merge behind calls, customers, groups and contacts: the same
//! cases on the embedded store and on DynamoDB Local.

use std::sync::Arc;

use handlers::Store;
use handlers::store::Forward;
use serde_json::json;

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
    merge_keeps_created_at_and_moves_only_forward,
    merge_commutes_whatever_the_order,
);

fn forward(rank: i64, status: &str) -> Forward {
    Forward {
        rank_attr: "statusRank",
        rank,
        attrs: json!({"status": status}),
    }
}

async fn merge_keeps_created_at_and_moves_only_forward<S: Store + 'static>(store: Arc<S>) {
    // GIVEN a call created by its connect event
    let pk = format!("CALL#merge-{}", uuid_like());
    let first = store
        .merge_record(
            &pk,
            &json!({"createdAt": "2026-01-01T00:00:00Z", "direction": "USER_INITIATED"}),
            Some(&forward(2, "RINGING")),
        )
        .await
        .unwrap();
    assert!(first, "the first state is applied");
    // WHEN its terminate arrives, then the connect again (redelivered), then an older status
    let applied = store
        .merge_record(
            &pk,
            &json!({"createdAt": "2026-01-01T00:09:00Z", "durationSeconds": 20}),
            Some(&forward(5, "COMPLETED")),
        )
        .await
        .unwrap();
    let redelivered = store
        .merge_record(
            &pk,
            &json!({"createdAt": "2026-01-01T00:00:00Z", "direction": "USER_INITIATED"}),
            Some(&forward(2, "RINGING")),
        )
        .await
        .unwrap();
    let same = store
        .merge_record(&pk, &json!({}), Some(&forward(5, "COMPLETED")))
        .await
        .unwrap();
    // THEN the newest state stays, every plain attribute is there, createdAt is the first
    assert!(applied);
    assert!(!redelivered, "an older state is not applied");
    assert!(!same, "an equal rank is not applied again");
    let item = store.get_item(&pk).await.unwrap().unwrap();
    assert_eq!(item["status"], "COMPLETED");
    assert_eq!(item["statusRank"], 5);
    assert_eq!(item["durationSeconds"], 20);
    assert_eq!(item["direction"], "USER_INITIATED");
    assert_eq!(item["createdAt"], "2026-01-01T00:00:00Z");
    assert_eq!(item["pk"], pk);
}

async fn merge_commutes_whatever_the_order<S: Store + 'static>(store: Arc<S>) {
    let events = [
        (json!({"a": 1}), forward(3, "ACCEPTED")),
        (json!({"b": 2}), forward(1, "RINGING")),
        (json!({"c": 3}), forward(7, "COMPLETED")),
    ];
    let orders = [[0, 1, 2], [2, 1, 0], [1, 2, 0]];
    for (n, order) in orders.iter().enumerate() {
        let pk = format!("CALL#commute-{n}-{}", uuid_like());
        for i in order {
            let (set, fwd) = &events[*i];
            store.merge_record(&pk, set, Some(fwd)).await.unwrap();
        }
        let item = store.get_item(&pk).await.unwrap().unwrap();
        assert_eq!(
            (&item["a"], &item["b"], &item["c"], &item["status"]),
            (&json!(1), &json!(2), &json!(3), &json!("COMPLETED")),
            "order {order:?}"
        );
    }
}

fn uuid_like() -> String {
    format!("{:x}", fastrand::u64(..))
}
