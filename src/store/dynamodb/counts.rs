//! The DynamoDB store's side of the analytics counters (`ADD`), the status transitions they
//! follow (`UPDATED_OLD`), leases (a conditional `PutItem`) and taking an item (`DeleteItem`
//! returning `ALL_OLD`). The embedded store applies the same rules from `handlers::rules::counts`.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, ReturnValue};
use handlers::keys;
use handlers::model::{MessageStatus, attr};
use handlers::store::{Lease, StatusApplied, StatusChange, StatusUpdate, StoreError, lease};
use serde_json::Value;

use super::error::classify;
use super::{DynamoStore, from_item, to_av, to_item};
use crate::store::expr::Expr;

impl DynamoStore {
    /// One `UpdateItem` conditioned on the rank, returning the attributes it replaced.
    pub(super) async fn status_change(&self, u: &StatusUpdate) -> Result<StatusChange, StoreError> {
        let (e, condition) = Self::status_expr(u)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&keys::message(&u.wa_message_id))))
            .update_expression(e.update_expression())
            .condition_expression(condition)
            .set_expression_attribute_names(e.names_opt())
            .set_expression_attribute_values(e.values_opt())
            .return_values(ReturnValue::UpdatedOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.count_write(1, out.consumed_capacity());
                let previous = out
                    .attributes
                    .as_ref()
                    .and_then(|old| old.get(attr::STATUS))
                    .and_then(|v| v.as_s().ok())
                    .map(|s| MessageStatus::from(s.clone()));
                Ok(StatusChange {
                    applied: StatusApplied::Applied,
                    previous,
                })
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                self.count_condition_failure();
                Ok(StatusChange {
                    applied: StatusApplied::Stale,
                    previous: None,
                })
            }
            Err(err) => Err(classify("UpdateItem(status)", err)),
        }
    }

    /// One `UpdateItem`: `SET` the attributes, `ADD` the counts.
    pub(super) async fn add_to_counts(
        &self,
        pk: &str,
        set: &Value,
        counts: &[(String, i64)],
    ) -> Result<(), StoreError> {
        let mut e = Expr::default();
        for (name, value) in set.as_object().into_iter().flatten() {
            let value = to_av(value)?;
            match name.as_str() {
                keys::PK => {}
                attr::CREATED_AT => e.set_if_absent(name, value),
                _ => e.set(name, value),
            }
        }
        let mut adds = Vec::new();
        let (mut names, mut values) = (e.names.clone(), e.values.clone());
        for (i, (name, n)) in counts.iter().enumerate() {
            names.insert(format!("#c{i}"), name.clone());
            values.insert(format!(":c{i}"), AttributeValue::N(n.to_string()));
            adds.push(format!("#c{i} :c{i}"));
        }
        let mut expression = e.update_expression();
        if !adds.is_empty() {
            expression = format!("{expression} ADD {}", adds.join(", "))
                .trim()
                .to_string();
        }
        if expression.is_empty() {
            return Ok(());
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk)))
            .update_expression(expression)
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .map_err(|e| classify("UpdateItem(add)", e))?;
        self.count_write(1, out.consumed_capacity());
        Ok(())
    }

    /// `DeleteItem` returning the item it deleted, conditioned on the item existing: of two
    /// concurrent takes exactly one deletes it (the other's condition fails: nothing taken).
    pub(super) async fn take(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .return_values(ReturnValue::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                self.count_condition_failure();
                return Ok(None);
            }
            Err(e) => return Err(classify("DeleteItem", e)),
        };
        self.count_write(1, out.consumed_capacity());
        match out.attributes {
            Some(item) if !item.is_empty() => Ok(Some(from_item(pk, item)?)),
            _ => Ok(None),
        }
    }

    /// A `PutItem` conditioned on the lease being free, run out, or the same holder's.
    pub(super) async fn lease(&self, l: &Lease) -> Result<bool, StoreError> {
        let item = handlers::rules::counts::lease_item(l);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)?))
            .condition_expression(
                "attribute_not_exists(#pk) OR #until <= :now OR #holder = :holder",
            )
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#until", lease::UNTIL)
            .expression_attribute_names("#holder", lease::HOLDER)
            .expression_attribute_values(":now", AttributeValue::N(l.now.to_string()))
            .expression_attribute_values(":holder", AttributeValue::S(l.holder.clone()))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.count_write(1, out.consumed_capacity());
                Ok(true)
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                self.count_condition_failure();
                Ok(false)
            }
            Err(err) => Err(classify("PutItem(lease)", err)),
        }
    }
}
