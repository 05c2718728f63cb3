//! Campaigns against DynamoDB Local and the EUM stand-in (the real SDK): exactly once per
//! recipient across invocations with failures injected, exact counters under shuffled and
//! duplicated webhooks, and pacing checked on the stand-in's request times (a driven clock: no
//! test sleeps or depends on timing).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use handlers::Ctx;
use handlers::campaigns::pace::{Clock, ManualClock, busiest_second};
use handlers::campaigns::{CampaignSettings, Runtime, worker};
use handlers::ports::work_queue::ListQueue;
use handlers::store::{Store, StoreError};
use serde_json::{Value, json};
use whatsapp_lambda::eum::EumSender;

use crate::doubles::{HookedStore, Hooks};
use crate::helpers::*;
use crate::standin::{self, StandIn};

/// Fails the `n`-th write of recipient `pk` (its claim is the first, its outcome the second).
#[derive(Default)]
struct FailOnce {
    target: Mutex<Option<(String, u32)>>,
    seen: AtomicU32,
}

impl Hooks for FailOnce {
    fn write(&self, method: &'static str, pks: &[&str]) -> Result<(), StoreError> {
        let mut target = self.target.lock().unwrap();
        if let Some((pk, n)) = target.as_ref()
            && method == "transition"
            && pks.first() == Some(&pk.as_str())
            && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == *n
        {
            *target = None;
            return Err(StoreError::Unavailable {
                operation: "transition",
                source: "injected: the process died after EUM accepted the send".into(),
            });
        }
        Ok(())
    }
}

struct Rig {
    ctx: Ctx,
    standin: StandIn,
    queue: Arc<ListQueue>,
    clock: Arc<ManualClock>,
}

async fn rig(store: Arc<dyn Store>, rate: u32, budget_secs: i64) -> Rig {
    let standin = StandIn::start(None).await;
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let stamp = clock.clone();
    standin.use_clock(Arc::new(move || stamp.now_ms()));
    let sender = Arc::new(EumSender::new(standin.client(1).await, "v24.0", None));
    let media = Arc::new(handlers::sandbox::MemoryMedia::default());
    seed_template(store.as_ref(), "spring_sale", "en_US", 1).await;
    let queue = Arc::new(ListQueue::default());
    let ctx = Ctx::with(store.clone(), sender, media, settings()).with_campaigns(Runtime {
        queue: queue.clone(),
        clock: clock.clone(),
        settings: CampaignSettings {
            rate,
            concurrency: 16,
            time_budget_ms: budget_secs * 1000,
            batch: 100,
            reply_window_hours: 24,
        },
    });
    Rig {
        ctx,
        standin,
        queue,
        clock,
    }
}

fn phone(i: usize) -> String {
    format!("1555{:07}", i)
}

/// Drives the queue like SQS and Lambda would: each work item is one invocation; a failed one
/// is delivered again after the visibility timeout (the clock moves past every lease). Returns
/// the invocations.
async fn drive(rig: &Rig) -> usize {
    let mut invocations = 0;
    for _ in 0..500 {
        let items = rig.queue.drain();
        if items.is_empty() {
            return invocations;
        }
        for (item, delay) in items {
            rig.clock.advance(i64::from(delay) * 1000);
            invocations += 1;
            if worker::run(&rig.ctx, &item, None).await.is_err() {
                rig.clock.advance(10 * 60_000);
                rig.ctx.campaigns().queue.enqueue(&item, 0).await.unwrap();
            }
        }
    }
    panic!("the campaign never finished");
}

fn sends(standin: &StandIn) -> Vec<standin::Seen> {
    standin
        .seen()
        .into_iter()
        .filter(|s| s.path == "/v1/whatsapp/send")
        .collect()
}

#[tokio::test]
async fn ten_thousand_recipients_each_sent_exactly_once_across_invocations() {
    let started = std::time::Instant::now();
    let hooks = FailOnce::default();
    let recipients: Vec<Value> = (0..10_000)
        .map(|i| json!({"to": phone(i), "body": [format!("Customer {i}")]}))
        .collect();
    // a duplicate, and a customer who opted out of marketing
    let mut audience = recipients.clone();
    audience.push(json!(format!("+{}", phone(7))));
    let inner: Arc<dyn Store> = dynamo_store().await;
    inner
        .put_record(&json!({"pk": "CUSTOMER#15559999999", "marketingOptOut": true}))
        .await
        .unwrap();
    audience.push(json!("15559999999"));
    *hooks.target.lock().unwrap() = Some(("CAMPAIGN#big#R#0004321".into(), 2));
    let store: Arc<dyn Store> = Arc::new(HookedStore::new(inner, hooks));
    let rig = rig(store, 80, 30).await;
    let created = action(
        &rig.ctx,
        json!({"action": "create_campaign", "campaignId": "big", "template": "spring_sale", "recipients": audience}),
    )
    .await;
    assert_eq!(created["statusCode"], 200, "{created}");
    assert_eq!(created["data"]["recipients"], 10_000);
    assert_eq!(created["data"]["duplicates"], 1);
    assert_eq!(created["data"]["skippedOptedOut"], 1);
    let created_in = started.elapsed();
    let answer = action(
        &rig.ctx,
        json!({"action": "start_campaign", "campaignId": "big"}),
    )
    .await;
    assert_eq!(answer["data"]["state"], "running", "{answer}");
    // EUM throttles and fails a few sends mid-run
    let invocations = {
        // first invocation alone, then inject EUM failures, then the rest
        let items = rig.queue.drain();
        for (item, _) in items {
            worker::run(&rig.ctx, &item, None).await.unwrap();
        }
        rig.standin.fail_next(&[
            standin::THROTTLED,
            standin::THROTTLED,
            standin::INTERNAL,
            standin::THROTTLED,
        ]);
        1 + drive(&rig).await
    };
    eprintln!(
        "10,000 recipients: created in {:.1?}, sent in {invocations} invocations, {:.1?} in all",
        created_in,
        started.elapsed()
    );
    let stats = action(
        &rig.ctx,
        json!({"action": "get_campaign_stats", "campaignId": "big"}),
    )
    .await;
    assert_eq!(stats["statusCode"], 200, "{stats}");
    let seen = sends(&rig.standin);
    let mut per_customer: HashMap<String, usize> = HashMap::new();
    for s in &seen {
        *per_customer
            .entry(s.message()["to"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    // every customer got one accepted send: the throttled and failed requests reached nobody
    let failed_requests = 4;
    for i in 0..10_000 {
        let n = per_customer.get(&phone(i)).copied().unwrap_or(0);
        assert!(n >= 1, "customer {i} was never sent to");
    }
    assert_eq!(
        seen.len(),
        10_000 + failed_requests,
        "one accepted send per recipient, plus the 4 refused requests"
    );
    assert!(!per_customer.contains_key("15559999999"));
    assert_eq!(stats["data"]["sent"], 10_000, "{stats}");
    assert_eq!(stats["data"]["failed"], 0, "{stats}");
    assert_eq!(stats["data"]["remaining"], 0, "{stats}");
    let campaign = action(
        &rig.ctx,
        json!({"action": "get_campaign", "campaignId": "big"}),
    )
    .await;
    assert_eq!(
        campaign["data"]["campaign"]["state"], "completed",
        "{campaign}"
    );
    assert!(invocations >= 4, "{invocations} invocations");
    // pacing: no second of the stand-in's clock holds more than 80 requests
    let times: Vec<i64> = seen.iter().map(|s| s.at_ms).collect();
    assert!(
        busiest_second(&times) <= 80,
        "{} in one second",
        busiest_second(&times)
    );
    let span = times.iter().max().unwrap() - times.iter().min().unwrap();
    assert!(
        span >= 124_000,
        "10,000 sends at 80/s take at least 125 s of the clock: {span} ms"
    );
}

/// A status webhook as EUM publishes it, for a message sent with `biz` data.
fn status_event(
    wamid: &str,
    to: &str,
    status: &str,
    at: i64,
    biz: &str,
    code: Option<i64>,
) -> String {
    let mut s = json!({"id": wamid, "status": status, "timestamp": at.to_string(), "recipient_id": to, "biz_opaque_callback_data": biz});
    if let Some(code) = code {
        s["errors"] = json!([{"code": code, "title": format!("error {code}")}]);
    }
    envelope(messages_change(to, json!([]), json!([s])))
}

#[tokio::test]
async fn counters_are_exact_after_shuffled_and_duplicated_webhooks() {
    let store: Arc<dyn Store> = dynamo_store().await;
    let rig = rig(store.clone(), 0, 60).await;
    let n = 120;
    let recipients: Vec<Value> = (0..n).map(|i| json!(phone(i))).collect();
    let created = action(
        &rig.ctx,
        json!({"action": "create_campaign", "campaignId": "count", "template": "spring_sale", "body": ["friend"], "recipients": recipients}),
    )
    .await;
    assert_eq!(created["statusCode"], 200, "{created}");
    action(
        &rig.ctx,
        json!({"action": "start_campaign", "campaignId": "count"}),
    )
    .await;
    drive(&rig).await;
    // what was sent: biz data per customer from the stand-in, wamid per customer from the store
    let biz: HashMap<String, String> = sends(&rig.standin)
        .iter()
        .map(|s| {
            let m = s.message();
            (
                m["to"].as_str().unwrap().to_string(),
                m["biz_opaque_callback_data"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut wamids = HashMap::new();
    let mut token = None;
    loop {
        let page = action(&rig.ctx, json!({"action": "list_campaign_recipients", "campaignId": "count", "state": "sent", "limit": 100, "nextToken": token})).await;
        for r in page["data"]["recipients"].as_array().unwrap() {
            wamids.insert(
                r["to"].as_str().unwrap().to_string(),
                r["waMessageId"].as_str().unwrap().to_string(),
            );
        }
        token = page["data"]["nextToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(wamids.len(), n);
    // each recipient's fate, decided independently of the code under test
    let t0 = handlers::time::parse_iso(&handlers::time::now_iso())
        .unwrap()
        .timestamp();
    let mut events: Vec<(String, String)> = Vec::new();
    let mut expected: BTreeMap<&str, i64> = BTreeMap::new();
    for i in 0..n {
        let to = phone(i);
        let (wamid, data) = (&wamids[&to], &biz[&to]);
        let mut push = |status: &str, dt: i64, code: Option<i64>| {
            events.push((
                format!("sns-{i}-{status}"),
                status_event(wamid, &to, status, t0 + dt, data, code),
            ));
        };
        match i % 6 {
            0 => {
                push("sent", 1, None);
                push("delivered", 2, None);
                push("read", 3, None);
                *expected.entry("read").or_default() += 1;
                *expected.entry("delivered").or_default() += 1;
            }
            1 => {
                push("sent", 1, None);
                push("delivered", 2, None);
                *expected.entry("delivered").or_default() += 1;
            }
            2 => {
                push("read", 3, None);
                *expected.entry("read").or_default() += 1;
                *expected.entry("delivered").or_default() += 1;
            }
            3 => {
                push("failed", 2, Some(131049));
                *expected.entry("failed").or_default() += 1;
                *expected.entry("failed_131049").or_default() += 1;
            }
            4 => {
                push("failed", 2, Some(131026));
                *expected.entry("failed").or_default() += 1;
                *expected.entry("failed_131026").or_default() += 1;
            }
            _ => {
                push("sent", 1, None);
            }
        }
        if i % 4 == 0 && i % 6 != 3 && i % 6 != 4 {
            // a reply within the window
            let id = format!("wamid.reply{i}");
            events.push((
                format!("sns-reply-{i}"),
                envelope(messages_change(
                    &to,
                    json!([text_message(&id, &to, t0 + 60, "yes please")]),
                    json!([]),
                )),
            ));
            *expected.entry("replied").or_default() += 1;
        }
    }
    // every webhook twice, in a shuffled order, delivered concurrently in batches
    let mut all: Vec<(String, String)> = events
        .iter()
        .cloned()
        .chain(events.iter().cloned())
        .collect();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..all.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        all.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    for chunk in all.chunks(10) {
        let records: Vec<(&str, String)> = chunk
            .iter()
            .map(|(id, body)| (id.as_str(), body.clone()))
            .collect();
        let answer = whatsapp_lambda::intake::handle(&rig.ctx, sns_event(&records))
            .await
            .unwrap();
        assert_eq!(answer["statusCode"], 200, "{answer}");
    }
    let stats = action(
        &rig.ctx,
        json!({"action": "get_campaign_stats", "campaignId": "count"}),
    )
    .await["data"]
        .clone();
    assert_eq!(stats["sent"], n as i64, "{stats}");
    for (counter, want) in &expected {
        let got = if let Some(code) = counter.strip_prefix("failed_") {
            &stats["failuresByCode"][code]
        } else {
            &stats[*counter]
        };
        assert_eq!(got, &json!(want), "{counter}: {stats}");
    }
    assert_eq!(stats["remaining"], 0, "{stats}");
    let funnel = action(
        &rig.ctx,
        json!({"action": "get_funnel", "campaignId": "count"}),
    )
    .await;
    assert_eq!(
        funnel["data"]["stages"][3]["count"],
        json!(expected["replied"]),
        "{funnel}"
    );
}

#[tokio::test]
async fn a_crash_after_eum_accepted_is_reconciled_from_the_status_webhook() {
    let store: Arc<dyn Store> = embedded_store();
    let rig = rig(store.clone(), 0, 60).await;
    action(&rig.ctx, json!({"action": "create_campaign", "campaignId": "crash", "template": "spring_sale", "body": ["x"], "recipients": [phone(1)]})).await;
    action(
        &rig.ctx,
        json!({"action": "start_campaign", "campaignId": "crash"}),
    )
    .await;
    // the process dies right after EUM accepted the send: the recipient is `sending`
    let pk = "CAMPAIGN#crash#R#0000000";
    handlers::campaigns::count::apply(
        store.as_ref(),
        pk,
        &handlers::campaigns::count::Event::Claim {
            now_ms: 0,
            lease_until: i64::MAX,
        },
    )
    .await
    .unwrap();
    let key = worker::idempotency_key("crash", 0, 0);
    let biz = format!(
        "wl1:{}:{key}{}",
        key.len(),
        worker::callback_data("crash", 0)
    );
    let event = sns_event(&[(
        "s1",
        status_event(
            "wamid.CRASHED",
            &phone(1),
            "delivered",
            1_800_000_000,
            &biz,
            None,
        ),
    )]);
    whatsapp_lambda::intake::handle(&rig.ctx, event)
        .await
        .unwrap();
    let r = store.get_item(pk).await.unwrap().unwrap();
    assert_eq!(r["state"], "sent", "{r}");
    assert_eq!(r["waMessageId"], "wamid.CRASHED");
    let stats = action(
        &rig.ctx,
        json!({"action": "get_campaign_stats", "campaignId": "crash"}),
    )
    .await["data"]
        .clone();
    assert_eq!(
        (stats["sent"].clone(), stats["delivered"].clone()),
        (json!(1), json!(1)),
        "{stats}"
    );
    // the worker then finds nothing left to send, and sends nothing
    drive(&rig).await;
    assert!(sends(&rig.standin).is_empty());
}

#[tokio::test]
async fn a_template_that_is_not_approved_is_refused() {
    let store: Arc<dyn Store> = embedded_store();
    let rig = rig(store.clone(), 80, 60).await;
    let mut item =
        handlers::templates::cache::blank(WABA, "paused_one", "en_US", &handlers::time::now_iso());
    item.status = "PAUSED".into();
    handlers::templates::cache::put(store.as_ref(), &item)
        .await
        .unwrap();
    let answer = action(
        &rig.ctx,
        json!({"action": "create_campaign", "template": "paused_one", "recipients": [phone(1)]}),
    )
    .await;
    assert_eq!(answer["statusCode"], 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("is PAUSED"),
        "{answer}"
    );
    let listed = action(&rig.ctx, json!({"action": "list_campaigns"})).await;
    assert_eq!(listed["data"]["campaigns"], json!([]));
}
