//! get_analytics against figures computed independently, in this test, from the same seeded
//! data: messages delivered twice, statuses shuffled and duplicated, on both stores.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use handlers::store::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

fn day(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

fn customer(i: usize) -> String {
    format!("1650555100{i}")
}

/// Delivers one messages change twice (a redelivery under another SNS id).
async fn twice(ctx: &handlers::Ctx, id: &str, who: &str, messages: Value, statuses: Value) {
    let body = envelope(messages_change(who, messages, statuses));
    for n in 0..2 {
        let sns = format!("{id}-{n}");
        intake::handle(ctx, sns_event(&[(sns.as_str(), body.clone())]))
            .await
            .unwrap();
    }
}

/// The statuses one send gets, and their pricing (category, billable).
type Planned = (&'static [&'static str], Option<(&'static str, bool)>);

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).max(1);
    Some(sorted[rank - 1])
}

#[tokio::test]
async fn analytics_equal_counts_computed_from_the_seeded_data() {
    for store in [
        embedded_store() as Arc<dyn Store>,
        dynamo_store().await as Arc<dyn Store>,
    ] {
        seeded_and_checked(store).await;
    }
}

async fn seeded_and_checked(store: Arc<dyn Store>) {
    let ctx = ctx(store.clone());
    let t0 = now_secs() - 600;
    let mut inbound_by_type: BTreeMap<String, i64> = BTreeMap::new();
    let mut active: BTreeSet<(String, String)> = BTreeSet::new();
    let mut first_inbound: BTreeMap<String, i64> = BTreeMap::new();
    // GIVEN five customers writing (customer i sends i + 1 texts, even ones a location too),
    // every message delivered twice
    for i in 0..5 {
        let who = customer(i);
        for k in 0..=i {
            let ts = t0 + (i * 20 + k * 3) as i64;
            let msg = text_message(&format!("wamid.IN{i}{k}"), &who, ts, "hello");
            twice(&ctx, &format!("in{i}{k}"), &who, json!([msg]), json!([])).await;
            *inbound_by_type.entry("text".into()).or_default() += 1;
            active.insert((who.clone(), day(ts)));
            first_inbound.entry(who.clone()).or_insert(ts);
        }
        if i % 2 == 0 {
            let ts = t0 + 200 + i as i64;
            let loc = json!({"from": who, "id": format!("wamid.LOC{i}"), "timestamp": ts.to_string(),
                             "type": "location", "location": {"latitude": 48.85, "longitude": 2.35}});
            twice(&ctx, &format!("loc{i}"), &who, json!([loc]), json!([])).await;
            *inbound_by_type.entry("location".into()).or_default() += 1;
            active.insert((who.clone(), day(ts)));
        }
    }
    // AND the business answering customers 0 to 3 (twice for customer 0: only the first
    // reply measures a response)
    let mut sent = Vec::new();
    let mut response_secs = Vec::new();
    for (n, i) in [0usize, 0, 1, 2, 3].into_iter().enumerate() {
        let who = customer(i);
        let answer = action(
            &ctx,
            json!({"action": "send_text", "to": who, "text": format!("thanks ({n})")}),
        )
        .await;
        assert_eq!(answer["statusCode"], 200, "{answer}");
        let wamid = answer["data"]["waMessageId"].as_str().unwrap().to_string();
        let stored = store.get_message(&wamid).await.unwrap().unwrap();
        let at = handlers::time::parse_iso(&stored.received_at)
            .unwrap()
            .timestamp();
        active.insert((who.clone(), day(at)));
        if let Some(first) = first_inbound.remove(&who) {
            response_secs.push(at - first);
        }
        sent.push((i, wamid));
    }
    // AND their statuses, each twice, newest first (out of order), with Meta's pricing
    let plan: [Planned; 5] = [
        (&["sent", "delivered", "read"], Some(("service", false))),
        (&["sent"], None),
        (&["sent", "delivered"], Some(("utility", true))),
        (&["read"], Some(("marketing", true))),
        (&["failed"], None),
    ];
    let ts = now_secs();
    let mut reached: BTreeMap<String, i64> = BTreeMap::new();
    let mut billable: BTreeMap<String, i64> = BTreeMap::new();
    let order = ["sent", "delivered", "read"];
    for ((i, wamid), (statuses, pricing)) in sent.iter().zip(plan) {
        let who = customer(*i);
        let mut list: Vec<Value> = statuses
            .iter()
            .enumerate()
            .map(|(n, s)| {
                let mut st = json!({"id": wamid, "status": s, "timestamp": (ts + n as i64).to_string(), "recipient_id": who});
                if let Some((category, bill)) = pricing {
                    st["pricing"] = json!({"billable": bill, "pricing_model": "PMP", "category": category, "type": "regular"});
                }
                if *s == "failed" {
                    st["errors"] = json!([{"code": 131049, "title": "This message was not delivered to maintain healthy ecosystem engagement."}]);
                }
                st
            })
            .collect();
        list.reverse();
        twice(
            &ctx,
            &format!("st-{wamid}"),
            &who,
            json!([]),
            Value::Array(list),
        )
        .await;
        // independently: the highest status reached implies the ones before it
        let last = *statuses.last().unwrap();
        if last == "failed" {
            *reached.entry("failed".into()).or_default() += 1;
        } else {
            let top = order.iter().position(|s| *s == last).unwrap();
            for s in &order[..=top] {
                *reached.entry((*s).into()).or_default() += 1;
            }
        }
        if let Some((category, true)) = pricing {
            *billable.entry(category.into()).or_default() += 1;
        }
    }

    // WHEN the analytics of the days around are read
    let (from, to) = (day(t0 - 86_400), day(now_secs() + 86_400));
    let answer = action(
        &ctx,
        json!({"action": "get_analytics", "from": from, "to": to}),
    )
    .await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let data = &answer["data"];
    let totals = &data["totals"];

    // THEN every figure equals the independent count
    let inbound_total: i64 = inbound_by_type.values().sum();
    assert_eq!(totals["inbound"]["total"], inbound_total, "{data}");
    assert_eq!(totals["inbound"]["byType"], json!(inbound_by_type));
    assert_eq!(totals["outbound"]["total"], sent.len() as i64);
    assert_eq!(totals["outbound"]["byType"], json!({"text": sent.len()}));
    assert_eq!(totals["statuses"], json!(reached));
    assert_eq!(totals["failuresByCode"], json!({"131049": 1}));
    assert_eq!(totals["billableByCategory"], json!(billable));
    assert_eq!(totals["billable"], billable.values().sum::<i64>());
    assert_eq!(totals["activeConversations"], active.len() as i64);
    assert_eq!(totals["newConversations"], 5);
    let rate = |a: &str, b: &str| {
        let (a, b) = (reached[a] as f64, reached[b] as f64);
        (a / b * 10_000.0).round() / 10_000.0
    };
    assert_eq!(data["deliveryRate"], rate("delivered", "sent"));
    assert_eq!(data["readRate"], rate("read", "delivered"));
    response_secs.sort_unstable();
    assert_eq!(data["firstResponse"]["count"], response_secs.len() as i64);
    assert_eq!(
        data["firstResponse"]["medianSeconds"],
        json!(percentile(&response_secs, 0.5))
    );
    assert_eq!(
        data["firstResponse"]["p90Seconds"],
        json!(percentile(&response_secs, 0.9))
    );
    // the days add up to the totals
    let days = data["days"].as_array().unwrap();
    let day_sum = |f: &dyn Fn(&Value) -> i64| days.iter().map(f).sum::<i64>();
    assert_eq!(
        day_sum(&|d| d["inbound"]["total"].as_i64().unwrap()),
        inbound_total
    );
    assert_eq!(
        day_sum(&|d| d["activeConversations"].as_i64().unwrap()),
        active.len() as i64
    );

    // a range that is too long, or backwards, is refused naming the field
    let long = action(
        &ctx,
        json!({"action": "get_analytics", "from": "2026-01-01", "to": "2026-12-31"}),
    )
    .await;
    assert_eq!(long["statusCode"], 400, "{long}");
    let back = action(
        &ctx,
        json!({"action": "get_analytics", "from": "2026-02-01", "to": "2026-01-31"}),
    )
    .await;
    assert_eq!(
        back["error"],
        "invalid parameter `from`: must not be after `to`"
    );
}
