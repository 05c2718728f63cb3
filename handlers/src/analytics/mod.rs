//! Analytics counters: written where messages and statuses are stored, read by
//! `get_analytics` without a Scan.
//!
//! Each business phone has, per UTC day, [`SHARDS`] counter items
//! (`ANALYTICS_COUNTER#{phone}#{day}#{shard}`, the shard chosen by the message id), so no item
//! takes every write. A count is added only when the store says the transition happened: a
//! message that was [`Recorded::New`], a status that was applied (with the status it replaced),
//! a marker that [`Store::create_record`] created, a wait that [`Store::take_record`] took. A
//! redelivered message or a duplicated status therefore counts nothing. A counter write that
//! fails is logged and counted in the report (`analyticsFailures`), never fails the record.

pub mod counters;
pub mod report;

pub use counters::{on_message, on_status};

/// Counter items per phone and day.
pub const SHARDS: u32 = 8;

/// The counter shard of a message id (FNV-1a, stable across processes).
pub fn shard(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % SHARDS
}

/// An attribute-name-safe piece (`[a-z0-9_]`) of a type, status, code or category.
pub fn safe(s: &str) -> String {
    let out: String = s
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        "unknown".into()
    } else {
        out
    }
}

/// The response-time bucket of `secs` seconds: exact up to 15 minutes, then whole minutes up
/// to a day, then whole hours (the counter stores one attribute per bucket).
pub fn response_bucket(secs: i64) -> i64 {
    let secs = secs.max(0);
    if secs <= 900 {
        secs
    } else if secs <= 86_400 {
        secs - secs % 60
    } else {
        secs - secs % 3600
    }
}

/// Counter attribute names.
pub mod names {
    pub const IN_TOTAL: &str = "in_total";
    pub const OUT_TOTAL: &str = "out_total";
    /// `in_t_{type}` / `out_t_{type}`.
    pub const IN_TYPE: &str = "in_t_";
    pub const OUT_TYPE: &str = "out_t_";
    /// `st_{status}`: outbound messages that reached the status that day.
    pub const STATUS: &str = "st_";
    /// `err_{code}`: failed statuses by Meta error code.
    pub const ERROR: &str = "err_";
    /// `bill_{category}`, `bill_total`: billable messages by pricing category.
    pub const BILL: &str = "bill_";
    pub const BILL_TOTAL: &str = "bill_total";
    pub const ACTIVE: &str = "conv_active";
    pub const NEW: &str = "conv_new";
    /// `rt_{seconds bucket}`, `rt_count`: first-response times.
    pub const RESPONSE: &str = "rt_";
    pub const RESPONSE_COUNT: &str = "rt_count";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_spread_and_buckets_round() {
        let used: std::collections::BTreeSet<u32> =
            (0..200).map(|i| shard(&format!("wamid.{i}"))).collect();
        assert_eq!(used.len(), SHARDS as usize);
        assert_eq!(response_bucket(-3), 0);
        assert_eq!(response_bucket(900), 900);
        assert_eq!(response_bucket(959), 900);
        assert_eq!(response_bucket(90_061), 86_400 + 3600);
        assert_eq!(safe("Marketing-Lite"), "marketing_lite");
    }
}
