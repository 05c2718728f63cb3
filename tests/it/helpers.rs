//! Shared test helpers: stores, contexts, and EUM/SNS event builders.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use handlers::inbound::InboundSettings;
use handlers::{Ctx, Settings, Store};

pub use crate::doubles::{HookedStore, Hooks, Recorder};
use serde_json::{Value, json};
use whatsapp_lambda::store::{DynamoStore, EmbeddedStore, schema};

pub const PHONE: &str = "106540352242922";
pub const WABA: &str = "102290129340398";
pub const CUSTOMER: &str = "16505551234";

/// The DynamoDB Local endpoint; the suite fails loudly without it rather than pass untested.
pub fn dynamodb_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL_DYNAMODB is not set: run the suite with `bash tests/run.sh`, which starts DynamoDB Local")
    })
}

pub fn unique_table() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "wl-test-{}-{}-{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let endpoint = dynamodb_endpoint();
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let config = aws_sdk_dynamodb::config::Builder::from(&shared)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A DynamoDB store on a fresh table of DynamoDB Local.
pub async fn dynamo_store() -> Arc<DynamoStore> {
    let client = dynamodb_client().await;
    let table = unique_table();
    schema::create_table(&client, &table)
        .await
        .expect("create table");
    Arc::new(DynamoStore::new(client, table))
}

/// A DynamoDB store whose endpoint is a closed loopback port: every call fails as unreachable.
pub async fn dead_dynamo_store() -> Arc<DynamoStore> {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let config = aws_sdk_dynamodb::config::Builder::from(&shared)
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        "dead",
    ))
}

pub fn embedded_store() -> Arc<EmbeddedStore> {
    Arc::new(EmbeddedStore::in_memory())
}

pub const ORIGINATION: &str = "phone-number-id-976c72a700aac43eaf573ae050example";

pub fn settings() -> Settings {
    Settings {
        default_phone_number_id: Some(PHONE.into()),
        origination_phone_number_id: Some(ORIGINATION.into()),
        ..Default::default()
    }
}

/// A context with the sandbox sender and in-memory media.
pub fn ctx(store: Arc<dyn Store>) -> Ctx {
    Ctx::new(store, settings())
}

/// As [`ctx`], with inbound settings changed by `change` (`concurrency`,
/// `audit_processed_records`, ...).
pub fn ctx_inbound(store: Arc<dyn Store>, change: impl FnOnce(&mut InboundSettings)) -> Ctx {
    let mut settings = settings();
    change(&mut settings.inbound);
    Ctx::new(store, settings)
}

/// As [`ctx`], auditing processed records too (`AUDIT_PROCESSED_RECORDS=true`): for tests about
/// the audit item of a record that was processed.
pub fn ctx_auditing(store: Arc<dyn Store>) -> Ctx {
    ctx_inbound(store, |inbound| inbound.audit_processed_records = true)
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An EUM Social event around one Meta entry (`whatsAppWebhookEntry` as a JSON string).
pub fn envelope(changes: Value) -> String {
    let entry = json!({"id": WABA, "changes": changes});
    json!({
        "context": {
            "MetaWabaIds": [{"wabaId": WABA, "arn": "arn:aws:social-messaging:us-east-1:123456789012:waba/abc"}],
            "MetaPhoneNumberIds": [{"metaPhoneNumberId": PHONE, "arn": "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/def"}]
        },
        "whatsAppWebhookEntry": entry.to_string(),
        "aws_account_id": "123456789012",
        "message_timestamp": "2026-11-20T10:00:00.000Z",
        "messageId": "eum-1"
    })
    .to_string()
}

/// A `messages` change with the given messages and statuses.
pub fn messages_change(customer: &str, messages: Value, statuses: Value) -> Value {
    json!([{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
            "contacts": [{"profile": {"name": "Kerry"}, "wa_id": customer}],
            "messages": messages,
            "statuses": statuses
        }
    }])
}

pub fn text_message(id: &str, customer: &str, timestamp: i64, body: &str) -> Value {
    json!({"from": customer, "id": id, "timestamp": timestamp.to_string(), "type": "text", "text": {"body": body}})
}

pub fn status(id: &str, status: &str, timestamp: i64) -> Value {
    let mut s = json!({"id": id, "status": status, "timestamp": timestamp.to_string(), "recipient_id": CUSTOMER});
    if status == "failed" {
        s["errors"] = json!([{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message", "error_data": {"details": "More than 24 hours have passed"}}]);
    }
    s
}

/// An SNS Lambda event with one record per (SNS message id, EUM event).
pub fn sns_event(records: &[(&str, String)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, message)| {
            json!({
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:eum:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": id,
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:eum",
                    "Subject": null,
                    "Message": message,
                    "Timestamp": "2026-11-20T10:00:00.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://example.invalid/cert.pem",
                    "UnsubscribeUrl": "https://example.invalid/unsub",
                    "MessageAttributes": {}
                }
            })
        })
        .collect();
    json!({"Records": records})
}

pub fn text_event(sns_id: &str, wamid: &str, customer: &str, timestamp: i64, body: &str) -> Value {
    sns_event(&[(
        sns_id,
        envelope(messages_change(
            customer,
            json!([text_message(wamid, customer, timestamp, body)]),
            json!([]),
        )),
    )])
}

pub fn status_event(sns_id: &str, wamid: &str, value: &str, timestamp: i64) -> Value {
    sns_event(&[(
        sns_id,
        envelope(messages_change(
            CUSTOMER,
            json!([]),
            json!([status(wamid, value, timestamp)]),
        )),
    )])
}

/// An SQS Lambda event with one record per (SQS message id, body), as with raw message
/// delivery (the body is the EUM event).
pub fn sqs_event(records: &[(&str, String)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id,
                "receiptHandle": format!("handle-{id}"),
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795168800100",
                               "SenderId": "AIDAIT2UOQQY3AUEKVGXU", "ApproximateFirstReceiveTimestamp": "1795168800112"},
                "messageAttributes": {},
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:eum-whatsapp-inbound",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({"Records": records})
}

/// The `itemIdentifier`s of an SQS batch response.
pub fn batch_item_failures(answer: &Value) -> Vec<String> {
    answer["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("not an SQS batch response: {answer}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
        .collect()
}

/// Runs a direct action and returns the whole response envelope.
pub async fn action(ctx: &Ctx, request: Value) -> Value {
    whatsapp_lambda::intake::handle(ctx, request)
        .await
        .expect("actions never fail the invocation")
}

/// Loads a JSON file of the repository.
pub fn load(path: &str) -> Value {
    let full = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), path);
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}")))
        .unwrap()
}

/// A store that remembers the pk of every item written through it, so that a test can read
/// every one back through the `Store` trait (no store has a scan). Forwards to `inner`.
pub type RecordingStore = HookedStore<Recorder>;

impl HookedStore<Recorder> {
    pub fn recording(inner: Arc<dyn Store>) -> Self {
        HookedStore::new(inner, Recorder::default())
    }

    /// Reads back every item written and decodes it as the type its `itemType` names (and the
    /// stores' typed reads for messages and conversations): an item a failed write left half
    /// made does not decode, or has no `itemType`.
    ///
    /// # Errors
    /// The first item that is not whole, with why.
    pub async fn check_items(&self) -> Result<usize, String> {
        use handlers::model::*;
        fn decode<T: serde::de::DeserializeOwned>(pk: &str, item: &Value) -> Result<(), String> {
            serde_json::from_value::<T>(item.clone())
                .map(drop)
                .map_err(|e| {
                    format!(
                        "{pk} does not decode as {}: {e}",
                        std::any::type_name::<T>()
                    )
                })
        }
        let pks = self.hooks.written();
        for pk in &pks {
            let Some(item) = self
                .inner
                .get_item(pk)
                .await
                .map_err(|e| format!("{pk}: {e}"))?
            else {
                continue; // written then replaced by nothing is not possible; absent = never created
            };
            if item["pk"] != json!(pk) {
                return Err(format!("{pk} comes back with pk {}", item["pk"]));
            }
            let kind = item["itemType"].as_str().unwrap_or_default();
            match kind {
                "MESSAGE" => {
                    decode::<MessageItem>(pk, &item)?;
                    let id = pk
                        .strip_prefix("MSG#")
                        .ok_or(format!("{pk} is a MESSAGE"))?;
                    self.inner
                        .get_message(id)
                        .await
                        .map_err(|e| format!("{pk}: {e}"))?;
                }
                "CONVERSATION" => {
                    decode::<ConversationItem>(pk, &item)?;
                    self.inner
                        .get_conversation(pk)
                        .await
                        .map_err(|e| format!("{pk}: {e}"))?;
                }
                "WEBHOOK_EVENT" => decode::<WebhookEventItem>(pk, &item)?,
                "TEMPLATE" => decode::<TemplateItem>(pk, &item)?,
                "QUALITY" => decode::<QualityItem>(pk, &item)?,
                "MEDIA_DOWNLOAD" => decode::<MediaDownloadItem>(pk, &item)?,
                "MEDIA_UPLOAD" => decode::<MediaUploadItem>(pk, &item)?,
                "" => return Err(format!("{pk} has no itemType: {item}")),
                // Records of other kinds (idempotency claims) are whole when they have a type.
                _ => {}
            }
        }
        Ok(pks.len())
    }
}

/// Caches an APPROVED template of [`WABA`] whose body has `body_parameters` parameters, so
/// that `send_template`'s check passes without EUM Social.
pub async fn seed_template(store: &dyn Store, name: &str, language: &str, body_parameters: usize) {
    let now = handlers::time::now_iso();
    let body: String = (1..=body_parameters)
        .map(|i| format!(" {{{{{i}}}}}"))
        .collect();
    let mut item = handlers::templates::cache::blank(WABA, name, language, &now);
    item.status = "APPROVED".into();
    item.status_at = now;
    item.category = Some("UTILITY".into());
    item.components = Some(serde_json::json!([{"type": "BODY", "text": format!("Hello{body}")}]));
    handlers::templates::cache::put(store, &item)
        .await
        .expect("seed the template cache");
}
