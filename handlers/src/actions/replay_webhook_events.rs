//! `replay_webhook_events`: processes stored failed or partial webhook records again, by
//! delivery id or from the failed-events list (`gsi-itemType` partition
//! `WEBHOOK_EVENT#FAILED`), after the cause was fixed (a new release, an allowed account added).
//! Idempotent like every inbound path: what was stored the first time is not stored twice, a
//! record that now succeeds leaves the failed list, and replaying it again changes nothing.
//! The records of one call go through [`crate::inbound::process_batch_with`]: concurrently, the
//! records of one conversation in the order they were first received.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::inbound::{Counts, Delivery, process_batch_with, replay_delivery};
use crate::keys;
use crate::model::{RecordOutcome, WebhookEventItem};
use crate::params::ids::DeliveryId;
use crate::params::lenient;
use crate::registry::ActionSpec;
use crate::store::{PageRequest, StoreError, get_item_as};
use crate::time;

pub const NAME: &str = "replay_webhook_events";

pub const SPEC: ActionSpec = crate::action_spec!(
    Operations,
    Admin,
    "Processes stored failed or partial webhook records again (by delivery id or time range), with a dry run; answers each record's outcome."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Delivery ids to replay (SNS MessageId or SQS messageId; the audit item is
    /// WEBHOOK_EVENT#{id}). Without them, failed and partial records are taken from the
    /// failed-events list, newest first.
    #[serde(default, alias = "delivery_ids", alias = "deliveryId", alias = "ids")]
    pub delivery_ids: Vec<DeliveryId>,
    /// Without ids: only records first received at or after this ISO-8601 time.
    #[serde(default)]
    pub since: Option<String>,
    /// Without ids: only records first received before this ISO-8601 time.
    #[serde(default)]
    pub until: Option<String>,
    /// At most this many records (1-100, default 20).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub limit: Option<i64>,
    /// true: list what would be replayed and process nothing.
    #[serde(default, alias = "dry_run", deserialize_with = "lenient::bool")]
    pub dry_run: bool,
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayResult {
    /// Processed completely now; the audit item is `processed` with `replayedAt`.
    Replayed,
    /// Processed again; some parts are still poison.
    StillPartial,
    /// Still poison as a whole.
    StillFailed,
    /// The audit item says it was processed: nothing to do.
    AlreadyProcessed,
    /// No audit item with that delivery id.
    NotFound,
    /// The audit item holds no body to replay (kept before bodies were kept whole).
    NoPayload,
    /// Dry run: it would be replayed.
    WouldReplay,
    /// The store or the media store failed; nothing is lost, try again.
    Error,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replayed {
    pub delivery_id: String,
    pub result: ReplayResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_outcome: Option<RecordOutcome>,
    /// When the record was first received (the audit item's `createdAt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_bytes: Option<u64>,
    /// Where a body too large for the audit item is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub dry_run: bool,
    pub count: usize,
    /// Records that are now processed completely.
    pub replayed: usize,
    pub records: Vec<Replayed>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let limit = match p.limit {
        None => 20,
        Some(n @ 1..=100) => n as usize,
        Some(_) => return Err(HandlerError::invalid("limit", "must be between 1 and 100")),
    };
    let bound = |field: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| {
                time::parse_iso(v).ok_or_else(|| {
                    HandlerError::invalid(field, format!("`{v}` is not an ISO-8601 time"))
                })
            })
            .transpose()
    };
    let (since, until) = (bound("since", &p.since)?, bound("until", &p.until)?);
    let ids = if p.delivery_ids.is_empty() {
        failed_ids(ctx, since, until, limit).await?
    } else {
        if p.delivery_ids.len() > limit {
            return Err(HandlerError::invalid(
                "deliveryIds",
                format!(
                    "lists {} ids; at most `limit` ({limit}) per call",
                    p.delivery_ids.len()
                ),
            ));
        }
        let mut ids: Vec<String> = Vec::new();
        for id in p.delivery_ids.iter().map(|i| i.trim()) {
            if id.is_empty() {
                return Err(HandlerError::invalid(
                    "deliveryIds",
                    "must not hold empty ids",
                ));
            }
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
        }
        ids
    };
    // Each record is looked up first; the ones to replay then go through the inbound batch
    // (concurrently, the records of one conversation in the order they were first received).
    let mut records = Vec::with_capacity(ids.len());
    let mut pending = Vec::new();
    for id in &ids {
        let (out, replay) = look_up(ctx, id, p.dry_run).await;
        if let Some(replay) = replay {
            pending.push((records.len(), replay));
        }
        records.push(out);
    }
    pending.sort_by(|(_, a), (_, b)| a.received_at.cmp(&b.received_at));
    let deliveries: Vec<Delivery<'_>> = pending
        .iter()
        .map(|(_, r)| Delivery {
            source: &r.source,
            id: &r.id,
            body: &r.body,
        })
        .collect();
    process_batch_with(
        ctx,
        &deliveries,
        |i, delivery| replay_delivery(ctx, delivery, &pending[i].1.received_at),
        |i, result| {
            let out = &mut records[pending[i].0];
            match result {
                Ok(report) => {
                    out.result = match report.outcome {
                        RecordOutcome::Processed => ReplayResult::Replayed,
                        RecordOutcome::Failed => ReplayResult::StillFailed,
                        _ => ReplayResult::StillPartial,
                    };
                    out.counts = Some(report.counts);
                    out.errors = report.errors;
                }
                Err(e) => out.errors.push(e.to_string()),
            }
        },
    )
    .await;
    Ok(Output {
        dry_run: p.dry_run,
        count: records.len(),
        replayed: records
            .iter()
            .filter(|r| r.result == ReplayResult::Replayed)
            .count(),
        records,
    })
}

/// Delivery ids of the failed-events list, newest first, within the time range.
async fn failed_ids(
    ctx: &Ctx,
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = ctx
            .store()
            .list_by_item_type(
                keys::item_type::FAILED_WEBHOOK_EVENT,
                &PageRequest { limit: 100, cursor },
            )
            .await?;
        for item in &page.items {
            let created = item
                .get("createdAt")
                .and_then(|v| v.as_str())
                .and_then(time::parse_iso);
            if until.is_some_and(|u| created.is_none_or(|c| c >= u)) {
                continue;
            }
            if since.is_some_and(|s| created.is_none_or(|c| c < s)) {
                // Newest first: everything after this is older still.
                return Ok(ids);
            }
            if let Some(id) = item.get("deliveryId").and_then(|v| v.as_str()) {
                ids.push(id.to_string());
                if ids.len() == limit {
                    return Ok(ids);
                }
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(ids),
        }
    }
}

/// A record to process again: its audit item's kind, its delivery id and body, and when it was
/// first received.
struct Replay {
    source: String,
    id: String,
    body: String,
    received_at: String,
}

/// What is known of one record before it is processed, and its body when it is to be replayed
/// (not in a dry run).
async fn look_up(ctx: &Ctx, id: &str, dry_run: bool) -> (Replayed, Option<Replay>) {
    let mut out = Replayed {
        delivery_id: id.to_string(),
        result: ReplayResult::Error,
        previous_outcome: None,
        received_at: None,
        payload_bytes: None,
        payload_key: None,
        counts: None,
        errors: Vec::new(),
    };
    let item: WebhookEventItem = match get_item_as(ctx.store(), &keys::webhook_audit(id)).await {
        Ok(Some(item)) => item,
        Ok(None) => {
            out.result = ReplayResult::NotFound;
            return (out, None);
        }
        Err(e) => {
            out.errors.push(e.to_string());
            return (out, None);
        }
    };
    out.previous_outcome = Some(item.outcome);
    out.received_at = Some(item.created_at.clone());
    out.payload_bytes = item.payload_bytes;
    out.payload_key.clone_from(&item.payload_key);
    if !matches!(item.outcome, RecordOutcome::Failed | RecordOutcome::Partial) {
        out.result = ReplayResult::AlreadyProcessed;
        return (out, None);
    }
    let body = match (&item.payload, &item.payload_key) {
        (Some(serde_json::Value::String(body)), _) => body.clone(),
        (_, Some(key)) => match ctx.media().get(key).await {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(None) => {
                out.result = ReplayResult::NoPayload;
                out.errors.push(format!(
                    "`{key}` is not in the media store ({})",
                    ctx.media().describe()
                ));
                return (out, None);
            }
            Err(e) => {
                out.errors.push(e.to_string());
                return (out, None);
            }
        },
        _ => {
            out.result = ReplayResult::NoPayload;
            return (out, None);
        }
    };
    if dry_run {
        out.result = ReplayResult::WouldReplay;
        return (out, None);
    }
    let replay = Replay {
        source: item.kind.as_str().to_string(),
        id: id.to_string(),
        body,
        received_at: item.created_at,
    };
    (out, Some(replay))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params};
    use serde_json::json;

    #[tokio::test]
    async fn bad_ranges_and_limits_are_400s_naming_the_field() {
        for (request, field) in [
            (json!({"since": "yesterday"}), "since"),
            (json!({"until": "2026-13-01"}), "until"),
            (json!({"limit": 0}), "limit"),
            (json!({"deliveryIds": ["a", " "]}), "deliveryIds"),
            (
                json!({"deliveryIds": ["a", "b", "c"], "limit": 2}),
                "deliveryIds",
            ),
        ] {
            // Ids are refused as the registry decodes them; the rest by `run`.
            let err = match crate::params::parse_request::<Params>(request.clone()) {
                Ok(p) => run(&ctx(), p).await.unwrap_err(),
                Err(e) => e,
            };
            assert_eq!(err.status(), 400, "{request}");
            assert!(
                err.to_string().contains(&format!("`{field}`")),
                "{request}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn an_unknown_id_is_answered_not_found() {
        let out = run(&ctx(), params(json!({"deliveryIds": ["nope", "nope"]})))
            .await
            .unwrap();
        assert_eq!(out.count, 1, "ids are deduplicated");
        assert_eq!(out.records[0].result, ReplayResult::NotFound);
    }
}
