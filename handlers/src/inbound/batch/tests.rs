use super::*;
use serde_json::json;

fn body(messages: Value, statuses: Value, contacts: Value) -> String {
    let entry = json!({"id": "waba", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "P"},
        "contacts": contacts, "messages": messages, "statuses": statuses}}]});
    json!({"context": {}, "whatsAppWebhookEntry": entry.to_string()}).to_string()
}

fn delivery(body: &str) -> Delivery<'_> {
    Delivery {
        source: "sns",
        id: "d",
        body,
    }
}

#[test]
fn keys_name_conversations_and_message_ids_as_the_store_does() {
    let message = body(
        json!([{"id": "wamid.A", "from": "111", "type": "text"},
               {"id": "wamid.B", "user_id": "US.bsuid", "type": "text"}]),
        json!([{"id": "wamid.OUT", "status": "sent", "recipient_user_id": "US.other"}]),
        json!([]),
    );
    assert_eq!(
        ordering_keys(&message),
        [
            "MSG#wamid.A",
            "CONV#P#111",
            "MSG#wamid.B",
            "CONV#P#US.bsuid",
            "MSG#wamid.OUT",
            "CONV#P#US.other"
        ]
    );
    // a message without `from` takes its customer from the only contact
    let from_contact = body(
        json!([{"id": "wamid.C", "type": "text"}]),
        json!([]),
        json!([{"wa_id": "222"}]),
    );
    assert_eq!(ordering_keys(&from_contact), ["MSG#wamid.C", "CONV#P#222"]);
    assert!(ordering_keys("{not json").is_empty());
    assert!(ordering_keys(r#"{"whatsAppWebhookEntry": "[1]"}"#).is_empty());
}

fn ctx(concurrency: usize) -> Ctx {
    let mut settings = crate::Settings::default();
    settings.inbound.concurrency = concurrency;
    Ctx::new(std::sync::Arc::new(crate::testing::NullStore), settings)
}

/// 16 records over conversations A, B, C, D, interleaved (A B C D A B C D ...).
fn interleaved() -> Vec<String> {
    (0..16)
        .map(|i| {
            let customer = ["A", "B", "C", "D"][i % 4];
            body(
                json!([{"id": format!("m{i}"), "from": customer}]),
                json!([]),
                json!([]),
            )
        })
        .collect()
}

#[tokio::test]
async fn groups_run_concurrently_within_the_bound_and_each_in_delivery_order() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let bodies = interleaved();
    let ids: Vec<String> = (0..16).map(|i| format!("d{i}")).collect();
    let deliveries: Vec<_> = bodies
        .iter()
        .zip(&ids)
        .map(|(body, id)| Delivery {
            source: "sqs",
            id,
            body,
        })
        .collect();
    let log = Mutex::new(Vec::new());
    let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut done = Vec::new();
    process_batch_with(
        &ctx(3),
        &deliveries,
        |index, delivery| {
            let (log, running, most) = (&log, &running, &most);
            async move {
                log.lock().unwrap().push(("start", index));
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // A later record needs fewer turns: run unordered, it would overtake.
                for _ in 0..(16 - index) {
                    tokio::task::yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                log.lock().unwrap().push(("end", index));
                Ok(RecordReport {
                    delivery_id: delivery.id.to_string(),
                    ..Default::default()
                })
            }
        },
        |index, result| done.push((index, result.unwrap().delivery_id)),
    )
    .await;
    done.sort();
    assert_eq!(
        done,
        (0..16).map(|i| (i, format!("d{i}"))).collect::<Vec<_>>()
    );
    let log = log.into_inner().unwrap();
    let at = |event: &str, index: usize| log.iter().position(|e| *e == (event, index)).unwrap();
    // each conversation's records ran one after another, in delivery order
    for index in 4..16 {
        assert!(
            at("end", index - 4) < at("start", index),
            "record {index} started before record {} of its conversation ended: {log:?}",
            index - 4
        );
    }
    // conversations ran side by side, never more than the bound at once
    assert!(at("start", 1) < at("end", 0), "{log:?}");
    assert_eq!(most.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_failure_stops_its_group_only_and_poison_stops_nothing() {
    let bodies = interleaved();
    let ids: Vec<String> = (0..16).map(|i| format!("d{i}")).collect();
    let deliveries: Vec<_> = bodies
        .iter()
        .zip(&ids)
        .map(|(body, id)| Delivery {
            source: "sqs",
            id,
            body,
        })
        .collect();
    let attempted = std::sync::Mutex::new(Vec::new());
    let mut results: Vec<_> = Vec::new();
    process_batch_with(
        &ctx(4),
        &deliveries,
        |index, delivery| {
            attempted.lock().unwrap().push(index);
            let id = delivery.id.to_string();
            async move {
                match index {
                    // B's second record: the store is unavailable
                    5 => Err(StoreError::Unavailable {
                        operation: "test",
                        source: "throttled".into(),
                    }),
                    // A's second record is poison: reported, not a failure
                    4 => Ok(RecordReport {
                        delivery_id: id,
                        outcome: crate::model::RecordOutcome::Failed,
                        ..Default::default()
                    }),
                    _ => Ok(RecordReport {
                        delivery_id: id,
                        ..Default::default()
                    }),
                }
            }
        },
        |index, result| results.push((index, result)),
    )
    .await;
    results.sort_by_key(|(index, _)| *index);
    let failed: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(i, _)| *i)
        .collect();
    // B's failed record and B's later ones (9, 13), nothing else
    assert_eq!(failed, [5, 9, 13]);
    for (index, result) in &results {
        let skip = result.as_ref().err().and_then(skipped);
        assert_eq!(skip.is_some(), [9, 13].contains(index), "{index}");
        if let Some(skip) = skip {
            assert_eq!(skip.after, "d5");
        }
    }
    let mut attempted = attempted.into_inner().unwrap();
    attempted.sort_unstable();
    let expected: Vec<usize> = (0..16).filter(|i| ![9, 13].contains(i)).collect();
    assert_eq!(attempted, expected, "skipped records are not attempted");
}

#[tokio::test]
async fn process_batch_answers_in_input_order() {
    let bodies = interleaved();
    let ids: Vec<String> = (0..16).map(|i| format!("d{i}")).collect();
    let mut deliveries: Vec<_> = bodies
        .iter()
        .zip(&ids)
        .map(|(body, id)| Delivery {
            source: "sqs",
            id,
            body,
        })
        .collect();
    deliveries.push(Delivery {
        source: "sqs",
        id: "poison",
        body: "{not json",
    });
    let results = process_batch(&ctx(4), &deliveries).await;
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r.as_ref().unwrap().delivery_id.as_str())
        .collect();
    let expected: Vec<&str> = deliveries.iter().map(|d| d.id).collect();
    assert_eq!(ids, expected);
    assert_eq!(
        results[16].as_ref().unwrap().outcome,
        crate::model::RecordOutcome::Failed
    );
}

#[test]
fn records_sharing_a_key_form_one_group_in_delivery_order() {
    let a1 = body(json!([{"id": "m1", "from": "A"}]), json!([]), json!([]));
    let b1 = body(json!([{"id": "m2", "from": "B"}]), json!([]), json!([]));
    // a status of message m3 to C, then message m3 from D: joined through m3
    let c_status = body(
        json!([]),
        json!([{"id": "m3", "status": "read", "recipient_id": "C"}]),
        json!([]),
    );
    let a2 = body(json!([{"id": "m4", "from": "A"}]), json!([]), json!([]));
    let d = body(json!([{"id": "m3", "from": "D"}]), json!([]), json!([]));
    let c2 = body(json!([{"id": "m5", "from": "C"}]), json!([]), json!([]));
    let poison = "{not json".to_string();
    let bodies = [&a1, &b1, &c_status, &a2, &poison, &d, &poison, &c2];
    let deliveries: Vec<_> = bodies.iter().map(|b| delivery(b)).collect();
    assert_eq!(
        groups(&deliveries),
        vec![vec![0, 3], vec![1], vec![2, 5, 7], vec![4], vec![6]]
    );
}
