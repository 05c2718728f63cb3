//! Inbound throughput benchmark (not a test: it measures, it does not assert).
//!
//! `cargo bench --bench inbound` processes synthetic EUM Social SNS events (text messages over
//! many conversations, 10% redelivered) through the real intake path and prints, per store:
//! records per second, write requests and item writes per inbound message, and the process's
//! peak memory. The DynamoDB Local run happens when `AWS_ENDPOINT_URL_DYNAMODB` is set (as
//! `tests/run.sh` sets it; or start DynamoDB Local yourself).
//!
//! The embedded store runs twice: in memory (`EmbeddedStore::in_memory()`) and on disk under a
//! fresh data directory (`EmbeddedStore::open`, as `serve` and `invoke` use it). Events are
//! built one at a time and only the `intake::handle` calls are timed, so the peak memory is the
//! store's and the function's, not the benchmark's own event list.
//!
//! Options (environment): `BENCH_RECORDS` (default 20000 embedded, 2000 DynamoDB);
//! `BENCH_CONCURRENCY` (default 1): records delivered at once, each by its own tokio task over
//! the same `Ctx` (as an invocation's records processed concurrently), to show the embedded
//! store's group commit. Above 1, events are built 1 000 at a time before each timed batch, and
//! the time is the batch's wall-clock time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use handlers::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;
use whatsapp_lambda::store::{DynamoStore, EmbeddedStore, schema};

const PHONE: &str = "106540352242922";

fn event(i: usize) -> Value {
    let customer = format!("1650555{:04}", i % 500);
    let entry = json!({"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": customer}],
        "messages": [{"from": customer, "id": format!("wamid.BENCH{i:08}"), "timestamp": (1_763_632_800 + i).to_string(),
                      "type": "text", "text": {"body": "Hello, is my order on its way?"}}]
    }}]});
    let message = json!({"context": {"MetaWabaIds": [{"wabaId": "102290129340398", "arn": "arn:aws:social-messaging:us-east-1:1:waba/x"}],
        "MetaPhoneNumberIds": [{"metaPhoneNumberId": PHONE, "arn": "arn:aws:social-messaging:us-east-1:1:phone-number-id/y"}]},
        "whatsAppWebhookEntry": entry.to_string(), "aws_account_id": "1", "message_timestamp": "2026-11-20T10:00:00Z"});
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:1:t:s",
        "Sns": {"Type": "Notification", "MessageId": format!("sns-{i}"), "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": message.to_string(),
                "Timestamp": "2026-11-20T10:00:00.000Z", "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x",
                "MessageAttributes": {}}}]})
}

/// Records to deliver, by message number: every message once, and every tenth one a second time.
fn deliveries(n: usize) -> impl Iterator<Item = usize> {
    (0..n).chain((0..n).step_by(10))
}

/// Delivers the records of `numbers`, [`concurrency`] at a time; returns how many and the time
/// spent delivering (not building the events).
async fn deliver(ctx: &handlers::Ctx, numbers: impl Iterator<Item = usize>) -> (usize, f64) {
    let concurrency = concurrency();
    let mut count = 0;
    let mut spent = Duration::ZERO;
    if concurrency == 1 {
        for i in numbers {
            let e = event(i);
            let started = Instant::now();
            intake::handle(ctx, e)
                .await
                .expect("the store does not fail");
            spent += started.elapsed();
            count += 1;
        }
        return (count, spent.as_secs_f64());
    }
    let mut numbers = numbers.peekable();
    while numbers.peek().is_some() {
        let batch: VecDeque<Value> = numbers.by_ref().take(1000).map(event).collect();
        count += batch.len();
        let batch = Arc::new(Mutex::new(batch));
        let started = Instant::now();
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (ctx, batch) = (ctx.clone(), batch.clone());
                tokio::spawn(async move {
                    loop {
                        let Some(e) = batch.lock().unwrap().pop_front() else {
                            break;
                        };
                        intake::handle(&ctx, e)
                            .await
                            .expect("the store does not fail");
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.expect("a delivery task panicked");
        }
        spent += started.elapsed();
    }
    (count, spent.as_secs_f64())
}

fn concurrency() -> usize {
    std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1usize)
        .max(1)
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

fn records(default: usize) -> usize {
    std::env::var("BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    whatsapp_lambda::metrics::init(whatsapp_lambda::metrics::Sink::Off);
    // Each store runs in a process of its own so that its peak memory is its own.
    match std::env::var("BENCH_STORE").as_deref() {
        Ok("embedded") => embedded(false).await,
        Ok("embedded-file") => embedded(true).await,
        Ok("dynamodb") => dynamodb().await,
        _ => {
            println!("whatsapp-lambda inbound benchmark");
            let exe = std::env::current_exe().expect("own path");
            for store in ["embedded", "embedded-file", "dynamodb"] {
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
    let n = records(20_000);
    let dir = std::env::temp_dir().join(format!("wl-bench-{}", std::process::id()));
    let store = Arc::new(if on_disk {
        EmbeddedStore::open(&dir).expect("open the data directory")
    } else {
        EmbeddedStore::in_memory()
    });
    let ctx = handlers::Ctx::new(store.clone(), Default::default());
    let (count, secs) = deliver(&ctx, deliveries(n)).await;
    // Writes per message exclude the one audit write per record, reported separately.
    let writes = store.item_writes() - count as u64;
    let commits = store.commit_counts();
    println!(
        "{}: {count} records ({n} new messages, {} at a time) in {secs:.2}s = {:.0} records/s; {:.2} item writes per new message (+1 audit write per record)",
        store.describe(),
        concurrency(),
        count as f64 / secs,
        writes as f64 / n as f64
    );
    println!(
        "  {} write calls in {} transactions: {:.2} transactions per write call",
        commits.calls,
        commits.transactions,
        commits.transactions as f64 / commits.calls.max(1) as f64
    );
    let on_disk_bytes: u64 = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!(
        "  peak memory (VmHWM): {} MiB; files in the data directory: {} MiB",
        peak_rss_kib() / 1024,
        on_disk_bytes / (1024 * 1024)
    );
    drop(ctx);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

async fn dynamodb() {
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
        println!(
            "dynamodb-local: skipped (set AWS_ENDPOINT_URL_DYNAMODB, e.g. run under tests/run.sh)"
        );
        return;
    }
    let n = records(2_000);
    let client = whatsapp_lambda::store::dynamodb_client().await;
    let table = format!("bench-{}", std::process::id());
    schema::create_table(&client, &table)
        .await
        .expect("create table");
    let store = Arc::new(DynamoStore::new(client, table));
    let ctx = handlers::Ctx::new(store.clone(), Default::default());
    let (firsts_count, firsts_secs) = deliver(&ctx, 0..n).await;
    let firsts = store.write_counts();
    let (dups_count, dups_secs) = deliver(&ctx, (0..n).step_by(10)).await;
    let secs = firsts_secs + dups_secs;
    let all = store.write_counts();
    let count = firsts_count + dups_count;
    let dups = dups_count as u64;
    println!(
        "dynamodb-local: {count} records ({n} new messages, {dups} redeliveries) in {secs:.2}s = {:.0} records/s ({} at a time)",
        count as f64 / secs,
        concurrency(),
    );
    println!(
        "  per new message: {:.2} write requests carrying {:.2} item writes, plus 1 audit PutItem per record",
        (firsts.requests - n as u64) as f64 / n as f64,
        (firsts.item_writes - n as u64) as f64 / n as f64,
    );
    println!(
        "  per redelivery: {:.2} write requests (a transaction cancelled by its condition, nothing written) plus the audit PutItem",
        (all.requests - firsts.requests - dups) as f64 / dups as f64,
    );
    println!("  peak memory: {} MiB", peak_rss_kib() / 1024);
}
