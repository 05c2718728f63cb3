//! The DynamoDB store: the single table through aws-sdk-dynamodb and serde_dynamo.
//!
//! Each rule of `handlers::rules` is one conditional request here, so concurrent Lambdas never
//! read-then-write:
//! - a message and its conversation are written in one `TransactWriteItems` (2 item writes):
//!   the message's condition makes a redelivery a no-op, the conversation's condition keeps
//!   `lastMessageAt` from moving backwards (an older message is retried with a variant that
//!   only counts it);
//! - a status is one `UpdateItem` conditioned on the stored status rank.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use handlers::keys;
use handlers::model::{
    self, ConversationItem, MediaPart, MessageItem, QualityItem, TemplateItem, WebhookEventItem,
};
use handlers::store::{
    ConversationTouch, Page, PageRequest, Recorded, StatusApplied, StatusUpdate, Store, StoreError,
    decode_cursor, encode_cursor,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::expr::Expr;

type Item = HashMap<String, AttributeValue>;

/// How often a transaction that lost a race on the same conversation is tried again.
const MAX_CONFLICT_RETRIES: u32 = 12;

/// See the module documentation.
pub struct DynamoStore {
    client: Client,
    table: String,
    write_requests: AtomicU64,
    item_writes: AtomicU64,
}

/// Write requests and item writes sent so far (for the benchmark and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteCounts {
    pub requests: u64,
    pub item_writes: u64,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            write_requests: AtomicU64::new(0),
            item_writes: AtomicU64::new(0),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn write_counts(&self) -> WriteCounts {
        WriteCounts {
            requests: self.write_requests.load(Ordering::Relaxed),
            item_writes: self.item_writes.load(Ordering::Relaxed),
        }
    }

    fn count_write(&self, items: u64) {
        self.write_requests.fetch_add(1, Ordering::Relaxed);
        self.item_writes.fetch_add(items, Ordering::Relaxed);
    }

    fn key(pk: &str) -> Item {
        HashMap::from([(keys::PK.to_string(), AttributeValue::S(pk.to_string()))])
    }

    async fn get_raw(&self, pk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", e))?;
        Ok(out.item)
    }

    async fn get_typed<T: DeserializeOwned>(&self, pk: &str) -> Result<Option<T>, StoreError> {
        self.get_raw(pk)
            .await?
            .map(|item| from_item(pk, item))
            .transpose()
    }

    /// A conditional `UpdateItem`. `Ok(None)` when the condition failed.
    async fn update(
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
            .send()
            .await;
        self.count_write(1);
        match result {
            Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
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

    async fn query(
        &self,
        index: &keys::IndexDef,
        value: &str,
        since: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Item>, StoreError> {
        let start = page
            .cursor
            .as_deref()
            .map(|c| cursor_to_key(c, index, value))
            .transpose()?;
        let mut names = HashMap::from([("#p".to_string(), index.partition.to_string())]);
        let mut values = HashMap::from([(":p".to_string(), AttributeValue::S(value.to_string()))]);
        if let Some(lower) = since {
            names.insert("#s".into(), index.sort.to_string());
            values.insert(":since".into(), AttributeValue::S(lower.to_string()));
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name)
            .key_condition_expression(if since.is_some() {
                "#p = :p AND #s >= :since"
            } else {
                "#p = :p"
            })
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(false)
            .limit(page.limit as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify("Query", e))?;
        Ok(Page {
            items: out.items.unwrap_or_default(),
            next_cursor: out.last_evaluated_key.map(|k| key_to_cursor(&k)),
        })
    }

    async fn query_typed<T: DeserializeOwned>(
        &self,
        index_name: &str,
        value: &str,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let index = index_def(index_name);
        let page = self.query(index, value, None, page).await?;
        let items = page
            .items
            .into_iter()
            .map(|item| from_item("query result", item))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }
}

fn index_def(name: &str) -> &'static keys::IndexDef {
    keys::INDEXES
        .iter()
        .find(|i| i.name == name)
        .expect("index defined in keys::INDEXES")
}

fn from_item<T: DeserializeOwned>(pk: &str, item: Item) -> Result<T, StoreError> {
    let pk = match item.get(keys::PK) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => pk.to_string(),
    };
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        pk,
        reason: e.to_string(),
    })
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })
}

fn to_av<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Rejected {
        operation: "serialize",
        source: Box::new(e),
    })
}

/// A page position is the index's key of the last item: pk, partition and sort values.
fn key_to_cursor(key: &Item) -> String {
    let map: serde_json::Map<String, Value> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), Value::String(s.clone()))))
        .collect();
    encode_cursor(&Value::Object(map))
}

fn cursor_to_key(
    token: &str,
    index: &keys::IndexDef,
    partition_value: &str,
) -> Result<Item, StoreError> {
    let bad = |why: &str| StoreError::BadCursor(why.to_string());
    let Value::Object(map) = decode_cursor(token)? else {
        return Err(bad("not a token issued by this API"));
    };
    if map.get(index.partition).and_then(Value::as_str) != Some(partition_value) {
        return Err(bad("the token belongs to another list"));
    }
    let allowed = [keys::PK, index.partition, index.sort];
    if map.len() != 3 || map.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err(bad("not a token issued by this API"));
    }
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, AttributeValue::S(s))),
            _ => Err(bad("not a token issued by this API")),
        })
        .collect()
}

/// An SDK error with its whole context in the message (an `SdkError` alone displays as
/// "service error"), the error itself kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct SdkFailure {
    context: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl SdkFailure {
    pub fn new<E>(err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        SdkFailure {
            context: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
            source: Box::new(err),
        }
    }
}

/// Sorts an SDK error into retryable (unreachable, throttled, table missing: redeliver, so
/// nothing is lost while an operator fixes it) or not.
fn classify<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let retryable = match &err {
        SdkError::ServiceError(service) => matches!(
            service.err().code(),
            Some(
                "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "ResourceNotFoundException"
                    | "TransactionInProgressException"
                    | "TransactionConflictException"
                    | "LimitExceededException"
            )
        ),
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    };
    let source = Box::new(SdkFailure::new(err));
    if retryable {
        StoreError::Unavailable { operation, source }
    } else {
        StoreError::Rejected { operation, source }
    }
}

/// The conversation side of a message's transaction. Variant 0 is for the newest message of
/// the conversation; the later variants are tried only when the conversation already holds a
/// newer message.
fn conversation_update(touch: &ConversationTouch, variant: u8) -> (Expr, Option<String>) {
    let mut e = Expr::default();
    e.set_s("updatedAt", &touch.now);
    match variant {
        0 => {
            e.set_s("itemType", model::CONVERSATION);
            e.set_s("phoneNumberId", &touch.phone_number_id);
            e.set_s("customerId", &touch.customer_id);
            e.set_s("lastMessageAt", &touch.message_at);
            e.set_s("lastMessageId", &touch.message_id);
            e.set_s("lastMessagePreview", &touch.preview);
            e.set_s("lastMessageDirection", &touch.direction);
            e.set_if_absent("createdAt", AttributeValue::S(touch.now.clone()));
            e.set_opt("wabaId", touch.waba_id.as_deref());
            e.set_opt("waId", touch.wa_id.as_deref());
            e.set_opt("userId", touch.user_id.as_deref());
            e.set_opt("profileName", touch.profile_name.as_deref());
            if touch.inbound {
                e.set_s("inboxPk", &touch.inbox_pk);
                e.set("archived", AttributeValue::Bool(false));
                e.set_s("lastInboundAt", &touch.message_at);
                e.add("unreadCount", 1);
            } else {
                e.set_if_absent("inboxPk", AttributeValue::S(touch.inbox_pk.clone()));
                e.set_if_absent("archived", AttributeValue::Bool(false));
                e.set_if_absent("unreadCount", AttributeValue::N("0".into()));
            }
            let (last, at) = (e.name("lastMessageAt"), e.s(&touch.message_at));
            (
                e,
                Some(format!("attribute_not_exists({last}) OR {last} <= {at}")),
            )
        }
        1 if touch.inbound => {
            e.set_s("lastInboundAt", &touch.message_at);
            e.add("unreadCount", 1);
            let (last, inbound, at) = (
                e.name("lastMessageAt"),
                e.name("lastInboundAt"),
                e.s(&touch.message_at),
            );
            (
                e,
                Some(format!(
                    "attribute_exists({last}) AND (attribute_not_exists({inbound}) OR {inbound} < {at})"
                )),
            )
        }
        _ => {
            if touch.inbound {
                e.add("unreadCount", 1);
            }
            (e, None)
        }
    }
}

fn message_update(message: &MessageItem) -> Result<(Expr, String), StoreError> {
    let mut e = Expr::default();
    for (attr, value) in to_item(message)? {
        match attr.as_str() {
            keys::PK => {}
            // A status may have arrived first: its status and times win.
            "status" | "statusRank" | "createdAt" | "error" => e.set_if_absent(&attr, value),
            _ => e.set(&attr, value),
        }
    }
    let kind = e.name("type");
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
        .map_err(|err| StoreError::Rejected {
            operation: "TransactWriteItems",
            source: Box::new(err),
        })?;
    Ok(TransactWriteItem::builder().update(update).build())
}

#[async_trait]
impl Store for DynamoStore {
    async fn record_message(
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
            let reasons: Vec<Option<String>> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().map(str::to_string))
                    .collect(),
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
                // Another delivery is writing the same conversation: back off and try again.
                conflicts += 1;
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let jitter = u64::from(nanos % 16);
                tokio::time::sleep(Duration::from_millis((5 << conflicts.min(6)) + jitter)).await;
                continue;
            }
            // Cancelled for throttling, capacity or a conflict that outlasted the retries: the
            // record must be redelivered, never dropped. Only a validation failure is permanent.
            let permanent = reasons
                .iter()
                .flatten()
                .any(|c| c == "ValidationError" || c == "ItemCollectionSizeLimitExceeded");
            let source = Box::new(SdkFailure::new(err));
            return Err(if permanent {
                StoreError::Rejected {
                    operation: "TransactWriteItems",
                    source,
                }
            } else {
                StoreError::Unavailable {
                    operation: "TransactWriteItems",
                    source,
                }
            });
        }
    }

    async fn apply_status(&self, u: &StatusUpdate) -> Result<StatusApplied, StoreError> {
        let mut e = Expr::default();
        e.set_s("status", &u.status);
        e.set("statusRank", AttributeValue::N(u.rank.to_string()));
        if let Some(attr) = u.time_attribute() {
            e.set_s(attr, &u.at);
        }
        e.set_s("updatedAt", &u.now);
        e.set_if_absent("itemType", AttributeValue::S(model::MESSAGE.into()));
        e.set_if_absent("waMessageId", AttributeValue::S(u.wa_message_id.clone()));
        e.set_if_absent("direction", AttributeValue::S(model::OUTBOUND.into()));
        e.set_if_absent("receivedAt", AttributeValue::S(u.at.clone()));
        e.set_if_absent("createdAt", AttributeValue::S(u.now.clone()));
        let optional = [
            ("conversationPk", &u.conversation_pk),
            ("directionPk", &u.direction_pk),
            ("phoneNumberId", &u.phone_number_id),
            ("wabaId", &u.waba_id),
            ("to", &u.to),
            ("toUserId", &u.to_user_id),
            ("bizOpaqueCallbackData", &u.biz_opaque_callback_data),
        ];
        for (attr, value) in optional {
            if let Some(v) = value {
                e.set_if_absent(attr, AttributeValue::S(v.clone()));
            }
        }
        if let Some(error) = &u.error {
            e.set("error", to_av(error)?);
        }
        if let Some(pricing) = &u.pricing {
            e.set("pricing", to_av(pricing)?);
        }
        if let Some(conversation) = &u.billing_conversation {
            e.set("billingConversation", to_av(conversation)?);
        }
        let (rank, new_rank) = (
            e.name("statusRank"),
            e.value(AttributeValue::N(u.rank.to_string())),
        );
        let condition = format!("attribute_not_exists({rank}) OR {rank} < {new_rank}");
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

    async fn put_webhook_event(&self, item: &WebhookEventItem) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(item)?))
            .send()
            .await
            .map_err(|e| classify("PutItem", e))?;
        self.count_write(1);
        Ok(())
    }

    async fn put_template_status(&self, item: &TemplateItem) -> Result<bool, StoreError> {
        put_newer(self, &item.pk, to_item(item)?, &item.status_at).await
    }

    async fn put_quality(&self, item: &QualityItem) -> Result<bool, StoreError> {
        put_newer(self, &item.pk, to_item(item)?, &item.status_at).await
    }

    async fn get_message(&self, wa_message_id: &str) -> Result<Option<MessageItem>, StoreError> {
        self.get_typed(&keys::message(wa_message_id)).await
    }

    async fn list_messages(
        &self,
        conversation_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        self.query_typed(keys::GSI_CONVERSATION, conversation_pk, page)
            .await
    }

    async fn get_conversation(&self, pk: &str) -> Result<Option<ConversationItem>, StoreError> {
        self.get_typed(pk).await
    }

    async fn list_conversations(
        &self,
        inbox_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<ConversationItem>, StoreError> {
        self.query_typed(keys::GSI_INBOX, inbox_pk, page).await
    }

    async fn mark_conversation_read(
        &self,
        pk: &str,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let mut e = Expr::default();
        e.set("unreadCount", AttributeValue::N("0".into()));
        e.set_s("updatedAt", now);
        self.update_existing(pk, e, "UpdateItem(read)")
            .await?
            .map(|item| from_item(pk, item))
            .transpose()
    }

    async fn set_archived(
        &self,
        pk: &str,
        archived: bool,
        now: &str,
    ) -> Result<Option<ConversationItem>, StoreError> {
        let Some((phone, _)) = keys::parse_conversation(pk) else {
            return Ok(None);
        };
        let inbox = if archived {
            keys::archived_inbox(phone)
        } else {
            keys::inbox(phone)
        };
        let mut e = Expr::default();
        e.set("archived", AttributeValue::Bool(archived));
        e.set_s("inboxPk", &inbox);
        e.set_s("updatedAt", now);
        self.update_existing(pk, e, "UpdateItem(archive)")
            .await?
            .map(|item| from_item(pk, item))
            .transpose()
    }

    async fn set_message_media(
        &self,
        wa_message_id: &str,
        media: &MediaPart,
        now: &str,
    ) -> Result<bool, StoreError> {
        let mut e = Expr::default();
        e.set("media", to_av(media)?);
        e.set_s("updatedAt", now);
        let updated = self
            .update_existing(&keys::message(wa_message_id), e, "UpdateItem(media)")
            .await?;
        Ok(updated.is_some())
    }

    async fn put_record(&self, item: &Value) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(item)?))
            .send()
            .await
            .map_err(|e| classify("PutItem", e))?;
        self.count_write(1);
        Ok(())
    }

    async fn get_item(&self, pk: &str) -> Result<Option<Value>, StoreError> {
        self.get_typed(pk).await
    }

    async fn list_by_item_type(
        &self,
        item_type_pk: &str,
        page: &PageRequest,
    ) -> Result<Page<Value>, StoreError> {
        self.query_typed(keys::GSI_ITEM_TYPE, item_type_pk, page)
            .await
    }

    async fn list_by_direction(
        &self,
        direction_pk: &str,
        since: &str,
        page: &PageRequest,
    ) -> Result<Page<MessageItem>, StoreError> {
        let index = index_def(keys::GSI_DIRECTION);
        let page = self.query(index, direction_pk, Some(since), page).await?;
        let items = page
            .items
            .into_iter()
            .map(|item| from_item("query result", item))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key("HEALTH#ping")))
            .send()
            .await
            .map_err(|e| classify("GetItem(ping)", e))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("dynamodb:{}", self.table)
    }
}

/// Writes a whole item unless the stored one has a newer `statusAt`; keeps `createdAt`.
async fn put_newer(
    store: &DynamoStore,
    pk: &str,
    item: Item,
    status_at: &str,
) -> Result<bool, StoreError> {
    let mut e = Expr::default();
    for (attr, value) in item {
        match attr.as_str() {
            keys::PK => {}
            "createdAt" => e.set_if_absent(&attr, value),
            _ => e.set(&attr, value),
        }
    }
    let (at, new_at) = (e.name("statusAt"), e.s(status_at));
    let condition = format!("attribute_not_exists({at}) OR {at} <= {new_at}");
    Ok(store
        .update(pk, e, Some(condition), "UpdateItem(newer)")
        .await?
        .is_some())
}
