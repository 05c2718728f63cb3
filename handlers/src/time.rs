//! Time in the formats the table uses: ISO-8601 UTC strings that sort as text.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

/// Now, as stored in `createdAt` / `updatedAt`.
pub fn now_iso() -> String {
    iso(Utc::now())
}

/// Formats a time with second precision and a `Z` (sortable as text).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Formats a time to the nanosecond, always nine digits and a `Z`, so that such times sort as
/// text among themselves: the `arrivedAt` of messages.
pub fn precise_iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Now, to the nanosecond ([`precise_iso`]).
pub fn precise_now() -> String {
    precise_iso(Utc::now())
}

/// When this system learned of a message that a record brought: EUM Social's receipt of the
/// webhook (`message_timestamp`, part of the record, so the same on every redelivery), else
/// now. Always in the [`precise_iso`] format.
pub fn arrival(received: Option<&str>) -> String {
    received
        .and_then(parse_iso)
        .map_or_else(precise_now, precise_iso)
}

/// Meta's `timestamp` (unix seconds, as a string or a number) as ISO-8601 UTC.
pub fn from_meta_timestamp(v: &Value) -> Option<String> {
    let secs = match v {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Utc.timestamp_opt(secs, 0).single().map(iso)
}

/// Parses an ISO-8601 time written by [`iso`] (or any RFC 3339 time).
pub fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
