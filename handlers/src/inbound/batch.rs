//! The records of one invocation (an SQS batch, an SNS event, a replay), processed
//! concurrently in the order that matters.
//!
//! Each record gets ordering keys from a light parse of its body: the conversation of each
//! message (`keys::conversation(business phone, customer)`, derived as
//! [`crate::model::parse_inbound`] derives it) and its message id; for each status, its message
//! id and its recipient's conversation. Records that share a key, directly or through others,
//! form a group, processed one after another in delivery order; groups run concurrently, at
//! most [`crate::ctx::InboundSettings::concurrency`] at once, on the caller's task (no spawn). A record that
//! does not parse has no keys: it is a group of its own (it will be poison).
//!
//! When a record fails for a reason that is not its payload's (the store is unavailable, or a
//! fault of the deployment), the later records of its group are not processed: they fail with
//! it ([`Skipped`]), so that the redelivery applies the conversation in its order again. Poison
//! never stops a group: it is a report, not a failure.

use std::collections::HashMap;
use std::future::Future;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use tracing::warn;

use super::{Delivery, RecordReport, process_delivery};
use crate::ctx::Ctx;
use crate::keys;
use crate::model::{Contact, Envelope, inbound_customer};
use crate::store::StoreError;

/// Why a record of a batch was not processed: an earlier record of its group (same
/// conversation or message) failed, so it is retried with it to keep their order. Carried as
/// the source of a [`StoreError::Unavailable`]; [`skipped`] finds it.
#[derive(Debug, thiserror::Error)]
#[error(
    "not processed: delivery {after} of the same conversation failed before it; both are retried to keep their order"
)]
pub struct Skipped {
    /// The delivery id of the record whose failure stopped the group.
    pub after: String,
}

/// The [`Skipped`] behind an error of [`process_batch`], when the record was not attempted.
pub fn skipped(error: &StoreError) -> Option<&Skipped> {
    match error {
        StoreError::Unavailable { source, .. } => source.downcast_ref::<Skipped>(),
        _ => None,
    }
}

fn skip(after: &str) -> StoreError {
    StoreError::Unavailable {
        operation: "keep a conversation's order",
        source: Box::new(Skipped {
            after: after.to_string(),
        }),
    }
}

/// Processes the records of one invocation with [`process_delivery`]; results in input order.
/// As [`process_batch_with`].
pub async fn process_batch(
    ctx: &Ctx,
    deliveries: &[Delivery<'_>],
) -> Vec<Result<RecordReport, StoreError>> {
    let mut results: Vec<Option<Result<RecordReport, StoreError>>> =
        std::iter::repeat_with(|| None)
            .take(deliveries.len())
            .collect();
    process_batch_with(
        ctx,
        deliveries,
        |_, delivery| process_delivery(ctx, delivery),
        |index, result| results[index] = Some(result),
    )
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every record has a result"))
        .collect()
}

/// Processes the records of one invocation with `process` (given each record's index and
/// delivery), concurrently across groups and in delivery order within each group, and hands
/// each result to `done` with the record's index as soon as its group is through (in no
/// particular order across groups), so that no caller has to hold every report.
///
/// A record not attempted because an earlier record of its group failed gets an error for
/// which [`skipped`] is `Some`.
pub async fn process_batch_with<'d, P, F>(
    ctx: &Ctx,
    deliveries: &'d [Delivery<'d>],
    process: P,
    mut done: impl FnMut(usize, Result<RecordReport, StoreError>),
) where
    P: Fn(usize, &'d Delivery<'d>) -> F,
    F: Future<Output = Result<RecordReport, StoreError>>,
{
    let concurrency = ctx.settings().inbound.concurrency.max(1);
    let process = &process;
    let mut running = futures_util::stream::iter(groups(deliveries))
        .map(|group| async move {
            let mut results = Vec::with_capacity(group.len());
            let mut failed: Option<&str> = None;
            for index in group {
                let delivery = &deliveries[index];
                let result = match failed {
                    Some(after) => {
                        warn!(
                            delivery_id = delivery.id,
                            failed = after,
                            "record not processed: an earlier record of its conversation failed; it will be delivered again with it"
                        );
                        Err(skip(after))
                    }
                    None => process(index, delivery).await,
                };
                if result.is_err() && failed.is_none() {
                    failed = Some(delivery.id);
                }
                results.push((index, result));
            }
            results
        })
        .buffer_unordered(concurrency);
    while let Some(results) = running.next().await {
        for (index, result) in results {
            done(index, result);
        }
    }
}

/// The groups of a batch: record indexes, each group in delivery order, groups in the order of
/// their first record.
pub fn groups(deliveries: &[Delivery<'_>]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..deliveries.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (index, delivery) in deliveries.iter().enumerate() {
        for key in ordering_keys(delivery.body) {
            match owner.get(&key) {
                Some(&first) => {
                    let (a, b) = (root(&mut parent, first), root(&mut parent, index));
                    // The earlier record stays the root, so groups keep their first record's place.
                    let (low, high) = (a.min(b), a.max(b));
                    parent[high] = low;
                }
                None => {
                    owner.insert(key, index);
                }
            }
        }
    }
    let mut slot: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for index in 0..deliveries.len() {
        let r = root(&mut parent, index);
        let at = *slot.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[at].push(index);
    }
    groups
}

/// The keys that order a record: `CONV#…` of each message and status recipient, `MSG#…` of
/// each message and status. Empty for a body that is not an EUM Social event (poison) or that
/// carries no messages or statuses.
pub fn ordering_keys(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(envelope) = Envelope::parse(body) else {
        return out;
    };
    let Ok(entry) = envelope.entry() else {
        return out;
    };
    let context_phone = envelope
        .context
        .meta_phone_number_ids
        .first()
        .map(|p| p.meta_phone_number_id.as_str());
    for change in entry.changes.iter().filter(|c| c.field == "messages") {
        let value = &change.value;
        // As `messages::process_messages`: the change's phone, else the event's.
        let phone = value
            .pointer("/metadata/phone_number_id")
            .and_then(Value::as_str)
            .or(context_phone);
        let Some(phone) = phone else { continue };
        let contacts = value
            .get("contacts")
            .and_then(|c| Vec::<Contact>::deserialize(c).ok())
            .unwrap_or_default();
        for message in list(value, "messages") {
            if let Some(id) = text(message, "id") {
                out.push(keys::message(&id));
            }
            if let Some(customer) = inbound_customer(message, &contacts).id() {
                out.push(keys::conversation(phone, customer));
            }
        }
        for status in list(value, "statuses") {
            if let Some(id) = text(status, "id") {
                out.push(keys::message(&id));
            }
            // As `statuses::status_update`: the recipient's wa_id, else its BSUID.
            if let Some(customer) =
                text(status, "recipient_id").or_else(|| text(status, "recipient_user_id"))
            {
                out.push(keys::conversation(phone, &customer));
            }
        }
    }
    out
}

fn list<'v>(value: &'v Value, field: &str) -> impl Iterator<Item = &'v Value> {
    value
        .get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn text(value: &Value, field: &str) -> Option<String> {
    match value.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The bound on concurrent groups when none is configured.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// The largest `INBOUND_CONCURRENCY` accepted.
pub const MAX_CONCURRENCY: usize = 256;

#[cfg(test)]
mod tests {
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
}
