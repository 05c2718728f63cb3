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
            // An edit, deletion or reaction goes with the message it changes, and a number
            // change with the new number's messages.
            for target in [
                "/edit/original_message_id",
                "/revoke/original_message_id",
                "/reaction/message_id",
            ] {
                if let Some(id) = message.pointer(target).and_then(Value::as_str) {
                    out.push(keys::message(id));
                }
            }
            if let Some(new) = message
                .pointer("/system/new_wa_id")
                .or_else(|| message.pointer("/system/wa_id"))
                .and_then(Value::as_str)
            {
                out.push(keys::conversation(phone, new));
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
mod tests;
