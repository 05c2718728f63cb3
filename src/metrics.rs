//! CloudWatch metrics through the Embedded Metric Format: JSON lines in the log stream, no API
//! calls. Under Lambda they go to stdout (as the runtime expects); under `invoke` to
//! stderr, so that stdout stays the response alone; under `serve` at DEBUG level only.

use std::io::Write;
use std::sync::OnceLock;

use handlers::inbound::RecordReport;
use handlers::model::{MessageStatus, RecordOutcome};
use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "WhatsAppLambda";

/// Where metric lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
    /// `serve`: a DEBUG log line each (`RUST_LOG=debug` shows them); the terminal is for
    /// people, the EMF lines are for CloudWatch.
    Debug,
    /// Tests and benchmarks.
    Off,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Chooses the sink once, at start-up (stderr when never called).
pub fn init(sink: Sink) {
    let _ = SINK.set(sink);
}

fn sink() -> Sink {
    *SINK.get().unwrap_or(&Sink::Stderr)
}

/// One EMF line: `metrics` (name, value, unit) under the given dimensions.
pub fn line(dimensions: &[(&str, &str)], metrics: &[(&str, f64, &str)]) -> Value {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut root = Map::new();
    let dimension_names: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimension_names],
                "Metrics": metrics.iter().map(|(name, _, unit)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in dimensions {
        root.insert((*k).into(), json!(v));
    }
    for (name, value, _) in metrics {
        root.insert((*name).into(), json!(value));
    }
    Value::Object(root)
}

fn write(lines: &[Value]) {
    let mut text = String::new();
    for l in lines {
        text.push_str(&l.to_string());
        text.push('\n');
    }
    // A metric that cannot be written is dropped: it must never fail an invocation.
    let _ = match sink() {
        Sink::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
        Sink::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        Sink::Debug => {
            tracing::debug!(target: "metrics", "{}", text.trim_end());
            Ok(())
        }
        Sink::Off => Ok(()),
    };
}

/// The EMF lines of one processed record.
pub fn record_lines(report: &RecordReport, elapsed_ms: f64) -> Vec<Value> {
    let c = &report.counts;
    let mut base = vec![
        ("Records", 1.0, "Count"),
        ("MessagesReceived", f64::from(c.messages), "Count"),
        (
            "DuplicatesSkipped",
            f64::from(c.duplicates + c.stale_statuses),
            "Count",
        ),
        (
            "PoisonRecords",
            if report.outcome == RecordOutcome::Failed {
                1.0
            } else {
                0.0
            },
            "Count",
        ),
        ("PoisonParts", f64::from(c.poison), "Count"),
        ("MediaFetched", f64::from(c.media_fetched), "Count"),
        ("MediaFailed", f64::from(c.media_failed), "Count"),
        ("AutomationsFired", f64::from(c.automations_fired), "Count"),
        (
            "AutomationFailures",
            f64::from(c.automation_failures),
            "Count",
        ),
        (
            "AnalyticsFailures",
            f64::from(c.analytics_failures),
            "Count",
        ),
        ("ProcessingLatency", elapsed_ms, "Milliseconds"),
    ];
    if let Some(lag) = report.lags.iter().copied().reduce(f64::max) {
        base.push(("WebhookLag", lag.max(0.0), "Seconds"));
    }
    // A zero count is left out (no datapoint, which `Sum` reads as 0 and every alarm treats as
    // not breaching): the line of an ordinary record is half the size, and logs are billed
    // by the byte.
    base.retain(|(name, value, unit)| *value != 0.0 || *name == "Records" || *unit != "Count");
    let mut lines = vec![line(&[], &base)];
    let mut by_type: Vec<(&str, u32)> = Vec::new();
    for t in &report.new_types {
        match by_type.iter_mut().find(|(k, _)| k == t) {
            Some((_, n)) => *n += 1,
            None => by_type.push((t, 1)),
        }
    }
    for (t, n) in by_type {
        let per_type = line(
            &[("MessageType", t)],
            &[("MessagesReceived", f64::from(n), "Count")],
        );
        push_or_join(&mut lines, per_type);
    }
    let mut by_status: Vec<(&MessageStatus, u32)> = Vec::new();
    for s in &report.applied_statuses {
        match by_status.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => by_status.push((s, 1)),
        }
    }
    for (s, n) in by_status {
        let per_status = line(
            &[("Status", s.as_str())],
            &[("Statuses", f64::from(n), "Count")],
        );
        push_or_join(&mut lines, per_status);
    }
    lines
}

/// Adds `extra`'s metrics to the first line when they fit in it (one EMF document may carry
/// several metric directives, each with its own dimensions, over the same root values): a
/// record's metrics are then one log line instead of two or three. They fit when each of
/// `extra`'s root values is absent from the first line or equal to it there.
fn push_or_join(lines: &mut Vec<Value>, extra: Value) {
    let (Some(first), Value::Object(extra_root)) = (lines.first_mut(), &extra) else {
        lines.push(extra);
        return;
    };
    let fits = extra_root
        .iter()
        .filter(|(k, _)| k.as_str() != "_aws")
        .all(|(k, v)| first.get(k).is_none_or(|old| old == v));
    if !fits {
        lines.push(extra);
        return;
    }
    let directive = extra_root["_aws"]["CloudWatchMetrics"][0].clone();
    if let Some(directives) = first["_aws"]["CloudWatchMetrics"].as_array_mut() {
        directives.push(directive);
    }
    for (k, v) in extra_root.iter().filter(|(k, _)| k.as_str() != "_aws") {
        first[k] = v.clone();
    }
}

/// Emits the metrics of one processed record.
pub fn record(report: &RecordReport, elapsed_ms: f64) {
    write(&record_lines(report, elapsed_ms));
}

/// The EMF line of a record that failed for a reason that is not its payload's: a fault of the
/// deployment (`InfrastructureFaults`: access denied, a missing table, ...) or a store that
/// could not be reached in time (`TransientFaults`). The record is delivered again.
pub fn failure_line(error: &handlers::StoreError) -> Value {
    let name = if matches!(error, handlers::StoreError::Fault { .. }) {
        "InfrastructureFaults"
    } else {
        "TransientFaults"
    };
    line(&[], &[(name, 1.0, "Count")])
}

/// Emits the metric of a record that failed and will be delivered again.
pub fn failure(error: &handlers::StoreError) {
    write(&[failure_line(error)]);
}

/// Emits one send's result (`accepted`; `replayed` when an idempotency key answered an
/// earlier send; `pending` (409) and `rejected` (400, 422) sent nothing; else the HTTP status
/// class of the failure).
pub fn send(action: &str, status_code: i64, replayed: bool) {
    let result = match status_code {
        200 if replayed => "replayed",
        200 => "accepted",
        400 | 422 => "rejected",
        409 => "pending",
        429 => "throttled",
        _ => "failed",
    };
    write(&[line(
        &[("Action", action), ("Result", result)],
        &[("Sends", 1.0, "Count")],
    )]);
}

/// Emits one notification lost after its retry (`NotificationsLost`, by kind).
pub fn notification_lost(kind: &str) {
    write(&[line(
        &[("Kind", kind)],
        &[("NotificationsLost", 1.0, "Count")],
    )]);
}

/// Emits one WebSocket connection refused for want of a valid ticket (`LiveConnectionsRefused`).
pub fn live_connection_refused() {
    write(&[line(&[], &[("LiveConnectionsRefused", 1.0, "Count")])]);
}

/// The EMF line of a webhook request refused before anything was processed
/// (`WebhooksRefused`, by source and reason: `missing`, `mismatch`, `replay`, ...).
pub fn webhook_refused_line(source: &str, reason: &str) -> Value {
    line(
        &[("Source", source), ("Reason", reason)],
        &[("WebhooksRefused", 1.0, "Count")],
    )
}

/// Emits [`webhook_refused_line`].
pub fn webhook_refused(source: &str, reason: &str) {
    write(&[webhook_refused_line(source, reason)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_embedded_metric_format() {
        let l = line(
            &[("MessageType", "text")],
            &[("MessagesReceived", 2.0, "Count")],
        );
        assert_eq!(l["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(
            l["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["MessageType"]])
        );
        assert_eq!(
            l["_aws"]["CloudWatchMetrics"][0]["Metrics"][0],
            json!({"Name": "MessagesReceived", "Unit": "Count"})
        );
        assert_eq!(
            (l["MessageType"].as_str(), l["MessagesReceived"].as_f64()),
            (Some("text"), Some(2.0))
        );
        assert!(l["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }

    #[test]
    fn faults_and_transient_failures_have_their_own_metric() {
        let fault = handlers::StoreError::Fault {
            operation: "PutItem",
            source: "AccessDeniedException".into(),
        };
        assert_eq!(failure_line(&fault)["InfrastructureFaults"], 1.0);
        let down = handlers::StoreError::Unavailable {
            operation: "PutItem",
            source: "timeout".into(),
        };
        let l = failure_line(&down);
        assert_eq!(l["TransientFaults"], 1.0);
        assert!(l.get("InfrastructureFaults").is_none());
    }

    #[test]
    fn a_record_reports_types_and_statuses_on_their_own_dimension() {
        let report = RecordReport {
            outcome: RecordOutcome::Processed,
            counts: handlers::inbound::Counts {
                messages: 3,
                statuses: 1,
                ..Default::default()
            },
            new_types: vec!["text".into(), "image".into(), "text".into()],
            applied_statuses: vec![MessageStatus::Read],
            lags: vec![1.5, 3.0],
            ..Default::default()
        };
        let lines = record_lines(&report, 4.0);
        assert_eq!(lines[0]["WebhookLag"], 3.0);
        assert_eq!(lines[0]["Records"], 1.0);
        assert_eq!(lines[0]["MessagesReceived"], 3.0);
        assert!(
            lines[0].get("PoisonRecords").is_none(),
            "zero counts are left out"
        );
        // The total (3) differs from each type's count: types go on lines of their own; the
        // status fits in the first line.
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0]["Status"], "read");
        assert_eq!(lines[0]["Statuses"], 1.0);
        assert_eq!(
            lines[0]["_aws"]["CloudWatchMetrics"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(lines[1]["MessageType"], "text");
        assert_eq!(lines[1]["MessagesReceived"], 2.0);
        assert_eq!(lines[2]["MessageType"], "image");
    }

    #[test]
    fn an_ordinary_record_is_one_line() {
        let report = RecordReport {
            outcome: RecordOutcome::Processed,
            counts: handlers::inbound::Counts {
                messages: 1,
                ..Default::default()
            },
            new_types: vec!["text".into()],
            ..Default::default()
        };
        let lines = record_lines(&report, 1.0);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let directives = lines[0]["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives[0]["Dimensions"], json!([[]]));
        assert_eq!(directives[1]["Dimensions"], json!([["MessageType"]]));
        assert_eq!(lines[0]["MessagesReceived"], 1.0);
        assert_eq!(lines[0]["MessageType"], "text");
    }
}
