//! Campaign benchmark (not a test: it measures, it asserts nothing).
//!
//! `cargo bench --bench campaigns` creates a campaign of `BENCH_RECIPIENTS` recipients (default
//! 2,000) and drives it to completion through the real worker (`campaigns::worker::run`, what
//! the SQS work intake calls), with pacing off, against a local EUM Social stand-in (an HTTP
//! server answering `SendWhatsAppMessage` through the real SDK) and prints, per store:
//! - campaign sends per second the function sustains (the run phase only);
//! - write requests per recipient (creation and sends apart) and, for DynamoDB, write units per
//!   recipient, from the `ConsumedCapacity` of every write.
//!
//! DynamoDB Local runs when `AWS_ENDPOINT_URL_DYNAMODB` is set. `BENCH_STORE=embedded|dynamodb`
//! runs one store only.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use handlers::Ctx;
use handlers::campaigns::{CampaignSettings, Runtime, worker};
use handlers::ports::work_queue::ListQueue;
use handlers::store::Store;
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::json;
use whatsapp_lambda::eum::EumSender;
use whatsapp_lambda::store::{DynamoStore, EmbeddedStore, schema};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";

/// A stand-in for EUM Social that accepts every send.
async fn standin() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let n = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let n = n.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let id = n.fetch_add(1, Ordering::Relaxed);
                    async move {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(
                            json!({"messageId": format!("wamid.BENCH{id:08}")}).to_string(),
                        ))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

async fn eum_client(url: &str) -> aws_sdk_socialmessaging::Client {
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    aws_sdk_socialmessaging::Client::from_conf(
        aws_sdk_socialmessaging::config::Builder::from(&shared)
            .endpoint_url(url)
            .build(),
    )
}

async fn run(
    label: &str,
    store: Arc<dyn Store>,
    dynamo: Option<Arc<DynamoStore>>,
    n: usize,
    url: &str,
) {
    let now = handlers::time::now_iso();
    let mut template = handlers::templates::cache::blank(WABA, "bench_offer", "en_US", &now);
    template.status = "APPROVED".into();
    template.components = Some(json!([{"type": "BODY", "text": "Hello {{1}}"}]));
    handlers::templates::cache::put(store.as_ref(), &template)
        .await
        .unwrap();
    let settings = handlers::Settings {
        default_phone_number_id: Some(PHONE.into()),
        origination_phone_number_id: Some("phone-number-id-bench".into()),
        ..Default::default()
    };
    let sender = Arc::new(EumSender::new(eum_client(url).await, "v24.0", None));
    let media = Arc::new(handlers::sandbox::MemoryMedia::default());
    let queue = Arc::new(ListQueue::default());
    let ctx = Ctx::with(store.clone(), sender, media, settings).with_campaigns(Runtime {
        queue: queue.clone(),
        clock: Arc::new(whatsapp_lambda::work_queue::WallClock),
        settings: CampaignSettings {
            rate: 0,
            ..Default::default()
        },
    });
    let recipients: Vec<_> = (0..n)
        .map(|i| json!({"to": format!("1555{i:07}"), "body": [format!("C{i}")]}))
        .collect();
    let counts = || dynamo.as_ref().map(|d| d.write_counts());
    let c0 = counts();
    let created = Instant::now();
    let answer = handlers::REGISTRY
        .dispatch(ctx.clone(), json!({"action": "create_campaign", "campaignId": "bench", "template": "bench_offer", "recipients": recipients}))
        .await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let create_secs = created.elapsed().as_secs_f64();
    let c1 = counts();
    handlers::REGISTRY
        .dispatch(
            ctx.clone(),
            json!({"action": "start_campaign", "campaignId": "bench"}),
        )
        .await;
    let started = Instant::now();
    let mut invocations = 0;
    loop {
        let items = queue.drain();
        if items.is_empty() {
            break;
        }
        for (item, _) in items {
            invocations += 1;
            worker::run(&ctx, &item, None).await.expect("run");
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let c2 = counts();
    let stats = handlers::REGISTRY
        .dispatch(
            ctx.clone(),
            json!({"action": "get_campaign_stats", "campaignId": "bench"}),
        )
        .await;
    let sent = stats["data"]["sent"].as_f64().unwrap_or(0.0);
    println!(
        "{label}: {n} recipients created in {create_secs:.1} s ({:.0}/s); sent {sent} in {secs:.1} s over {invocations} invocation(s): {:.0} sends/s",
        n as f64 / create_secs,
        sent / secs
    );
    if let (Some(c0), Some(c1), Some(c2)) = (c0, c1, c2) {
        let per = |a: u64, b: u64| (b - a) as f64 / n as f64;
        println!(
            "{label}: write requests per recipient: creation {:.2}, sending {:.2}; write units per recipient: creation {:.2}, sending {:.2} (condition failures {})",
            per(c0.requests, c1.requests),
            per(c1.requests, c2.requests),
            (c1.total_units() - c0.total_units()) / n as f64,
            (c2.total_units() - c1.total_units()) / n as f64,
            c2.condition_failures - c0.condition_failures,
        );
    }
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_RECIPIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let only = std::env::var("BENCH_STORE").ok();
    let url = standin().await;
    if only.as_deref().is_none_or(|s| s == "embedded") {
        run(
            "embedded (in memory)",
            Arc::new(EmbeddedStore::in_memory()),
            None,
            n,
            &url,
        )
        .await;
    }
    if only.as_deref().is_none_or(|s| s == "dynamodb") {
        if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
            println!("dynamodb-local: skipped (set AWS_ENDPOINT_URL_DYNAMODB)");
            return;
        }
        let client = whatsapp_lambda::store::dynamodb_client().await;
        let table = format!("bench-campaigns-{}", std::process::id());
        schema::create_table(&client, &table)
            .await
            .expect("create table");
        let store = Arc::new(DynamoStore::new(client, table));
        run("dynamodb-local", store.clone(), Some(store), n, &url).await;
    }
}
