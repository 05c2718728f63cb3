//! Writing the counters: one call per stored message and per applied status.

use serde_json::{Value, json};

use super::{names, response_bucket, safe, shard};
use crate::keys;
use crate::model::{Direction, MessageItem, MessageStatus};
use crate::store::{StatusApplied, StatusChange, StatusUpdate, Store, StoreError};
use crate::time;

/// Item type of the counter shards and of the markers.
pub const COUNTER_TYPE: &str = "ANALYTICS_COUNTER";
pub const MARKER_TYPE: &str = "ANALYTICS_MARKER";

/// A day marker is needed only while new messages of that day can still arrive.
const MARKER_TTL_SECS: i64 = 8 * 86_400;

/// The statuses a delivered message passes through, in order.
const REACHED: [MessageStatus; 4] = [
    MessageStatus::Sent,
    MessageStatus::Delivered,
    MessageStatus::Read,
    MessageStatus::Played,
];

/// Counts a message that was just stored for the first time ([`crate::store::Recorded::New`]):
/// its direction and type, its conversation as active that day (and new, the first time), and
/// the first-response time: a customer message starts a wait unless one is running; a
/// business message that `answers` ends it (automated replies do not).
///
/// # Errors
/// The store's; the caller logs them and goes on.
pub async fn on_message(
    store: &dyn Store,
    item: &MessageItem,
    answers: bool,
) -> Result<(), StoreError> {
    let Some(phone) = item.phone_number_id.as_deref() else {
        return Ok(());
    };
    let day = day_of(&item.received_at);
    let kind = safe(item.kind.as_deref().unwrap_or("unknown"));
    let mut counts = Vec::new();
    match item.direction {
        Direction::Inbound => {
            counts.push((names::IN_TOTAL.to_string(), 1));
            counts.push((format!("{}{kind}", names::IN_TYPE), 1));
        }
        Direction::Outbound => {
            counts.push((names::OUT_TOTAL.to_string(), 1));
            counts.push((format!("{}{kind}", names::OUT_TYPE), 1));
        }
    }
    if let Some(conv) = item.conversation_pk.as_deref() {
        let ttl = time::parse_iso(&item.received_at).map_or(0, |t| t.timestamp()) + MARKER_TTL_SECS;
        let active = json!({"pk": keys::conversation_active(conv, day), "itemType": MARKER_TYPE, "ttl": ttl});
        if store.create_record(&active).await? {
            counts.push((names::ACTIVE.to_string(), 1));
            let seen = json!({"pk": keys::conversation_seen(conv), "itemType": MARKER_TYPE, "createdAt": item.received_at});
            if store.create_record(&seen).await? {
                counts.push((names::NEW.to_string(), 1));
            }
        }
        match item.direction {
            Direction::Inbound if item.system.is_none() => {
                let wait = json!({
                    "pk": keys::reply_wait(conv),
                    "itemType": MARKER_TYPE,
                    "since": item.received_at,
                    "waMessageId": item.wa_message_id,
                });
                store.create_record(&wait).await?;
            }
            Direction::Outbound if answers => {
                if let Some(wait) = store.take_record(&keys::reply_wait(conv)).await? {
                    let since = wait
                        .get("since")
                        .and_then(Value::as_str)
                        .and_then(time::parse_iso);
                    if let (Some(since), Some(at)) = (since, time::parse_iso(&item.received_at)) {
                        let secs = response_bucket((at - since).num_seconds());
                        counts.push((names::RESPONSE_COUNT.to_string(), 1));
                        counts.push((format!("{}{secs}", names::RESPONSE), 1));
                    }
                }
            }
            _ => {}
        }
    }
    add(store, phone, day, &item.wa_message_id, &counts).await
}

/// Counts an applied status (`change.applied`), on the day of the status: every status from
/// the one it replaced up to it as reached (a `read` whose `delivered` never came counts as
/// delivered too, and the late `delivered` is stale), a failure by its error code, and the
/// message as billable in its pricing category the first time it moves past `accepted`.
///
/// # Errors
/// The store's; the caller logs them and goes on.
pub async fn on_status(
    store: &dyn Store,
    update: &StatusUpdate,
    change: &StatusChange,
) -> Result<(), StoreError> {
    if change.applied != StatusApplied::Applied {
        return Ok(());
    }
    let Some(phone) = update.phone_number_id.as_deref() else {
        return Ok(());
    };
    let counts = status_counts(update, change.previous.as_ref());
    add(
        store,
        phone,
        day_of(&update.at),
        &update.wa_message_id,
        &counts,
    )
    .await
}

/// The counts of one applied status (see [`on_status`]).
pub fn status_counts(
    update: &StatusUpdate,
    previous: Option<&MessageStatus>,
) -> Vec<(String, i64)> {
    let before = previous.map_or(0, MessageStatus::rank);
    let now = update.status.rank();
    let mut counts = Vec::new();
    if update.status == MessageStatus::Failed {
        counts.push((format!("{}failed", names::STATUS), 1));
        let code = update
            .error
            .as_ref()
            .and_then(|e| e.code)
            .map_or_else(|| "unknown".to_string(), |c| c.to_string());
        counts.push((format!("{}{}", names::ERROR, safe(&code)), 1));
        return counts;
    }
    for s in &REACHED {
        if before < s.rank() && s.rank() <= now {
            counts.push((format!("{}{}", names::STATUS, s.as_str()), 1));
        }
    }
    let first = before < MessageStatus::Sent.rank() && now >= MessageStatus::Sent.rank();
    let pricing = update.pricing.as_ref();
    let billable = pricing
        .and_then(|p| p.get("billable"))
        .and_then(Value::as_bool)
        == Some(true);
    if first && billable {
        let category = pricing
            .and_then(|p| p.get("category"))
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        counts.push((format!("{}{}", names::BILL, safe(category)), 1));
        counts.push((names::BILL_TOTAL.to_string(), 1));
    }
    counts
}

async fn add(
    store: &dyn Store,
    phone: &str,
    day: &str,
    id: &str,
    counts: &[(String, i64)],
) -> Result<(), StoreError> {
    if counts.is_empty() {
        return Ok(());
    }
    let set = json!({
        "itemType": COUNTER_TYPE,
        "phoneNumberId": phone,
        "day": day,
        "createdAt": format!("{day}T00:00:00Z"),
    });
    store
        .add_counts(
            &keys::analytics_counter(phone, day, shard(id)),
            &set,
            counts,
        )
        .await
}

fn day_of(at: &str) -> &str {
    at.get(..10).unwrap_or("unknown-date")
}

/// Logs a counter write that failed and counts it in the record's report: analytics never fail
/// the record that is being stored.
pub fn tolerate(
    result: Result<(), StoreError>,
    id: &str,
    report: &mut crate::inbound::RecordReport,
) {
    if let Err(e) = result {
        tracing::warn!(wamid = %id, error = %crate::error::chain(&e), "analytics counters not written");
        report.counts.analytics_failures += 1;
    }
}

/// Prefix of the idempotency keys of automated replies: they do not end a first-response wait.
pub const AUTOMATION_KEY_PREFIX: &str = "automation:";

/// Counts an outbound message the send pipeline (or a status completing a send, or an echo)
/// just stored for the first time; `key` is its send's idempotency key. A failure is logged:
/// the send has happened and stays answered.
pub async fn after_send(
    store: &dyn Store,
    item: &MessageItem,
    key: Option<&str>,
    recorded: crate::store::Recorded,
) {
    if recorded != crate::store::Recorded::New {
        return;
    }
    let answers = !key.is_some_and(|k| k.starts_with(AUTOMATION_KEY_PREFIX));
    if let Err(e) = on_message(store, item, answers).await {
        tracing::warn!(wamid = %item.wa_message_id, error = %crate::error::chain(&e), "analytics counters not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetaError;

    fn update(status: MessageStatus, pricing: Option<Value>) -> StatusUpdate {
        StatusUpdate {
            wa_message_id: "w".into(),
            status,
            pricing,
            ..Default::default()
        }
    }

    #[test]
    fn a_status_counts_what_it_passes_and_bills_once() {
        let pricing = json!({"billable": true, "category": "marketing", "pricing_model": "PMP"});
        let read = update(MessageStatus::Read, Some(pricing.clone()));
        let names: Vec<String> = status_counts(&read, Some(&MessageStatus::Accepted))
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(
            names,
            [
                "st_sent",
                "st_delivered",
                "st_read",
                "bill_marketing",
                "bill_total"
            ]
        );
        let names: Vec<String> = status_counts(&read, Some(&MessageStatus::Delivered))
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(names, ["st_read"]);
        let free = update(
            MessageStatus::Sent,
            Some(json!({"billable": false, "category": "service"})),
        );
        assert_eq!(status_counts(&free, None), vec![("st_sent".to_string(), 1)]);
        let mut failed = update(MessageStatus::Failed, None);
        failed.error = Some(MetaError {
            code: Some(131_049),
            ..Default::default()
        });
        let names: Vec<String> = status_counts(&failed, Some(&MessageStatus::Sent))
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(names, ["st_failed", "err_131049"]);
    }
}
