//! The recipient's state machine and its exact counters, as pure rules.
//!
//! Every change of a recipient is planned from the item as read ([`plan`]) and written with a
//! [`Transition`] whose condition is exactly what the plan was based on ([`expectation`]). The
//! counters the change moves are added in the same transaction, to one of [`SHARDS`] counter
//! items. A recipient's milestone is counted only by the write that records it in `counted`, so
//! a duplicated, reordered or concurrent webhook, a redelivered work item or a retry counts it at
//! most once, and a write that happened is never left uncounted.

use serde_json::{Map, Value, json};

use super::model::{RecipientItem, rstate};
use crate::keys;
use crate::store::{Store, StoreError, Transition, get_item_as};

/// Counter shards of one campaign: recipient `seq` counts into shard `seq % SHARDS`.
pub const SHARDS: u64 = 16;
/// Meta's "rate limit hit" error: the message was not sent and is sent again later.
pub const RATE_LIMIT_CODE: &str = "130429";
/// Attempts of one change when concurrent writers keep moving the recipient.
const CAS_ATTEMPTS: u32 = 12;

/// Prefix of the counters of failures by error code.
pub const FAILURE_PREFIX: &str = "failed_";

/// Counter attribute of failures with error `code`.
pub fn failure_counter(code: &str) -> String {
    format!("{FAILURE_PREFIX}{code}")
}

/// What happened to a recipient.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A worker takes it (pending, or sending with an expired lease) until `lease_until`.
    Claim { now_ms: i64, lease_until: i64 },
    /// EUM Social accepted the send.
    Sent { wa_message_id: String, at: String },
    /// Nothing reached the customer and it is tried again later (throttled, EUM failed).
    Requeue { error: String },
    /// The send was refused for good.
    SendFailed {
        code: String,
        error: String,
        at: String,
    },
    /// The customer opted out of marketing since the campaign was created.
    Skipped { at: String },
    /// A send whose outcome only its status webhook can tell (a crash left its intent pending):
    /// left alone until then.
    AwaitStatus { until_ms: i64 },
    /// A status webhook of message `wa_message_id` (rank 2 sent … 4 read, 9 failed).
    Status {
        wa_message_id: String,
        rank: i64,
        at: String,
        error_code: Option<String>,
        error: Option<String>,
    },
    /// A message from the customer at `at`; counted when within `window_hours` of the send.
    Replied { at: String, window_hours: u32 },
}

/// A planned change: what to set and remove, and which counters it adds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub set: Map<String, Value>,
    pub remove: Vec<String>,
    pub add: Vec<(String, i64)>,
}

impl Change {
    fn state(&mut self, r: &RecipientItem, state: &str) {
        self.set.insert("state".into(), json!(state));
        self.set.insert(
            "itemTypePk".into(),
            json!(keys::item_type::campaign_recipients(&r.campaign_id, state)),
        );
    }

    fn count(&mut self, r: &RecipientItem, counted: &mut Vec<String>, milestone: &str) {
        if r.counted.iter().any(|c| c == milestone) || counted.iter().any(|c| c == milestone) {
            return;
        }
        counted.push(milestone.to_string());
        self.add.push((milestone.to_string(), 1));
    }
}

/// The change `event` makes to `r`, or `None` when it changes nothing (a duplicate, a status of
/// another attempt's message, a claim of a recipient someone else holds).
pub fn plan(r: &RecipientItem, event: &Event) -> Option<Change> {
    let mut c = Change::default();
    let mut counted = Vec::new();
    match event {
        Event::Claim {
            now_ms,
            lease_until,
        } => {
            let free = r.state == rstate::PENDING
                || (r.state == rstate::SENDING && r.lease_until.is_none_or(|l| l < *now_ms));
            if !free {
                return None;
            }
            c.state(r, rstate::SENDING);
            c.set.insert("leaseUntil".into(), json!(lease_until));
        }
        Event::Sent { wa_message_id, at } => {
            if r.state != rstate::SENDING && r.state != rstate::PENDING {
                return None;
            }
            c.state(r, rstate::SENT);
            c.set.insert("waMessageId".into(), json!(wa_message_id));
            c.set.insert("sentAt".into(), json!(at));
            c.set.insert("progress".into(), json!(r.progress.max(2)));
            c.remove.push("leaseUntil".into());
            c.count(r, &mut counted, "sent");
        }
        Event::Requeue { error } => {
            if r.state != rstate::SENDING {
                return None;
            }
            c.state(r, rstate::PENDING);
            c.set.insert("attempt".into(), json!(r.attempt + 1));
            c.set.insert("error".into(), json!(error));
            c.remove.push("leaseUntil".into());
        }
        Event::SendFailed { code, error, at } => {
            if r.state != rstate::SENDING && r.state != rstate::PENDING {
                return None;
            }
            fail(&mut c, r, &mut counted, code, error, at);
        }
        Event::Skipped { at } => {
            if r.state != rstate::SENDING && r.state != rstate::PENDING {
                return None;
            }
            c.state(r, rstate::SKIPPED);
            c.set.insert("failedAt".into(), json!(at));
            c.remove.push("leaseUntil".into());
            c.count(r, &mut counted, "skipped");
        }
        Event::AwaitStatus { until_ms } => {
            if r.state != rstate::SENDING {
                return None;
            }
            c.set.insert("leaseUntil".into(), json!(until_ms));
        }
        Event::Status {
            wa_message_id,
            rank,
            at,
            error_code,
            error,
        } => {
            let ours = match &r.wa_message_id {
                Some(id) => id == wa_message_id,
                // A crash after EUM accepted and before the send was recorded: the status,
                // which carries the campaign, records it.
                None => r.state == rstate::SENDING,
            };
            if !ours || r.state == rstate::FAILED || r.state == rstate::SKIPPED {
                return None;
            }
            if r.wa_message_id.is_none() {
                c.state(r, rstate::SENT);
                c.set.insert("waMessageId".into(), json!(wa_message_id));
                c.set.insert("sentAt".into(), json!(at));
                c.remove.push("leaseUntil".into());
                c.count(r, &mut counted, "sent");
            }
            if *rank >= 9 {
                let code = error_code.clone().unwrap_or_else(|| "unknown".into());
                if code == RATE_LIMIT_CODE {
                    // Not sent: the recipient waits for its turn again, with a new attempt.
                    c.state(r, rstate::PENDING);
                    c.set.insert("attempt".into(), json!(r.attempt + 1));
                    c.set.insert("progress".into(), json!(0));
                    c.set
                        .insert("error".into(), json!(error.clone().unwrap_or(code)));
                    c.set.remove("waMessageId");
                    c.remove.push("waMessageId".into());
                } else {
                    fail(
                        &mut c,
                        r,
                        &mut counted,
                        &code,
                        error.as_deref().unwrap_or(""),
                        at,
                    );
                }
            } else if *rank > r.progress {
                c.set.insert("progress".into(), json!(rank));
                if *rank >= 3 {
                    c.count(r, &mut counted, "delivered");
                    if r.delivered_at.is_none() {
                        c.set.insert("deliveredAt".into(), json!(at));
                    }
                }
                if *rank >= 4 {
                    c.count(r, &mut counted, "read");
                    c.set.insert("readAt".into(), json!(at));
                }
            } else if c.set.is_empty() {
                return None;
            }
        }
        Event::Replied { at, window_hours } => {
            let within = r
                .sent_at
                .as_deref()
                .and_then(crate::time::parse_iso)
                .zip(crate::time::parse_iso(at))
                .is_some_and(|(sent, reply)| {
                    reply >= sent && (reply - sent).num_hours() < i64::from(*window_hours)
                });
            if r.state != rstate::SENT || !within || r.counted.iter().any(|c| c == "replied") {
                return None;
            }
            c.set.insert("repliedAt".into(), json!(at));
            c.count(r, &mut counted, "replied");
        }
    }
    if !counted.is_empty() {
        let mut all = r.counted.clone();
        all.extend(counted);
        c.set.insert("counted".into(), json!(all));
    }
    Some(c)
}

fn fail(
    c: &mut Change,
    r: &RecipientItem,
    counted: &mut Vec<String>,
    code: &str,
    error: &str,
    at: &str,
) {
    c.state(r, rstate::FAILED);
    c.set.insert("failedAt".into(), json!(at));
    c.set.insert("errorCode".into(), json!(code));
    if !error.is_empty() {
        c.set.insert("error".into(), json!(error));
    }
    c.remove.push("leaseUntil".into());
    if !r.counted.iter().any(|m| m == "failed") {
        let was_sent = r.counted.iter().chain(counted.iter()).any(|m| m == "sent");
        c.count(r, counted, "failed");
        c.add.push((failure_counter(code), 1));
        if was_sent {
            c.add.push(("failedAfterSend".into(), 1));
        }
    }
}

/// The condition of a change planned from `r`: every attribute the plan read.
pub fn expectation(r: &RecipientItem) -> Map<String, Value> {
    let mut e = Map::new();
    let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
    e.insert("state".into(), json!(r.state));
    e.insert("attempt".into(), json!(r.attempt));
    e.insert("progress".into(), json!(r.progress));
    e.insert(
        "waMessageId".into(),
        opt(r.wa_message_id.as_ref().map(|v| json!(v))),
    );
    e.insert("leaseUntil".into(), opt(r.lease_until.map(|v| json!(v))));
    e.insert(
        "counted".into(),
        if r.counted.is_empty() {
            Value::Null
        } else {
            json!(r.counted)
        },
    );
    e
}

/// Applies `event` to recipient `pk`: read, plan, conditional write (with its counters), again
/// when another writer moved it first. The recipient after the change, or `None` when the event
/// changed nothing (or the recipient does not exist).
///
/// # Errors
/// The store's.
pub async fn apply(
    store: &dyn Store,
    pk: &str,
    event: &Event,
) -> Result<Option<RecipientItem>, StoreError> {
    apply_from(store, pk, None, event).await
}

/// As [`apply`], starting from `known` (the recipient as last read or written, which saves a
/// read; a stale one costs a failed condition and a read).
///
/// # Errors
/// The store's.
pub async fn apply_from(
    store: &dyn Store,
    pk: &str,
    known: Option<RecipientItem>,
    event: &Event,
) -> Result<Option<RecipientItem>, StoreError> {
    let mut known = known;
    for _ in 0..CAS_ATTEMPTS {
        let r = match known.take() {
            Some(r) => r,
            None => match get_item_as::<RecipientItem>(store, pk).await? {
                Some(r) => r,
                None => return Ok(None),
            },
        };
        let Some(change) = plan(&r, event) else {
            return Ok(None);
        };
        let mut set = change.set.clone();
        set.insert("updatedAt".into(), json!(crate::time::now_iso()));
        let t = Transition {
            pk: pk.to_string(),
            expect: expectation(&r),
            set,
            remove: change.remove.clone(),
            counter_pk: Some(keys::campaign_counter(&r.campaign_id, r.seq % SHARDS)),
            add: change.add.clone(),
        };
        if store.transition(&t).await? {
            let mut after = serde_json::to_value(&r).unwrap_or_default();
            if let Some(t_after) = crate::rules::transition::apply(Some(after.take()), &t) {
                return Ok(serde_json::from_value(t_after).ok());
            }
            return Ok(None);
        }
    }
    Err(StoreError::Unavailable {
        operation: "campaign recipient",
        source: format!("{pk} kept changing under {CAS_ATTEMPTS} attempts").into(),
    })
}

/// A campaign's counters: the sum of its shards (`sent`, `delivered`, `read`, `replied`,
/// `failed`, `skipped`, `failedAfterSend`, and `failed_{code}` per error code).
///
/// # Errors
/// The store's.
pub async fn totals(
    store: &dyn Store,
    campaign_id: &str,
) -> Result<Map<String, Value>, StoreError> {
    let reads = (0..SHARDS).map(|shard| async move {
        store
            .get_item(&keys::campaign_counter(campaign_id, shard))
            .await
    });
    let shards = futures_util::future::join_all(reads).await;
    let mut sums: std::collections::BTreeMap<String, i64> = [
        "sent",
        "delivered",
        "read",
        "replied",
        "failed",
        "skipped",
        "failedAfterSend",
    ]
    .into_iter()
    .map(|k| (k.to_string(), 0))
    .collect();
    for shard in shards {
        for (name, value) in shard?
            .and_then(|v| v.as_object().cloned())
            .into_iter()
            .flatten()
        {
            if let Some(n) = value.as_i64()
                && name != keys::PK
            {
                *sums.entry(name).or_default() += n;
            }
        }
    }
    Ok(sums.into_iter().map(|(k, v)| (k, json!(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(state: &str) -> RecipientItem {
        RecipientItem {
            pk: "CAMPAIGN#c#R#0000003".into(),
            campaign_id: "c".into(),
            seq: 3,
            state: state.into(),
            ..Default::default()
        }
    }

    /// Applies a change as the stores do (through the transition rule).
    fn after(r: &RecipientItem, c: &Change) -> RecipientItem {
        let t = Transition {
            pk: r.pk.clone(),
            expect: expectation(r),
            set: c.set.clone(),
            remove: c.remove.clone(),
            ..Default::default()
        };
        let v = crate::rules::transition::apply(Some(serde_json::to_value(r).unwrap()), &t)
            .expect("condition holds on what was read");
        serde_json::from_value(v).unwrap()
    }

    fn status(id: &str, rank: i64, code: Option<&str>) -> Event {
        Event::Status {
            wa_message_id: id.into(),
            rank,
            at: "2026-11-23T10:00:00Z".into(),
            error_code: code.map(str::to_string),
            error: None,
        }
    }

    fn sent() -> RecipientItem {
        let r = recipient(rstate::SENDING);
        after(
            &r,
            &plan(
                &r,
                &Event::Sent {
                    wa_message_id: "w1".into(),
                    at: "2026-11-23T10:00:00Z".into(),
                },
            )
            .unwrap(),
        )
    }

    #[test]
    fn a_claim_is_exclusive_until_its_lease_ends() {
        let r = recipient(rstate::PENDING);
        let claimed = after(
            &r,
            &plan(
                &r,
                &Event::Claim {
                    now_ms: 0,
                    lease_until: 100,
                },
            )
            .unwrap(),
        );
        assert_eq!(claimed.state, rstate::SENDING);
        assert_eq!(claimed.item_type_pk, "CAMPAIGN_RECIPIENT#c#sending");
        assert_eq!(
            plan(
                &claimed,
                &Event::Claim {
                    now_ms: 50,
                    lease_until: 150
                }
            ),
            None
        );
        assert!(
            plan(
                &claimed,
                &Event::Claim {
                    now_ms: 101,
                    lease_until: 200
                }
            )
            .is_some()
        );
    }

    #[test]
    fn each_milestone_counts_once_in_any_order() {
        let r = sent();
        assert_eq!(r.counted, vec!["sent"]);
        // read before delivered counts both; the late delivered and a duplicate read count nothing
        let c = plan(&r, &status("w1", 4, None)).unwrap();
        assert_eq!(
            c.add,
            vec![("delivered".to_string(), 1), ("read".to_string(), 1)]
        );
        let r = after(&r, &c);
        assert_eq!(plan(&r, &status("w1", 3, None)), None);
        assert_eq!(plan(&r, &status("w1", 4, None)), None);
        // a status of another message (an earlier attempt) is not this recipient's
        assert_eq!(plan(&sent(), &status("w0", 3, None)), None);
    }

    #[test]
    fn a_failure_counts_its_code_once() {
        let c = plan(&sent(), &status("w1", 9, Some("131026"))).unwrap();
        assert_eq!(
            c.add,
            vec![
                ("failed".to_string(), 1),
                ("failed_131026".to_string(), 1),
                ("failedAfterSend".to_string(), 1)
            ]
        );
        let r = after(&sent(), &c);
        assert_eq!(r.state, rstate::FAILED);
        assert_eq!(plan(&r, &status("w1", 9, Some("131026"))), None);
        assert_eq!(plan(&r, &status("w1", 4, None)), None);
    }

    #[test]
    fn a_rate_limit_puts_the_recipient_back_with_a_new_attempt() {
        let c = plan(&sent(), &status("w1", 9, Some(RATE_LIMIT_CODE))).unwrap();
        assert!(c.add.is_empty(), "{c:?}");
        let r = after(&sent(), &c);
        assert_eq!(
            (r.state.as_str(), r.attempt, r.wa_message_id.as_deref()),
            (rstate::PENDING, 1, None)
        );
        // sent again later: `sent` is not counted a second time
        let r2 = after(
            &r,
            &plan(
                &r,
                &Event::Claim {
                    now_ms: 0,
                    lease_until: 1,
                },
            )
            .unwrap(),
        );
        let c = plan(
            &r2,
            &Event::Sent {
                wa_message_id: "w2".into(),
                at: "2026-11-23T10:05:00Z".into(),
            },
        )
        .unwrap();
        assert!(c.add.is_empty());
    }

    #[test]
    fn a_crash_before_recording_is_completed_by_the_status() {
        let r = recipient(rstate::SENDING);
        let c = plan(&r, &status("w9", 3, None)).unwrap();
        assert_eq!(
            c.add,
            vec![("sent".to_string(), 1), ("delivered".to_string(), 1)]
        );
        let r = after(&r, &c);
        assert_eq!(
            (r.state.as_str(), r.wa_message_id.as_deref()),
            (rstate::SENT, Some("w9"))
        );
        // a pending recipient (never claimed) is not completed by a stray status
        assert_eq!(
            plan(&recipient(rstate::PENDING), &status("w9", 3, None)),
            None
        );
    }

    #[test]
    fn replies_count_within_the_window_only() {
        let r = sent();
        let reply = |at: &str| Event::Replied {
            at: at.into(),
            window_hours: 24,
        };
        assert_eq!(
            plan(&r, &reply("2026-11-23T09:59:00Z")),
            None,
            "before the send"
        );
        assert_eq!(
            plan(&r, &reply("2026-11-24T10:00:00Z")),
            None,
            "after the window"
        );
        let c = plan(&r, &reply("2026-11-23T12:00:00Z")).unwrap();
        assert_eq!(c.add, vec![("replied".to_string(), 1)]);
        assert_eq!(plan(&after(&r, &c), &reply("2026-11-23T13:00:00Z")), None);
    }
}
