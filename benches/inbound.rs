//! Inbound throughput, cost and memory benchmark (not a test: it measures, it asserts nothing).
//!
//! `cargo bench --bench inbound` pushes synthetic EUM Social SNS events through the real intake
//! path (`intake::handle`, the function Lambda calls) and prints, per store:
//! - records/s, with the records of an invocation delivered as one SNS event of `BENCH_BATCH`
//!   records (default 1,333), processed concurrently as the function does, and one record per
//!   invocation (the common production case: the time of one record is its round trips);
//! - for DynamoDB: write units per new message, per status and per redelivery, by table and by
//!   index, summed from the `ConsumedCapacity` DynamoDB returned for every write;
//! - the engine's own ceiling, measured with the same client (conditional `PutItem`s from 32
//!   concurrent tasks), and the function's throughput as a fraction of it;
//! - peak memory (`VmHWM`) of one 1,333-record invocation (1,000 new messages and 333
//!   statuses), each store in its own process.
//!
//! The workload: text messages spread over 500 conversations, a status for every third of
//! them, then every tenth message delivered again. The DynamoDB Local runs happen when
//! `AWS_ENDPOINT_URL_DYNAMODB` is set. Options (environment): `BENCH_RECORDS` (new messages:
//! default 20,000 embedded, 3,000 DynamoDB), `BENCH_BATCH`, `BENCH_STORE` (one run only:
//! `embedded`, `embedded-file`, `dynamodb`, `ceiling`, `memory-dynamodb`, `memory-embedded`).

use std::sync::Arc;
use std::time::Instant;

use handlers::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;
use whatsapp_lambda::store::{DynamoStore, EmbeddedStore, WriteCounts, schema};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";
const CONVERSATIONS: usize = 500;

fn customer(i: usize) -> String {
    format!("1650555{:04}", i % CONVERSATIONS)
}

/// The EUM Social event (SNS `Message`) of one Meta `messages` change.
fn eum_message(value: Value) -> String {
    let entry = json!({"id": WABA, "changes": [{"field": "messages", "value": value}]});
    json!({"context": {"MetaWabaIds": [{"wabaId": WABA, "arn": "arn:aws:social-messaging:us-east-1:1:waba/x"}],
        "MetaPhoneNumberIds": [{"metaPhoneNumberId": PHONE, "arn": "arn:aws:social-messaging:us-east-1:1:phone-number-id/y"}]},
        "whatsAppWebhookEntry": entry.to_string(), "aws_account_id": "1", "message_timestamp": "2026-11-20T10:00:00Z"})
    .to_string()
}

fn metadata() -> Value {
    json!({"display_phone_number": "15550783881", "phone_number_id": PHONE})
}

/// New text message number `i` (from one of 500 customers).
fn message(i: usize) -> String {
    let from = customer(i);
    eum_message(json!({
        "messaging_product": "whatsapp", "metadata": metadata(),
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": from}],
        "messages": [{"from": from, "id": format!("wamid.BENCH{i:08}"), "timestamp": (1_763_632_800 + i).to_string(),
                      "type": "text", "text": {"body": "Hello, is my order on its way?"}}]
    }))
}

/// A `delivered` status for the business's message number `i` to one of the customers.
fn status(i: usize) -> String {
    eum_message(json!({
        "messaging_product": "whatsapp", "metadata": metadata(),
        "statuses": [{"id": format!("wamid.OUT{i:08}"), "status": "delivered", "timestamp": (1_763_632_800 + i).to_string(),
                      "recipient_id": customer(i),
                      "pricing": {"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"}}]
    }))
}

#[derive(Clone, Copy)]
enum Record {
    Message(usize),
    Redelivery(usize),
    Status(usize),
}

impl Record {
    fn sns(self) -> Value {
        let (id, message) = match self {
            Record::Message(i) => (format!("sns-{i}"), message(i)),
            Record::Redelivery(i) => (format!("sns-again-{i}"), message(i)),
            Record::Status(i) => (format!("sns-status-{i}"), status(i)),
        };
        json!({"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:1:t:s",
            "Sns": {"Type": "Notification", "MessageId": id, "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": message,
                    "Timestamp": "2026-11-20T10:00:00.000Z", "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "x",
                    "UnsubscribeUrl": "x", "MessageAttributes": {}}})
    }
}

/// Delivers `records` in invocations of `batch` records each, as Lambda would hand them over
/// (the event arrives as bytes and is parsed, as `lambda_runtime` does); returns how many and
/// the time spent in `intake::handle` and parsing alone.
async fn deliver(ctx: &handlers::Ctx, records: &[Record], batch: usize) -> (usize, f64) {
    let mut spent = std::time::Duration::ZERO;
    for chunk in records.chunks(batch.max(1)) {
        let bytes = serde_json::to_vec(
            &json!({"Records": chunk.iter().map(|r| r.sns()).collect::<Vec<_>>()}),
        )
        .expect("serialize");
        let started = Instant::now();
        let event: Value = serde_json::from_slice(&bytes).expect("parse");
        drop(bytes);
        intake::handle(ctx, event)
            .await
            .expect("the store does not fail");
        spent += started.elapsed();
    }
    (records.len(), spent.as_secs_f64())
}

/// The function's settings, with `INBOUND_CONCURRENCY` when set (default 16).
fn settings() -> handlers::Settings {
    let mut settings = handlers::Settings::default();
    settings.inbound.concurrency = env_usize("INBOUND_CONCURRENCY", settings.inbound.concurrency);
    settings
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The workload's three phases: new messages, statuses (one per three messages), redeliveries
/// (every tenth message).
fn phases(n: usize) -> [Vec<Record>; 3] {
    [
        (0..n).map(Record::Message).collect(),
        (0..n / 3).map(Record::Status).collect(),
        (0..n).step_by(10).map(Record::Redelivery).collect(),
    ]
}

#[tokio::main]
async fn main() {
    whatsapp_lambda::metrics::init(whatsapp_lambda::metrics::Sink::Off);
    // Each run is a process of its own so that its peak memory is its own.
    match std::env::var("BENCH_STORE").as_deref() {
        Ok("embedded") => embedded(false).await,
        Ok("embedded-file") => embedded(true).await,
        Ok("dynamodb") => dynamodb().await,
        Ok("ceiling") => {
            ceiling(32, 4_000, false).await;
            ceiling(32, 4_000, true).await;
        }
        Ok("memory-dynamodb") => memory(true).await,
        Ok("memory-embedded") => memory(false).await,
        _ => {
            println!("whatsapp-lambda inbound benchmark");
            let exe = std::env::current_exe().expect("own path");
            for store in [
                "embedded",
                "embedded-file",
                "dynamodb",
                "memory-embedded",
                "memory-dynamodb",
            ] {
                let status = std::process::Command::new(&exe)
                    .env("BENCH_STORE", store)
                    .status()
                    .expect("run");
                assert!(status.success(), "{store} run failed");
            }
        }
    }
}

async fn embedded(on_disk: bool) {
    let n = env_usize("BENCH_RECORDS", 20_000);
    let batch = env_usize("BENCH_BATCH", 1_333);
    let dir = std::env::temp_dir().join(format!("wl-bench-{}", std::process::id()));
    let store = Arc::new(if on_disk {
        EmbeddedStore::open(&dir).expect("open the data directory")
    } else {
        EmbeddedStore::in_memory()
    });
    let ctx = handlers::Ctx::new(store.clone(), settings());
    let (mut count, mut secs) = (0, 0.0);
    for records in phases(n) {
        let (c, s) = deliver(&ctx, &records, batch).await;
        count += c;
        secs += s;
    }
    println!(
        "{}: {count} records ({n} new messages, {} statuses, {} redeliveries) in invocations of {batch}: {secs:.2}s = {:.0} records/s",
        store.describe(),
        n / 3,
        n.div_ceil(10),
        count as f64 / secs,
    );
    // One record per invocation, one after another.
    let single: Vec<Record> = (n..n + 2_000).map(Record::Message).collect();
    let (c, s) = deliver(&ctx, &single, 1).await;
    println!(
        "  one record per invocation: {c} records in {s:.2}s = {:.0} records/s ({:.0} µs per record)",
        c as f64 / s,
        s * 1e6 / c as f64
    );
    drop(ctx);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

fn units_line(label: &str, before: &WriteCounts, after: &WriteCounts, per: usize) -> String {
    let per = per.max(1) as f64;
    let mut parts = vec![format!(
        "table {:.2}",
        (after.table_units - before.table_units) / per
    )];
    for (index, units) in &after.index_units {
        let earlier = before.index_units.get(index).copied().unwrap_or(0.0);
        if units - earlier > 0.0 {
            parts.push(format!("{index} {:.2}", (units - earlier) / per));
        }
    }
    let failures = (after.condition_failures - before.condition_failures) as f64 / per;
    format!(
        "  {label}: {:.2} write units ({}){}; {:.2} write requests",
        (after.total_units() - before.total_units()) / per + failures,
        parts.join(", "),
        if failures > 0.0 {
            format!(", condition failures {failures:.2} (billed 1 each)")
        } else {
            String::new()
        },
        (after.requests - before.requests) as f64 / per + failures,
    )
}

async fn dynamodb() {
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
        println!(
            "dynamodb-local: skipped (set AWS_ENDPOINT_URL_DYNAMODB, e.g. run under tests/run.sh)"
        );
        return;
    }
    let n = env_usize("BENCH_RECORDS", 3_000);
    let batch = env_usize("BENCH_BATCH", 1_333);
    let client = whatsapp_lambda::store::dynamodb_client().await;
    let table = format!("bench-{}", std::process::id());
    schema::create_table(&client, &table)
        .await
        .expect("create table");
    let store = Arc::new(DynamoStore::new(client, table));
    let ctx = handlers::Ctx::new(store.clone(), settings());
    let [messages, statuses, redeliveries] = phases(n);
    let start = store.write_counts();
    let (c1, s1) = deliver(&ctx, &messages, batch).await;
    let after_messages = store.write_counts();
    let (c2, s2) = deliver(&ctx, &statuses, batch).await;
    let after_statuses = store.write_counts();
    let (c3, s3) = deliver(&ctx, &redeliveries, batch).await;
    let after_redeliveries = store.write_counts();
    let (count, secs) = (c1 + c2 + c3, s1 + s2 + s3);
    let rate = count as f64 / secs;
    println!(
        "dynamodb-local: {count} records ({c1} new messages, {c2} statuses, {c3} redeliveries) in invocations of {batch}: {secs:.2}s = {rate:.0} records/s (new messages alone {:.0}/s)",
        c1 as f64 / s1
    );
    println!(
        "{}",
        units_line("per new message", &start, &after_messages, c1)
    );
    println!(
        "{}",
        units_line("per status", &after_messages, &after_statuses, c2)
    );
    println!(
        "{}",
        units_line("per redelivery", &after_statuses, &after_redeliveries, c3)
    );
    // One record per invocation, one after another: the time of one record is its round trips.
    let single: Vec<Record> = (n..n + 300).map(Record::Message).collect();
    let before = store.write_counts();
    let (c, s) = deliver(&ctx, &single, 1).await;
    let after = store.write_counts();
    println!(
        "  one record per invocation: {c} records in {s:.2}s = {:.0} records/s, {:.2} ms per record, {:.2} write requests per record",
        c as f64 / s,
        s * 1e3 / c as f64,
        (after.requests - before.requests) as f64 / c as f64
    );
    let one_client = ceiling(1, 300, false).await;
    println!(
        "  (one conditional PutItem, one at a time: {:.2} ms)",
        1e3 / one_client
    );
    let engine = ceiling(32, 4_000, false).await;
    let indexed = ceiling(32, 4_000, true).await;
    let requests = (after_redeliveries.requests + after_redeliveries.condition_failures
        - start.requests
        - start.condition_failures) as f64
        / secs;
    println!(
        "  the function reached {:.0} % of the engine's ceiling ({rate:.0} records/s against {engine:.0} requests/s); it sent {requests:.0} write requests/s, {:.0} % of the ceiling for items in an index ({indexed:.0}/s)",
        rate * 100.0 / engine,
        requests * 100.0 / indexed
    );
}

/// Peak memory of one 1,333-record invocation: 1,000 new messages and 333 statuses.
async fn memory(dynamodb: bool) {
    let records: Vec<Record> = (0..1_000)
        .map(Record::Message)
        .chain((0..333).map(Record::Status))
        .collect();
    let store: Arc<dyn Store> = if dynamodb {
        if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
            println!("memory (dynamodb): skipped (set AWS_ENDPOINT_URL_DYNAMODB)");
            return;
        }
        let client = whatsapp_lambda::store::dynamodb_client().await;
        let table = format!("bench-memory-{}", std::process::id());
        schema::create_table(&client, &table)
            .await
            .expect("create table");
        Arc::new(DynamoStore::new(client, table))
    } else {
        Arc::new(EmbeddedStore::in_memory())
    };
    let ctx = handlers::Ctx::new(store.clone(), settings());
    let before = peak_rss_kib();
    let (count, secs) = deliver(&ctx, &records, records.len()).await;
    println!(
        "memory ({}): one invocation of {count} records (1,000 new messages, 333 statuses) in {secs:.2}s; peak memory (VmHWM) {:.1} MiB (before the invocation {:.1} MiB)",
        store.describe(),
        peak_rss_kib() as f64 / 1024.0,
        before as f64 / 1024.0,
    );
}

/// The engine's own ceiling, measured with the same SDK client the function uses: `n`
/// conditional `PutItem`s of small items (the kind of request the inbound path sends) from
/// `clients` concurrent tasks; with `indexed`, each item is also in `gsi-conversation`, as a
/// message is. Returns requests/s.
async fn ceiling(clients: usize, n: usize, indexed: bool) -> f64 {
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
        println!("ceiling: skipped (set AWS_ENDPOINT_URL_DYNAMODB)");
        return f64::NAN;
    }
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = whatsapp_lambda::store::dynamodb_client().await;
    let table = format!("ceiling-{}-{clients}-{indexed}", std::process::id());
    schema::create_table(&client, &table)
        .await
        .expect("create table");
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, table, next) = (client.clone(), table.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let mut put = client
                    .put_item()
                    .table_name(&table)
                    .item("pk", AttributeValue::S(format!("CEILING#{i}")))
                    .item("text", AttributeValue::S("x".repeat(300)));
                if indexed {
                    put = put
                        .item(
                            "conversationPk",
                            AttributeValue::S(format!("CONV#{}", i % CONVERSATIONS)),
                        )
                        .item(
                            "receivedAt",
                            AttributeValue::S(format!("2026-11-20T{i:08}")),
                        );
                }
                put.condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await
                    .expect("put");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    if clients > 1 {
        println!(
            "dynamodb-local ceiling: {n} conditional PutItems{} from {clients} concurrent tasks = {rate:.0} requests/s",
            if indexed {
                " of items in gsi-conversation"
            } else {
                ""
            }
        );
    }
    rate
}
