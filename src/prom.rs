//! Prometheus metrics for `serve` (`GET /metrics`, the text exposition format, through the
//! `prometheus-client` crate). The counters are updated wherever the EMF lines are written, so
//! they count the same events; under Lambda nothing scrapes them and EMF ([`crate::metrics`])
//! stays the source of truth.
//!
//! | Metric | Type | Labels |
//! |---|---|---|
//! | `whatsapp_webhooks_received_total` | counter | `source` (`twilio`, `wix`, …) |
//! | `whatsapp_webhooks_refused_total` | counter | `source`: signature missing or wrong |
//! | `whatsapp_webhooks_queued_total` | counter | `source`: put on the fast-ack queue |
//! | `whatsapp_records_processed_total` | counter | `outcome` (`processed`, `partial`, `failed`) |
//! | `whatsapp_records_failed_total` | counter | retried: the store was unavailable or misconfigured |
//! | `whatsapp_messages_total`, `whatsapp_duplicates_total`, `whatsapp_poison_total` | counter | |
//! | `whatsapp_processing_seconds` | histogram | one record's processing time |
//! | `whatsapp_queue_messages` | gauge | `queue` (`main`, `dlq`), `state` (`visible`, `in_flight`): read at scrape time |

use std::sync::LazyLock;

use handlers::inbound::RecordReport;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

struct Metrics {
    registry: Registry,
    received: Family<Labels, Counter>,
    refused: Family<Labels, Counter>,
    queued: Family<Labels, Counter>,
    processed: Family<Labels, Counter>,
    failed: Counter,
    messages: Counter,
    duplicates: Counter,
    poison: Counter,
    latency: Histogram,
    queue: Family<Labels, Gauge>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("whatsapp");
    let m = Metrics {
        received: Family::default(),
        refused: Family::default(),
        queued: Family::default(),
        processed: Family::default(),
        failed: Counter::default(),
        messages: Counter::default(),
        duplicates: Counter::default(),
        poison: Counter::default(),
        latency: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
        queue: Family::default(),
        registry: Registry::default(),
    };
    registry.register(
        "webhooks_received",
        "Webhook requests received",
        m.received.clone(),
    );
    registry.register(
        "webhooks_refused",
        "Webhook requests refused (signature)",
        m.refused.clone(),
    );
    registry.register(
        "webhooks_queued",
        "Webhooks put on the fast-ack queue",
        m.queued.clone(),
    );
    registry.register(
        "records_processed",
        "Records processed, by outcome",
        m.processed.clone(),
    );
    registry.register(
        "records_failed",
        "Records that failed and will be retried",
        m.failed.clone(),
    );
    registry.register("messages", "New messages stored", m.messages.clone());
    registry.register(
        "duplicates",
        "Messages delivered again (already stored)",
        m.duplicates.clone(),
    );
    registry.register(
        "poison",
        "Poison parts (audited, never retried)",
        m.poison.clone(),
    );
    registry.register(
        "processing_seconds",
        "Processing time of one record",
        m.latency.clone(),
    );
    registry.register(
        "queue_messages",
        "Fast-ack queue and DLQ depth (read at scrape time)",
        m.queue.clone(),
    );
    Metrics { registry, ..m }
});

fn label(name: &str, value: &str) -> Labels {
    vec![(name.to_string(), value.to_string())]
}

pub fn received(source: &str) {
    METRICS
        .received
        .get_or_create(&label("source", source))
        .inc();
}

pub fn refused(source: &str) {
    METRICS
        .refused
        .get_or_create(&label("source", source))
        .inc();
}

pub fn queued(source: &str) {
    METRICS.queued.get_or_create(&label("source", source)).inc();
}

pub fn failed() {
    METRICS.failed.inc();
}

pub fn processed(report: &RecordReport, seconds: f64) {
    let outcome = serde_json::to_value(report.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    METRICS
        .processed
        .get_or_create(&label("outcome", &outcome))
        .inc();
    METRICS.messages.inc_by(u64::from(report.counts.messages));
    METRICS
        .duplicates
        .inc_by(u64::from(report.counts.duplicates));
    METRICS.poison.inc_by(u64::from(report.counts.poison));
    METRICS.latency.observe(seconds);
}

/// The text exposition of every metric, the queue gauges read now from `ctx`'s queue.
pub async fn render(ctx: &handlers::Ctx) -> String {
    match ctx.ingress().queue.stats().await {
        Ok(stats) => {
            let set = |queue: &str, state: &str, value: u64| {
                let labels = vec![
                    ("queue".to_string(), queue.to_string()),
                    ("state".to_string(), state.to_string()),
                ];
                METRICS
                    .queue
                    .get_or_create(&labels)
                    .set(i64::try_from(value).unwrap_or(i64::MAX));
            };
            set("main", "visible", stats.visible);
            set("main", "in_flight", stats.in_flight);
            set("dlq", "visible", stats.dlq_visible);
            set("dlq", "in_flight", stats.dlq_in_flight);
        }
        Err(e) => tracing::warn!(error = %e, "queue depth not read for /metrics"),
    }
    let mut text = String::new();
    if encode(&mut text, &METRICS.registry).is_err() {
        text.clear();
    }
    text
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_exposition_names_every_metric() {
        super::received("twilio");
        let report = handlers::inbound::RecordReport {
            counts: handlers::inbound::Counts {
                messages: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        super::processed(&report, 0.004);
        let ctx = handlers::Ctx::new(
            std::sync::Arc::new(crate::store::EmbeddedStore::in_memory()),
            Default::default(),
        );
        let text = super::render(&ctx).await;
        for name in [
            "whatsapp_webhooks_received_total{source=\"twilio\"}",
            "whatsapp_records_processed_total{outcome=\"processed\"}",
            "whatsapp_messages_total",
            "whatsapp_processing_seconds_bucket",
            "whatsapp_queue_messages{queue=\"dlq\",state=\"visible\"} 0",
        ] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
