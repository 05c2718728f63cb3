//! Recording a message: one `TransactWriteItems` of the message and its conversation.
//!
//! The message's condition makes a redelivery a no-op; the conversation's condition keeps
//! `lastMessageAt` from moving backwards (an older message is retried with a variant that only
//! counts it).

use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use handlers::keys;
use handlers::model::{ItemType, MessageItem, attr};
use handlers::store::{ConversationTouch, Recorded, StoreError};

use super::error::{Kind, SdkFailure, classify, error, validation_kind};
use super::{DynamoStore, to_item};
use crate::store::expr::Expr;

/// How often a transaction that lost a race on the same conversation is tried again.
const MAX_CONFLICT_RETRIES: u32 = 12;

impl DynamoStore {
    /// See [`handlers::Store::record_message`].
    pub(super) async fn record(
        &self,
        message: &MessageItem,
        touch: &ConversationTouch,
    ) -> Result<Recorded, StoreError> {
        let mut variant = 0u8;
        let mut conflicts = 0u32;
        loop {
            let (msg_expr, msg_cond) = message_update(message)?;
            let (conv_expr, conv_cond) = conversation_update(touch, variant);
            let result = self
                .client
                .transact_write_items()
                .transact_items(transact_update(
                    &self.table,
                    &message.pk,
                    msg_expr,
                    Some(msg_cond),
                )?)
                .transact_items(transact_update(
                    &self.table,
                    &touch.pk,
                    conv_expr,
                    conv_cond,
                )?)
                .send()
                .await;
            self.count_write(2);
            let err = match result {
                Ok(_) => return Ok(Recorded::New),
                Err(err) => err,
            };
            let (reasons, messages): (Vec<Option<String>>, Vec<String>) =
                match err.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
                        .cancellation_reasons()
                        .iter()
                        .map(|r| {
                            (
                                r.code().map(str::to_string),
                                r.message().unwrap_or_default().to_string(),
                            )
                        })
                        .unzip(),
                    _ => return Err(classify("TransactWriteItems", err)),
                };
            let code = |i: usize| reasons.get(i).cloned().flatten();
            if code(0).as_deref() == Some("ConditionalCheckFailed") {
                return Ok(Recorded::Duplicate);
            }
            if code(1).as_deref() == Some("ConditionalCheckFailed") {
                variant += 1;
                continue;
            }
            let conflict = reasons.iter().flatten().any(|c| c == "TransactionConflict");
            if conflict && conflicts < MAX_CONFLICT_RETRIES {
                // Another delivery is writing the same conversation: back off and try again,
                // with jitter so that the racing deliveries do not collide again in lockstep.
                conflicts += 1;
                let jitter = fastrand::u64(0..16);
                tokio::time::sleep(Duration::from_millis((5 << conflicts.min(6)) + jitter)).await;
                continue;
            }
            // Cancelled for throttling, capacity or a conflict that outlasted the retries: the
            // record must be redelivered, never dropped. A validation failure is sorted by its
            // message (a key schema that is not ours is a fault, an item too large is the
            // payload's); an item collection over its size limit is the payload's.
            let kind = reasons
                .iter()
                .zip(&messages)
                .find_map(|(code, message)| match code.as_deref() {
                    Some("ValidationError") => Some(validation_kind(message)),
                    Some("ItemCollectionSizeLimitExceeded") => Some(Kind::Rejected),
                    _ => None,
                })
                .unwrap_or(Kind::Unavailable);
            return Err(error(
                kind,
                "TransactWriteItems",
                Box::new(SdkFailure::new(err)),
            ));
        }
    }
}

/// The conversation side of a message's transaction. Variant 0 is for the newest message of
/// the conversation; the later variants are tried only when the conversation already holds a
/// newer message.
fn conversation_update(touch: &ConversationTouch, variant: u8) -> (Expr, Option<String>) {
    let mut e = Expr::default();
    e.set_s(attr::UPDATED_AT, &touch.now);
    match variant {
        0 => {
            e.set_s(attr::ITEM_TYPE, ItemType::Conversation.as_str());
            e.set_s(attr::PHONE_NUMBER_ID, &touch.phone_number_id);
            e.set_s(attr::CUSTOMER_ID, &touch.customer_id);
            e.set_s(attr::LAST_MESSAGE_AT, &touch.message_at);
            e.set_s(attr::LAST_MESSAGE_ID, &touch.message_id);
            e.set_s(attr::LAST_MESSAGE_PREVIEW, &touch.preview);
            e.set_s(attr::LAST_MESSAGE_DIRECTION, touch.direction.as_str());
            e.set_if_absent(attr::CREATED_AT, AttributeValue::S(touch.now.clone()));
            e.set_opt(attr::WABA_ID, touch.waba_id.as_deref());
            e.set_opt(attr::WA_ID, touch.wa_id.as_deref());
            e.set_opt(attr::USER_ID, touch.user_id.as_deref());
            e.set_opt(attr::PROFILE_NAME, touch.profile_name.as_deref());
            if touch.inbound {
                e.set_s(attr::INBOX_PK, &touch.inbox_pk);
                e.set(attr::ARCHIVED, AttributeValue::Bool(false));
                e.set_s(attr::LAST_INBOUND_AT, &touch.message_at);
                e.add(attr::UNREAD_COUNT, 1);
            } else {
                e.set_if_absent(attr::INBOX_PK, AttributeValue::S(touch.inbox_pk.clone()));
                e.set_if_absent(attr::ARCHIVED, AttributeValue::Bool(false));
                e.set_if_absent(attr::UNREAD_COUNT, AttributeValue::N("0".into()));
            }
            let (last, at) = (e.name(attr::LAST_MESSAGE_AT), e.s(&touch.message_at));
            (
                e,
                Some(format!("attribute_not_exists({last}) OR {last} <= {at}")),
            )
        }
        1 if touch.inbound => {
            e.set_s(attr::LAST_INBOUND_AT, &touch.message_at);
            e.add(attr::UNREAD_COUNT, 1);
            let (last, inbound, at) = (
                e.name(attr::LAST_MESSAGE_AT),
                e.name(attr::LAST_INBOUND_AT),
                e.s(&touch.message_at),
            );
            (
                e,
                Some(format!(
                    "attribute_not_exists({last}) AND (attribute_not_exists({inbound}) OR {inbound} < {at})"
                )),
            )
        }
        _ => {
            if touch.inbound {
                e.add(attr::UNREAD_COUNT, 1);
            }
            (e, None)
        }
    }
}

/// The message side: every attribute of the item, unless the message is already stored.
fn message_update(message: &MessageItem) -> Result<(Expr, String), StoreError> {
    let mut e = Expr::default();
    for (name, value) in to_item(message)? {
        match name.as_str() {
            keys::PK => {}
            // A status may have arrived first: its status and times win.
            attr::STATUS | attr::STATUS_RANK | attr::CREATED_AT | attr::ERROR => {
                e.set_if_absent(&name, value)
            }
            _ => e.set(&name, value),
        }
    }
    let kind = e.name(attr::TYPE);
    Ok((e, format!("attribute_not_exists({kind})")))
}

fn transact_update(
    table: &str,
    pk: &str,
    e: Expr,
    condition: Option<String>,
) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(DynamoStore::key(pk)))
        .update_expression(e.update_expression())
        .set_condition_expression(condition)
        .set_expression_attribute_names(e.names_opt())
        .set_expression_attribute_values(e.values_opt())
        .build()
        .map_err(|err| StoreError::Fault {
            operation: "TransactWriteItems",
            source: Box::new(err),
        })?;
    Ok(TransactWriteItem::builder().update(update).build())
}
