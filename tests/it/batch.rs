//! Issue 11: the records of one invocation are processed concurrently, in the order that
//! matters. Records of one conversation (or one message id) reach the store in delivery order
//! while conversations run side by side; a record that fails for a reason that is not its
//! payload's stops the rest of its conversation, and exactly those records are answered as
//! failed; poison stays poison.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use handlers::keys;
use handlers::store::{Store, StoreError};
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

/// Notes every write's pks, in the order the writes were asked for.
#[derive(Default)]
struct Sequence(Mutex<Vec<String>>);

impl Hooks for Sequence {
    fn write(&self, _: &'static str, pks: &[&str]) -> Result<(), StoreError> {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.extend(pks.iter().map(|pk| pk.to_string()));
        Ok(())
    }
}

impl Sequence {
    /// The message items written, each at its first write, in order.
    fn messages(&self) -> Vec<String> {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<String> = Vec::new();
        for pk in seen.iter().filter_map(|pk| pk.strip_prefix("MSG#")) {
            if !out.iter().any(|p| p == pk) {
                out.push(pk.to_string());
            }
        }
        out
    }
}

/// Refuses every write that touches `pk`: as unavailable (throttled), or as poison (rejected).
struct Refuse {
    pk: String,
    poison: bool,
}

impl Hooks for Refuse {
    fn write(&self, method: &'static str, pks: &[&str]) -> Result<(), StoreError> {
        if !pks.contains(&self.pk.as_str()) {
            return Ok(());
        }
        let source = format!("{method} of {} refused by the test", self.pk).into();
        Err(if self.poison {
            StoreError::Rejected {
                operation: method,
                source,
            }
        } else {
            StoreError::Unavailable {
                operation: method,
                source,
            }
        })
    }
}

/// A text message of `customer`, numbered `n` (its wamid is `wamid.{customer}-{n}`).
fn text(customer: &str, n: i64) -> String {
    envelope(messages_change(
        customer,
        json!([text_message(
            &format!("wamid.{customer}-{n}"),
            customer,
            1_763_632_800 + n,
            &format!("{customer} says {n}")
        )]),
        json!([]),
    ))
}

/// A status of our outbound message `wamid` to `customer`.
fn status_to(customer: &str, wamid: &str, value: &str, timestamp: i64) -> String {
    envelope(messages_change(
        customer,
        json!([]),
        json!([{"id": wamid, "status": value, "timestamp": timestamp.to_string(), "recipient_id": customer}]),
    ))
}

const A: &str = "15550000001";
const B: &str = "15550000002";
const C: &str = "15550000003";

#[tokio::test]
async fn a_conversations_records_reach_the_store_in_delivery_order_while_conversations_interleave()
{
    // DynamoDB Local: each write is a real round trip, so groups do overlap.
    let hooked = Arc::new(HookedStore::new(dynamo_store().await, Sequence::default()));
    let ctx = ctx_inbound(hooked.clone(), |inbound| inbound.concurrency = 8);
    // GIVEN three conversations of four records each, one conversation after the other; each
    // conversation's last record is a status of one of our sends to it
    let mut records = Vec::new();
    for customer in [A, B, C] {
        for n in 0..3 {
            records.push((format!("q-{customer}-{n}"), text(customer, n)));
        }
        records.push((
            format!("q-{customer}-status"),
            status_to(
                customer,
                &format!("wamid.OUT-{customer}"),
                "read",
                1_763_632_900,
            ),
        ));
    }
    let batch: Vec<(&str, String)> = records
        .iter()
        .map(|(id, body)| (id.as_str(), body.clone()))
        .collect();
    let answer = intake::handle(&ctx, sqs_event(&batch)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    // THEN each conversation's messages were written in delivery order ...
    let written = hooked.hooks.messages();
    let mut by_customer: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for wamid in &written {
        let customer = [A, B, C].into_iter().find(|c| wamid.contains(c)).unwrap();
        by_customer.entry(customer).or_default().push(wamid);
    }
    for customer in [A, B, C] {
        let expected: Vec<String> = (0..3)
            .map(|n| format!("wamid.{customer}-{n}"))
            .chain([format!("wamid.OUT-{customer}")])
            .collect();
        assert_eq!(by_customer[customer], expected, "{written:?}");
    }
    // ... while the conversations went side by side: B and C began before A was through
    let at = |wamid: &str| written.iter().position(|w| w == wamid).unwrap();
    for customer in [B, C] {
        assert!(
            at(&format!("wamid.{customer}-0")) < at(&format!("wamid.{A}-1")),
            "conversations were processed one after another: {written:?}"
        );
    }
    for customer in [A, B, C] {
        let conv = hooked
            .inner
            .get_conversation(&keys::conversation(PHONE, customer))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conv.unread_count, 3);
        assert_eq!(
            conv.last_message_id.as_deref(),
            Some(format!("wamid.{customer}-2").as_str())
        );
    }
}

#[tokio::test]
async fn an_unavailable_store_fails_the_rest_of_its_conversation_and_nothing_else() {
    for store in [
        embedded_store() as Arc<dyn Store>,
        dynamo_store().await as Arc<dyn Store>,
    ] {
        let refuse = Refuse {
            pk: keys::message(&format!("wamid.{B}-1")),
            poison: false,
        };
        let hooked = Arc::new(HookedStore::new(store.clone(), refuse));
        let ctx = ctx_inbound(hooked, |inbound| inbound.concurrency = 4);
        // GIVEN A0 B0 A1 B1 C0 B2 A2 B3, and the store unavailable for B1
        let records = interleaved("sqs");
        let batch: Vec<(&str, String)> = records
            .iter()
            .map(|(id, body)| (id.as_str(), body.clone()))
            .collect();
        // WHEN the SQS batch is handled
        let answer = intake::handle(&ctx, sqs_event(&batch)).await.unwrap();
        // THEN exactly B1 and the B records after it are retried ...
        assert_eq!(
            batch_item_failures(&answer),
            [
                format!("sqs-{B}-1"),
                format!("sqs-{B}-2"),
                format!("sqs-{B}-3")
            ],
            "{}",
            store.describe()
        );
        // ... they were not stored (so the retry applies B in its order), everything else was
        for (customer, n) in ORDER {
            let wamid = format!("wamid.{customer}-{n}");
            let stored = store.get_message(&wamid).await.unwrap().is_some();
            assert_eq!(stored, customer != B || n == 0, "{wamid}");
        }
        let conv = store
            .get_conversation(&keys::conversation(PHONE, A))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conv.unread_count, 3);
    }
}

#[tokio::test]
async fn an_unavailable_store_fails_an_sns_event_after_every_other_conversation_is_stored() {
    let store = embedded_store();
    let refuse = Refuse {
        pk: keys::message(&format!("wamid.{B}-1")),
        poison: false,
    };
    let ctx = ctx_inbound(Arc::new(HookedStore::new(store.clone(), refuse)), |i| {
        i.concurrency = 4;
    });
    let records = interleaved("sns");
    let event: Vec<(&str, String)> = records
        .iter()
        .map(|(id, body)| (id.as_str(), body.clone()))
        .collect();
    let failure = intake::handle(&ctx, sns_event(&event))
        .await
        .expect_err("a failed record fails the SNS invocation");
    // B1 failed, B2 and B3 were not attempted; the error named is B1's own
    assert_eq!(failure.failed, 3);
    assert!(failure.source.is_retryable());
    assert!(
        handlers::inbound::skipped(&failure.source).is_none(),
        "{}",
        failure.source
    );
    for (customer, n) in ORDER {
        let wamid = format!("wamid.{customer}-{n}");
        let stored = store.get_message(&wamid).await.unwrap().is_some();
        assert_eq!(stored, customer != B || n == 0, "{wamid}");
    }
}

#[tokio::test]
async fn poison_stays_poison_under_concurrency() {
    for store in [
        embedded_store() as Arc<dyn Store>,
        dynamo_store().await as Arc<dyn Store>,
    ] {
        // the store rejects A2 as too big, say: that part of its record is poison
        let refuse = Refuse {
            pk: keys::message(&format!("wamid.{A}-2")),
            poison: true,
        };
        let ctx = ctx_inbound(Arc::new(HookedStore::new(store.clone(), refuse)), |i| {
            i.concurrency = 4;
        });
        // a record of A with a good message and one without any customer identity
        let mut change = messages_change(
            A,
            json!([text_message(&format!("wamid.{A}-1"), A, 1_763_632_801, "ok"),
                   {"id": "wamid.NOONE", "type": "text", "timestamp": "1"}]),
            json!([]),
        );
        change[0]["value"]["contacts"] = json!([]);
        let batch = [
            ("p-a0", text(A, 0)),
            ("p-bad-json", "{not json".to_string()),
            ("p-a1-partial", envelope(change)),
            ("p-b0", text(B, 0)),
            ("p-a2-rejected", text(A, 2)),
            ("p-not-eum", json!({"hello": "world"}).to_string()),
            ("p-a3", text(A, 3)),
        ];
        let answer = intake::handle(&ctx, sqs_event(&batch)).await.unwrap();
        assert_eq!(
            answer,
            json!({"batchItemFailures": []}),
            "poison is never retried"
        );
        for n in [0, 1, 3] {
            let wamid = format!("wamid.{A}-{n}");
            assert!(
                store.get_message(&wamid).await.unwrap().is_some(),
                "{wamid}"
            );
        }
        assert!(
            store
                .get_message(&format!("wamid.{B}-0"))
                .await
                .unwrap()
                .is_some()
        );
        let conv = store
            .get_conversation(&keys::conversation(PHONE, A))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conv.unread_count, 3, "A0, A1 and A3");
        assert_eq!(
            conv.last_message_id.as_deref(),
            Some(format!("wamid.{A}-3").as_str())
        );
        for (id, outcome) in [
            ("p-bad-json", "failed"),
            ("p-not-eum", "failed"),
            ("p-a1-partial", "partial"),
            ("p-a2-rejected", "partial"),
        ] {
            let audit = store
                .get_item(&keys::webhook_audit(id))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{id} is audited"));
            assert_eq!(audit["outcome"], outcome, "{id}");
            let body = &batch.iter().find(|(i, _)| *i == id).unwrap().1;
            assert_eq!(audit["payload"].as_str(), Some(body.as_str()), "{id}");
        }
        // the same as an SNS event: answered, not failed, the poison counted
        let sns: Vec<(&str, String)> = batch.iter().map(|(id, body)| (*id, body.clone())).collect();
        let answer = intake::handle(&ctx, sns_event(&sns)).await.unwrap();
        assert_eq!(answer["data"]["poison"], 4, "{answer}");
        assert_eq!(answer["data"]["duplicates"], 4, "{answer}");
        let outcomes: Vec<&Value> = answer["data"]["reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["outcome"])
            .collect();
        assert_eq!(
            outcomes,
            [
                "processed",
                "failed",
                "partial",
                "processed",
                "partial",
                "failed",
                "processed"
            ]
        );
    }
}

/// A0 B0 A1 B1 C0 B2 A2 B3: three conversations interleaved.
const ORDER: [(&str, i64); 8] = [
    (A, 0),
    (B, 0),
    (A, 1),
    (B, 1),
    (C, 0),
    (B, 2),
    (A, 2),
    (B, 3),
];

/// [`ORDER`] as (delivery id, body).
fn interleaved(source: &str) -> Vec<(String, String)> {
    ORDER
        .iter()
        .map(|(c, n)| (format!("{source}-{c}-{n}"), text(c, *n)))
        .collect()
}
