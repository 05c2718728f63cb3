//! Writes of campaigns: a recipient's transition with its counters in one `TransactWriteItems`
//! ([`handlers::store::Transition`]), and many items by `BatchWriteItem`.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnConsumedCapacity, TransactWriteItem, Update, WriteRequest,
};
use handlers::keys;
use handlers::store::{StoreError, Transition};
use serde_json::Value;

use super::error::classify;
use super::{DynamoStore, Item, to_av, to_item};
use crate::store::expr::Expr;

/// `BatchWriteItem` takes at most 25 items.
const BATCH: usize = 25;
/// Attempts of a batch's unprocessed items, and of a transaction another one conflicted with.
const ATTEMPTS: u32 = 8;

/// The update and condition expressions of a transition (`ADD` for the counters is separate).
fn transition_expr(t: &Transition) -> Result<(Expr, String), StoreError> {
    let mut e = Expr::default();
    for (name, value) in &t.set {
        if name != keys::PK {
            e.set(name, to_av(value)?);
        }
    }
    for name in &t.remove {
        e.remove(name);
    }
    let mut condition = vec![format!("attribute_exists({})", e.name(keys::PK))];
    for (name, want) in &t.expect {
        let n = e.name(name);
        if want.is_null() {
            condition.push(format!("attribute_not_exists({n})"));
        } else {
            let v = e.value(to_av(want)?);
            condition.push(format!("{n} = {v}"));
        }
    }
    Ok((e, condition.join(" AND ")))
}

fn counter_update(table: &str, pk: &str, add: &[(String, i64)]) -> Result<Update, StoreError> {
    let mut e = Expr::default();
    let mut adds = Vec::new();
    for (name, delta) in add {
        let (n, v) = (e.name(name), e.value(AttributeValue::N(delta.to_string())));
        adds.push(format!("{n} {v}"));
    }
    Update::builder()
        .table_name(table)
        .set_key(Some(DynamoStore::key(pk)))
        .update_expression(format!("ADD {}", adds.join(", ")))
        .set_expression_attribute_names(e.names_opt())
        .set_expression_attribute_values(e.values_opt())
        .build()
        .map_err(|e| StoreError::Fault {
            operation: "TransactWriteItems",
            source: Box::new(e),
        })
}

impl DynamoStore {
    /// One write request of `items` items whose capacity came back per table (a transaction or
    /// a batch).
    fn count_writes(&self, items: u64, consumed: &[aws_sdk_dynamodb::types::ConsumedCapacity]) {
        let mut rest = consumed.iter();
        self.count_write(items, rest.next());
        for c in rest {
            let mut counts = self.counts();
            counts.table_units += c.table().and_then(|t| t.capacity_units()).unwrap_or(0.0);
            for (name, capacity) in c.global_secondary_indexes().into_iter().flatten() {
                *counts.index_units.entry(name.clone()).or_default() +=
                    capacity.capacity_units().unwrap_or(0.0);
            }
        }
    }

    pub(super) async fn transition_item(&self, t: &Transition) -> Result<bool, StoreError> {
        let (e, condition) = transition_expr(t)?;
        let counter = t.counter_pk.as_deref().filter(|_| !t.add.is_empty());
        let Some(counter) = counter else {
            return Ok(self
                .update(&t.pk, e, Some(condition), "UpdateItem(transition)")
                .await?
                .is_some());
        };
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&t.pk)))
            .update_expression(e.update_expression())
            .condition_expression(condition)
            .set_expression_attribute_names(e.names_opt())
            .set_expression_attribute_values(e.values_opt())
            .build()
            .map_err(|e| StoreError::Fault {
                operation: "TransactWriteItems",
                source: Box::new(e),
            })?;
        let counters = counter_update(&self.table, counter, &t.add)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().update(update.clone()).build())
                .transact_items(
                    TransactWriteItem::builder()
                        .update(counters.clone())
                        .build(),
                )
                .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
                .send()
                .await;
            match result {
                Ok(out) => {
                    self.count_writes(2, out.consumed_capacity());
                    return Ok(true);
                }
                Err(err) => {
                    let reasons: Vec<String> = err
                        .as_service_error()
                        .filter(|s| s.is_transaction_canceled_exception())
                        .map(|s| match s {
                            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => c
                                .cancellation_reasons()
                                .iter()
                                .map(|r| r.code().unwrap_or("None").to_string())
                                .collect(),
                            _ => Vec::new(),
                        })
                        .unwrap_or_default();
                    if reasons.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                        self.count_condition_failure();
                        return Ok(false);
                    }
                    let conflict = reasons.iter().any(|r| r == "TransactionConflict")
                        || err
                            .as_service_error()
                            .is_some_and(|s| s.is_transaction_in_progress_exception());
                    if conflict && attempt < ATTEMPTS {
                        // Another transition on the same counter shard: try again shortly.
                        tokio::time::sleep(backoff(attempt)).await;
                        continue;
                    }
                    if conflict {
                        return Err(StoreError::Unavailable {
                            operation: "TransactWriteItems",
                            source: format!("transaction conflicts: {reasons:?}").into(),
                        });
                    }
                    return Err(classify("TransactWriteItems", err));
                }
            }
        }
    }

    pub(super) async fn put_many(&self, items: &[Value]) -> Result<(), StoreError> {
        for chunk in items.chunks(BATCH) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let item: Item = to_item(item)?;
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(|e| StoreError::Fault {
                            operation: "BatchWriteItem",
                            source: Box::new(e),
                        })?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_, StoreError>>()?;
            let mut attempt = 0;
            while !requests.is_empty() {
                attempt += 1;
                if attempt > ATTEMPTS {
                    return Err(StoreError::Unavailable {
                        operation: "BatchWriteItem",
                        source: format!("{} items still unprocessed", requests.len()).into(),
                    });
                }
                let n = requests.len() as u64;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
                    .send()
                    .await
                    .map_err(|e| classify("BatchWriteItem", e))?;
                requests = out
                    .unprocessed_items()
                    .and_then(|m| m.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
                self.count_writes(n - requests.len() as u64, out.consumed_capacity());
                if !requests.is_empty() {
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
        Ok(())
    }
}

fn backoff(attempt: u32) -> Duration {
    // 10, 20, 40, ... ms, with a little spread from the clock so workers do not collide again.
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos() % 10));
    Duration::from_millis(10 * (1 << attempt.min(6)) + jitter)
}
