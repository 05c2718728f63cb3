//! Single-item writes: statuses, newest-wins puts, whole-item puts and the small updates of an
//! existing item (read, archive, media). Each is one conditional request.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, ReturnValue};
use handlers::keys;
use handlers::model::{Direction, ItemType, MediaPart, attr};
use handlers::store::{StatusApplied, StatusUpdate, StoreError};
use serde::Serialize;

use super::error::classify;
use super::{DynamoStore, Item, to_av, to_item};
use crate::store::expr::Expr;

impl DynamoStore {
    /// A conditional `UpdateItem`. `Ok(None)` when the condition failed.
    pub(super) async fn update(
        &self,
        pk: &str,
        e: Expr,
        condition: Option<String>,
        operation: &'static str,
    ) -> Result<Option<Item>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk)))
            .update_expression(e.update_expression())
            .set_condition_expression(condition)
            .set_expression_attribute_names(e.names_opt())
            .set_expression_attribute_values(e.values_opt())
            .return_values(ReturnValue::AllNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.count_write(1, out.consumed_capacity());
                Ok(Some(out.attributes.unwrap_or_default()))
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                self.count_condition_failure();
                Ok(None)
            }
            Err(err) => Err(classify(operation, err)),
        }
    }

    /// An `UpdateItem` of an item that must already exist. `Ok(None)` when it does not.
    async fn update_existing(
        &self,
        pk: &str,
        mut e: Expr,
        operation: &'static str,
    ) -> Result<Option<Item>, StoreError> {
        let condition = format!("attribute_exists({})", e.name(keys::PK));
        self.update(pk, e, Some(condition), operation).await
    }

    /// An unconditional `PutItem` of a whole item (overwrites one with the same pk).
    pub(super) async fn put<T: Serialize + ?Sized>(&self, item: &T) -> Result<(), StoreError> {
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(item)?))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .map_err(|e| classify("PutItem", e))?;
        self.count_write(1, out.consumed_capacity());
        Ok(())
    }

    /// A `PutItem` conditioned on no item having the pk: false when one already exists.
    pub(super) async fn put_new<T: Serialize + ?Sized>(
        &self,
        item: &T,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(item)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.count_write(1, out.consumed_capacity());
                Ok(true)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                self.count_condition_failure();
                Ok(false)
            }
            Err(e) => Err(classify("PutItem(create)", e)),
        }
    }

    /// See [`handlers::Store::apply_status`]: one `UpdateItem` conditioned on the stored rank.
    pub(super) async fn status(&self, u: &StatusUpdate) -> Result<StatusApplied, StoreError> {
        let (e, condition) = Self::status_expr(u)?;
        match self
            .update(
                &keys::message(&u.wa_message_id),
                e,
                Some(condition),
                "UpdateItem(status)",
            )
            .await?
        {
            Some(_) => Ok(StatusApplied::Applied),
            None => Ok(StatusApplied::Stale),
        }
    }

    /// The update and condition of a status (shared with `apply_status_change`).
    pub(super) fn status_expr(u: &StatusUpdate) -> Result<(Expr, String), StoreError> {
        let rank_value = AttributeValue::N(u.status.rank().to_string());
        let mut e = Expr::default();
        e.set_s(attr::STATUS, u.status.as_str());
        e.set(attr::STATUS_RANK, rank_value.clone());
        if let Some(name) = u.status.time_attribute() {
            e.set_s(name, &u.at);
        }
        e.set_s(attr::UPDATED_AT, &u.now);
        e.set_if_absent(
            attr::ITEM_TYPE,
            AttributeValue::S(ItemType::Message.as_str().into()),
        );
        e.set_if_absent(
            attr::WA_MESSAGE_ID,
            AttributeValue::S(u.wa_message_id.clone()),
        );
        e.set_if_absent(
            attr::DIRECTION,
            AttributeValue::S(Direction::Outbound.as_str().into()),
        );
        e.set_if_absent(attr::RECEIVED_AT, AttributeValue::S(u.at.clone()));
        e.set_if_absent(attr::CREATED_AT, AttributeValue::S(u.now.clone()));
        let optional = [
            (attr::CONVERSATION_PK, &u.conversation_pk),
            (attr::PHONE_NUMBER_ID, &u.phone_number_id),
            (attr::WABA_ID, &u.waba_id),
            (attr::TO, &u.to),
            (attr::TO_USER_ID, &u.to_user_id),
            (attr::BIZ_OPAQUE_CALLBACK_DATA, &u.biz_opaque_callback_data),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                e.set_if_absent(name, AttributeValue::S(v.clone()));
            }
        }
        if let Some(error) = &u.error {
            e.set(attr::ERROR, to_av(error)?);
        }
        if let Some(pricing) = &u.pricing {
            e.set(attr::PRICING, to_av(pricing)?);
        }
        if let Some(conversation) = &u.billing_conversation {
            e.set(attr::BILLING_CONVERSATION, to_av(conversation)?);
        }
        let (rank, new_rank) = (e.name(attr::STATUS_RANK), e.value(rank_value));
        let condition = format!("attribute_not_exists({rank}) OR {rank} < {new_rank}");
        Ok((e, condition))
    }

    /// Writes a whole item unless the stored one has a newer `statusAt`; keeps `createdAt`.
    pub(super) async fn put_newer<T: Serialize>(
        &self,
        pk: &str,
        item: &T,
        status_at: &str,
    ) -> Result<bool, StoreError> {
        let mut e = Expr::default();
        for (name, value) in to_item(item)? {
            match name.as_str() {
                keys::PK => {}
                attr::CREATED_AT => e.set_if_absent(&name, value),
                _ => e.set(&name, value),
            }
        }
        let (at, new_at) = (e.name(attr::STATUS_AT), e.s(status_at));
        let condition = format!("attribute_not_exists({at}) OR {at} <= {new_at}");
        Ok(self
            .update(pk, e, Some(condition), "UpdateItem(newer)")
            .await?
            .is_some())
    }

    /// Moves an existing conversation's read mark to `mark` (its newest message's time), with
    /// the ids of the inbound messages at exactly that time; a mark never moves backwards.
    /// `Ok(None)` when the conversation does not exist or already has a later mark.
    pub(super) async fn set_read_mark(
        &self,
        pk: &str,
        mark: &str,
        at_mark: &[String],
        now: &str,
    ) -> Result<Option<Item>, StoreError> {
        let mut e = Expr::default();
        e.set_s(attr::LAST_READ_AT, mark);
        if at_mark.is_empty() {
            e.remove(attr::LAST_READ_IDS);
        } else {
            e.set(
                attr::LAST_READ_IDS,
                AttributeValue::L(at_mark.iter().cloned().map(AttributeValue::S).collect()),
            );
        }
        e.set_s(attr::UPDATED_AT, now);
        let (pk_name, read, at) = (e.name(keys::PK), e.name(attr::LAST_READ_AT), e.s(mark));
        let condition = format!(
            "attribute_exists({pk_name}) AND (attribute_not_exists({read}) OR {read} <= {at})"
        );
        self.update(pk, e, Some(condition), "UpdateItem(read)")
            .await
    }

    /// Moves an existing conversation to the inbox partition `inbox_pk`.
    pub(super) async fn archive(
        &self,
        pk: &str,
        archived: bool,
        inbox_pk: &str,
        now: &str,
    ) -> Result<Option<Item>, StoreError> {
        let mut e = Expr::default();
        e.set(attr::ARCHIVED, AttributeValue::Bool(archived));
        e.set_s(attr::INBOX_PK, inbox_pk);
        e.set_s(attr::UPDATED_AT, now);
        self.update_existing(pk, e, "UpdateItem(archive)").await
    }

    /// Replaces an existing message's media part. False when the message does not exist.
    pub(super) async fn set_media(
        &self,
        wa_message_id: &str,
        media: &MediaPart,
        now: &str,
    ) -> Result<bool, StoreError> {
        let mut e = Expr::default();
        e.set(attr::MEDIA, to_av(media)?);
        e.set_s(attr::UPDATED_AT, now);
        let updated = self
            .update_existing(&keys::message(wa_message_id), e, "UpdateItem(media)")
            .await?;
        Ok(updated.is_some())
    }
}

impl DynamoStore {
    /// [`handlers::Store::merge_record`]: an unconditional `UpdateItem` of `set` (`createdAt`
    /// with `if_not_exists`) and, at the same time, a conditional one of `forward` (condition
    /// `attribute_not_exists(rank) OR rank < :rank`). Each is idempotent and they commute.
    pub(super) async fn merge_attrs(
        &self,
        pk: &str,
        set: &serde_json::Value,
        forward: Option<&handlers::store::Forward>,
    ) -> Result<bool, StoreError> {
        let expr = |attrs: &serde_json::Value| -> Result<Expr, StoreError> {
            let mut e = Expr::default();
            for (name, value) in attrs.as_object().into_iter().flatten() {
                let value = to_av(value)?;
                match name.as_str() {
                    keys::PK => {}
                    attr::CREATED_AT => e.set_if_absent(name, value),
                    _ => e.set(name, value),
                }
            }
            Ok(e)
        };
        let plain = async {
            let e = expr(set)?;
            if e.update_expression().is_empty() {
                return Ok(());
            }
            self.update(pk, e, None, "UpdateItem(merge)")
                .await
                .map(|_| ())
        };
        let ranked = async {
            let Some(f) = forward else {
                return Ok(false);
            };
            let mut e = expr(&f.attrs)?;
            e.set(f.rank_attr, AttributeValue::N(f.rank.to_string()));
            let (rank, new_rank) = (
                e.name(f.rank_attr),
                e.value(AttributeValue::N(f.rank.to_string())),
            );
            let condition = format!("attribute_not_exists({rank}) OR {rank} < {new_rank}");
            Ok(self
                .update(pk, e, Some(condition), "UpdateItem(merge forward)")
                .await?
                .is_some())
        };
        let (plain, ranked) = tokio::join!(plain, ranked);
        plain?;
        ranked
    }
}
