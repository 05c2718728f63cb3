//! Reading the counters of one business phone over a range of UTC days: `SHARDS` point reads
//! per day, summed, and the figures derived from them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use futures_util::future::join_all;
use serde::Serialize;
use serde_json::Value;

use super::{SHARDS, names};
use crate::keys;
use crate::store::{Store, StoreError};

/// The counters of one day: attribute name → sum over the shards.
pub type DayCounts = BTreeMap<String, i64>;

/// Reads one day's counters: its `SHARDS` shard items, summed.
///
/// # Errors
/// The store's.
pub async fn day_counts(
    store: &dyn Store,
    phone: &str,
    day: &str,
) -> Result<DayCounts, StoreError> {
    let pks: Vec<String> = (0..SHARDS)
        .map(|s| keys::analytics_counter(phone, day, s))
        .collect();
    let mut sum = DayCounts::new();
    for item in join_all(pks.iter().map(|pk| store.get_item(pk))).await {
        for (k, v) in numbers(&item?.unwrap_or(Value::Null)) {
            *sum.entry(k).or_default() += v;
        }
    }
    Ok(sum)
}

/// The counter attributes of an item (the names `analytics::names` writes).
fn numbers(item: &Value) -> DayCounts {
    item.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| is_counter(k))
        .filter_map(|(k, v)| Some((k.clone(), v.as_i64()?)))
        .collect()
}

fn is_counter(name: &str) -> bool {
    [
        "in_",
        "out_",
        names::STATUS,
        names::ERROR,
        names::BILL,
        "conv_",
        names::RESPONSE,
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// The days from `from` to `to`, both included.
pub fn days(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect()
}

/// Messages of one direction.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Direction {
    pub total: i64,
    pub by_type: BTreeMap<String, i64>,
}

/// The figures of one day or of the whole range.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub inbound: Direction,
    pub outbound: Direction,
    /// Outbound messages that reached each status (`sent`, `delivered`, `read`, `played`,
    /// `failed`), counted on the day of the status.
    pub statuses: BTreeMap<String, i64>,
    /// Failed statuses by Meta error code.
    pub failures_by_code: BTreeMap<String, i64>,
    /// Billable messages by pricing category (from the statuses' `pricing`), and their total.
    pub billable_by_category: BTreeMap<String, i64>,
    pub billable: i64,
    /// Conversations with a message (either way) on the day; over a range, the sum of the
    /// days (a conversation active on three days counts three times).
    pub active_conversations: i64,
    /// Conversations whose first message was seen that day.
    pub new_conversations: i64,
}

/// First-response times of the business, in seconds.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseTimes {
    pub count: i64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

impl Figures {
    pub fn from_counts(c: &DayCounts) -> Self {
        let mut f = Figures::default();
        for (name, &n) in c {
            if n == 0 {
                continue;
            }
            if name == names::IN_TOTAL {
                f.inbound.total = n;
            } else if name == names::OUT_TOTAL {
                f.outbound.total = n;
            } else if let Some(t) = name.strip_prefix(names::IN_TYPE) {
                f.inbound.by_type.insert(t.into(), n);
            } else if let Some(t) = name.strip_prefix(names::OUT_TYPE) {
                f.outbound.by_type.insert(t.into(), n);
            } else if let Some(s) = name.strip_prefix(names::STATUS) {
                f.statuses.insert(s.into(), n);
            } else if let Some(code) = name.strip_prefix(names::ERROR) {
                f.failures_by_code.insert(code.into(), n);
            } else if name == names::BILL_TOTAL {
                f.billable = n;
            } else if let Some(cat) = name.strip_prefix(names::BILL) {
                f.billable_by_category.insert(cat.into(), n);
            } else if name == names::ACTIVE {
                f.active_conversations = n;
            } else if name == names::NEW {
                f.new_conversations = n;
            }
        }
        f
    }
}

/// Delivery rate (delivered / sent) and read rate (read / delivered), when defined.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// The median and 90th percentile (nearest rank: the value at rank ⌈p·n⌉ of the sorted
/// times) from the `rt_{seconds}` histogram.
pub fn response_times(c: &DayCounts) -> ResponseTimes {
    let mut histogram: Vec<(i64, i64)> = c
        .iter()
        .filter(|(k, _)| k.as_str() != names::RESPONSE_COUNT)
        .filter_map(|(k, &n)| Some((k.strip_prefix(names::RESPONSE)?.parse::<i64>().ok()?, n)))
        .filter(|(_, n)| *n > 0)
        .collect();
    histogram.sort_unstable();
    let count: i64 = histogram.iter().map(|(_, n)| n).sum();
    let at = |p: f64| {
        let rank = ((p * count as f64).ceil() as i64).max(1);
        let mut seen = 0;
        histogram.iter().find_map(|(secs, n)| {
            seen += n;
            (seen >= rank).then_some(*secs)
        })
    };
    ResponseTimes {
        count,
        median_seconds: at(0.5),
        p90_seconds: at(0.9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let c: DayCounts = [("rt_5", 3), ("rt_60", 1), ("rt_10", 1), ("rt_count", 5)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let rt = response_times(&c);
        assert_eq!(
            (rt.count, rt.median_seconds, rt.p90_seconds),
            (5, Some(5), Some(60))
        );
        assert_eq!(response_times(&DayCounts::new()).median_seconds, None);
        assert_eq!(rate(1, 3), Some(0.3333));
        assert_eq!(rate(1, 0), None);
    }
}
