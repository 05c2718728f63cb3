//! One invocation's work on a campaign: take the campaign's lease, send to pending recipients at
//! the campaign's pace until the time budget is spent, then hand the lease to a continuation
//! on the work queue. See `docs/campaigns.md`.

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tracing::{info, warn};

use super::count::{self, Event};
use super::model::{CampaignItem, RecipientItem, rstate, state};
use super::pace::Pacer;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::ports::SendFailure;
use crate::ports::work_queue::WorkItem;
use crate::store::{PageRequest, Transition};

/// How long a recipient is held by the run that claimed it before another run may take it.
const RECIPIENT_LEASE_MS: i64 = 5 * 60_000;
/// A campaign's lease outlives the run's budget by this much (a crashed run's work item comes
/// back after the queue's visibility timeout, which must be longer than the lease).
const LEASE_EXTRA_MS: i64 = 120_000;
/// EUM failures of one recipient that are tried again before it fails.
const MAX_FAILED_TRIES: u32 = 3;

/// What a run did.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub campaign_id: String,
    /// `continued` (a continuation was enqueued), `completed`, `waiting` (scheduled, or
    /// recipients held by another run), `stopped` (paused, cancelled, a newer chain) or
    /// `dropped` (not this chain's, or the campaign is held by another run).
    pub outcome: &'static str,
    pub sent: u64,
    pub failed: u64,
    pub requeued: u64,
    pub skipped: u64,
    pub throttles: u32,
}

/// Runs one work item.
///
/// # Errors
/// The store's (the work item is then delivered again), the queue's.
pub async fn run(
    ctx: &Ctx,
    item: &WorkItem,
    deadline_ms: Option<i64>,
) -> Result<RunReport, HandlerError> {
    let rt = ctx.campaigns();
    let clock = rt.clock.clone();
    let mut report = RunReport {
        campaign_id: item.campaign_id.clone(),
        outcome: "dropped",
        ..Default::default()
    };
    let Some(mut c) =
        crate::store::get_item_as::<CampaignItem>(ctx.store(), &keys::campaign(&item.campaign_id))
            .await?
    else {
        return Ok(report);
    };
    if c.token.as_deref() != Some(item.token.as_str()) {
        return Ok(report);
    }
    let now = clock.now_ms();
    if c.state == state::SCHEDULED {
        let due = c
            .schedule_at
            .as_deref()
            .and_then(crate::time::parse_iso)
            .map_or(0, |t| t.timestamp_millis());
        if due > now {
            let delay = ((due - now + 999) / 1000).min(i64::from(super::MAX_DELAY_SECS)) as u32;
            super::enqueue(ctx, item, delay).await?;
            report.outcome = "waiting";
            return Ok(report);
        }
        let set = Map::from_iter([
            ("state".to_string(), json!(state::RUNNING)),
            ("startedAt".to_string(), json!(crate::time::now_iso())),
        ]);
        if !super::move_campaign(ctx, &c, set, &[]).await? {
            return Ok(report);
        }
        c = super::load(ctx, &item.campaign_id).await?;
    }
    if c.state != state::RUNNING {
        report.outcome = "stopped";
        return Ok(report);
    }
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let budget_end = now + rt.settings.time_budget_ms;
    let stop_at = deadline_ms.map_or(budget_end, |d| {
        (d - super::DEADLINE_MARGIN_MS).min(budget_end)
    });
    if !take_lease(ctx, &c, item, &run_id, stop_at + LEASE_EXTRA_MS, now).await? {
        return Ok(report);
    }
    // The template must still be approved (Meta pauses templates of low quality).
    let waba = crate::templates::WabaRef {
        waba_id: c
            .waba_id
            .clone()
            .map(crate::params::ids::EumId::from_trusted),
    };
    let template = match crate::templates::check::cached_template(
        ctx,
        &waba,
        &c.template,
        &c.language,
    )
    .await
    {
        Ok(t) if t.status == "APPROVED" => Ok(()),
        Ok(t) => Err(format!(
            "template `{}` ({}) is {}: only APPROVED templates can be sent",
            t.name, t.language, t.status
        )),
        Err(e @ (HandlerError::InvalidParam { .. } | HandlerError::NotFound(_))) => {
            Err(e.to_string())
        }
        Err(e) => return Err(e),
    };
    if let Err(reason) = template {
        let set = Map::from_iter([
            ("state".to_string(), json!(state::PAUSED)),
            ("pausedReason".to_string(), json!(reason)),
        ]);
        super::move_campaign(ctx, &c, set, &["leaseOwner", "leaseUntil", "leaseToken"]).await?;
        report.outcome = "stopped";
        return Ok(report);
    }
    let pacer = Pacer::new(c.rate);
    if c.runs > 0 && c.rate > 0 {
        // The run before may have sent its last messages within the last second: its pacer is
        // gone, so this one starts after a clear second.
        clock.sleep_until(clock.now_ms() + 1000).await;
    }
    let mut throttled_seen = c.throttled_at;
    let concurrency = match c.rate {
        0 => rt.settings.concurrency,
        rate => rt.settings.concurrency.min(rate as usize),
    }
    .max(1);
    loop {
        if clock.now_ms() >= stop_at {
            let next = WorkItem {
                campaign_id: c.campaign_id.clone(),
                token: item.token.clone(),
                after: Some(run_id.clone()),
            };
            super::enqueue(ctx, &next, 0).await?;
            report.outcome = "continued";
            break;
        }
        let Some(fresh) = crate::store::get_item_as::<CampaignItem>(ctx.store(), &c.pk).await?
        else {
            report.outcome = "stopped";
            break;
        };
        c = fresh;
        if c.state != state::RUNNING
            || c.token.as_deref() != Some(item.token.as_str())
            || c.lease_owner.as_deref() != Some(run_id.as_str())
        {
            release(ctx, &c, &run_id).await?;
            report.outcome = "stopped";
            break;
        }
        if c.throttled_at > throttled_seen {
            throttled_seen = c.throttled_at;
            pacer.slow_down();
        }
        let page = PageRequest {
            limit: rt.settings.batch,
            cursor: None,
        };
        let pending = ctx
            .store()
            .list_by_item_type(
                &keys::item_type::campaign_recipients(&c.campaign_id, rstate::PENDING),
                &page,
            )
            .await?;
        let mut batch: Vec<RecipientItem> = decode(pending.items);
        if batch.is_empty() {
            let sending: Vec<RecipientItem> = decode(
                ctx.store()
                    .list_by_item_type(
                        &keys::item_type::campaign_recipients(&c.campaign_id, rstate::SENDING),
                        &page,
                    )
                    .await?
                    .items,
            );
            let now = clock.now_ms();
            let held: Vec<i64> = sending
                .iter()
                .filter_map(|r| r.lease_until)
                .filter(|&l| l >= now)
                .collect();
            batch = sending
                .into_iter()
                .filter(|r| r.lease_until.is_none_or(|l| l < now))
                .collect();
            if batch.is_empty() {
                if let Some(first) = held.iter().min() {
                    // Recipients another run holds, or sends awaiting their status: look again
                    // when the first lease ends (or never, for a status that never comes).
                    if first - now < super::MAX_DELAY_SECS as i64 * 1000 * 4 {
                        let next = WorkItem {
                            campaign_id: c.campaign_id.clone(),
                            token: item.token.clone(),
                            after: Some(run_id.clone()),
                        };
                        super::enqueue(ctx, &next, ((first - now) / 1000 + 1) as u32).await?;
                        report.outcome = "waiting";
                        break;
                    }
                }
                let set = Map::from_iter([
                    ("state".to_string(), json!(state::COMPLETED)),
                    ("completedAt".to_string(), json!(crate::time::now_iso())),
                ]);
                super::move_campaign(ctx, &c, set, &["leaseOwner", "leaseUntil"]).await?;
                report.outcome = "completed";
                info!(campaign = %c.campaign_id, "campaign completed");
                break;
            }
        }
        let c_ref = &c;
        let pacer_ref = &pacer;
        let clock_ref = clock.as_ref();
        let outcomes: Vec<Result<Option<&'static str>, HandlerError>> =
            futures_util::stream::iter(batch)
                .take_while(|_| std::future::ready(clock_ref.now_ms() < stop_at))
                .map(|r| send_one(ctx, c_ref, r, pacer_ref))
                .buffer_unordered(concurrency)
                .collect()
                .await;
        for outcome in outcomes {
            match outcome? {
                Some("sent") => report.sent += 1,
                Some("failed") => report.failed += 1,
                Some("requeued") => report.requeued += 1,
                Some("skipped") => report.skipped += 1,
                _ => {}
            }
        }
    }
    report.throttles = pacer.throttles();
    info!(campaign = %c.campaign_id, outcome = report.outcome, sent = report.sent, failed = report.failed, requeued = report.requeued, "campaign run");
    Ok(report)
}

fn decode(items: Vec<Value>) -> Vec<RecipientItem> {
    items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect()
}

/// Takes the campaign's lease: free, expired, handed over by `item.after`, or held under an
/// older chain. False when another live run of this chain holds it.
async fn take_lease(
    ctx: &Ctx,
    c: &CampaignItem,
    item: &WorkItem,
    run_id: &str,
    until: i64,
    now: i64,
) -> Result<bool, HandlerError> {
    let free = c.lease_owner.is_none()
        || c.lease_until.is_none_or(|l| l < now)
        || c.lease_owner == item.after
        || c.lease_token.as_deref() != Some(item.token.as_str());
    if !free {
        return Ok(false);
    }
    let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
    let expect = Map::from_iter([
        ("state".to_string(), json!(c.state)),
        ("token".to_string(), json!(item.token)),
        (
            "leaseOwner".to_string(),
            opt(c.lease_owner.as_ref().map(|v| json!(v))),
        ),
    ]);
    let set = Map::from_iter([
        ("leaseOwner".to_string(), json!(run_id)),
        ("leaseUntil".to_string(), json!(until)),
        ("leaseToken".to_string(), json!(item.token)),
        ("runs".to_string(), json!(c.runs + 1)),
        ("updatedAt".to_string(), json!(crate::time::now_iso())),
    ]);
    let t = Transition {
        pk: c.pk.clone(),
        expect,
        set,
        ..Default::default()
    };
    Ok(ctx.store().transition(&t).await?)
}

/// Gives the lease back when this run holds it.
async fn release(ctx: &Ctx, c: &CampaignItem, run_id: &str) -> Result<(), HandlerError> {
    if c.lease_owner.as_deref() != Some(run_id) {
        return Ok(());
    }
    let t = Transition {
        pk: c.pk.clone(),
        expect: Map::from_iter([("leaseOwner".to_string(), json!(run_id))]),
        remove: vec![
            "leaseOwner".into(),
            "leaseUntil".into(),
            "leaseToken".into(),
        ],
        ..Default::default()
    };
    ctx.store().transition(&t).await?;
    Ok(())
}

/// The idempotency key of a recipient's attempt: a retry, a redelivered work item or a second
/// worker reaches the same send intent and never sends it twice.
pub fn idempotency_key(campaign_id: &str, seq: u64, attempt: u32) -> String {
    format!("camp:{campaign_id}:{seq}:{attempt}")
}

/// The caller data a campaign send carries in `biz_opaque_callback_data` (after the send's own
/// tag): every status of the message names its recipient.
pub fn callback_data(campaign_id: &str, seq: u64) -> String {
    format!("{CALLBACK_PREFIX}{campaign_id}:{seq}")
}

pub const CALLBACK_PREFIX: &str = "wlc:";

/// The campaign and recipient `seq` of callback data made by [`callback_data`].
pub fn parse_callback(data: &str) -> Option<(String, u64)> {
    let (id, seq) = data.strip_prefix(CALLBACK_PREFIX)?.rsplit_once(':')?;
    Some((id.to_string(), seq.parse().ok()?))
}

/// Claims one recipient and sends to it; the state it ended in (`None`: another run has it).
async fn send_one(
    ctx: &Ctx,
    c: &CampaignItem,
    r: RecipientItem,
    pacer: &Pacer,
) -> Result<Option<&'static str>, HandlerError> {
    let store = ctx.store();
    let clock = ctx.campaigns().clock.clone();
    let now = clock.now_ms();
    let claim = Event::Claim {
        now_ms: now,
        lease_until: now + RECIPIENT_LEASE_MS,
    };
    let Some(r) = count::apply_from(store, &r.pk.clone(), Some(r), &claim).await? else {
        return Ok(None);
    };
    let at = || crate::time::now_iso();
    let opted_out = store
        .get_item(&keys::customer(&r.customer_id))
        .await?
        .is_some_and(|item| item["marketingOptOut"] == json!(true));
    if opted_out {
        count::apply_from(store, &r.pk.clone(), Some(r), &Event::Skipped { at: at() }).await?;
        return Ok(Some("skipped"));
    }
    let pick = |own: &TemplateField, default: &TemplateField| {
        if own.is_empty() {
            default.clone()
        } else {
            own.clone()
        }
    };
    let header = r
        .parameters
        .header
        .clone()
        .or_else(|| c.defaults.header.clone());
    let params = json!({
        "to": r.to, "recipient": r.recipient,
        "name": c.template, "language": c.language,
        "header": header,
        "body": pick(&r.parameters.body, &c.defaults.body),
        "buttons": pick(&r.parameters.buttons, &c.defaults.buttons),
        "wabaId": c.waba_id,
        "phoneNumberId": c.phone_number_id,
        "originationPhoneNumberId": c.origination_phone_number_id,
        "idempotencyKey": idempotency_key(&c.campaign_id, r.seq, r.attempt),
        "bizOpaqueCallbackData": callback_data(&c.campaign_id, r.seq),
    });
    let params = strip_nulls(params);
    let sent = match crate::params::parse::<crate::actions::send_template::Params>(params) {
        Ok(p) => {
            let slot = pacer.acquire(clock.as_ref()).await;
            let result = crate::actions::send_template::run(ctx, p).await;
            let throttled =
                matches!(&result, Err(HandlerError::Send(e)) if e.kind == SendFailure::Throttled);
            pacer.answered(slot, clock.now_ms(), throttled);
            result
        }
        Err(e) => Err(e),
    };
    let event = match sent {
        Ok(out) => Event::Sent {
            wa_message_id: out.wa_message_id,
            at: at(),
        },
        Err(HandlerError::SentNotRecorded { wa_message_id, .. }) => Event::Sent {
            wa_message_id,
            at: at(),
        },
        Err(HandlerError::Send(e)) => match e.kind {
            SendFailure::Throttled => Event::Requeue {
                error: e.to_string(),
            },
            SendFailure::Failed if r.attempt + 1 < MAX_FAILED_TRIES => Event::Requeue {
                error: e.to_string(),
            },
            kind => Event::SendFailed {
                code: failure_code(kind).into(),
                error: e.message.clone(),
                at: at(),
            },
        },
        // The intent of this attempt is pending: a crash after claiming it. Only its status
        // webhook can tell whether EUM accepted it; nothing is sent again.
        Err(HandlerError::Conflict(_)) => Event::AwaitStatus {
            until_ms: clock.now_ms() + 24 * 3_600_000,
        },
        Err(
            e @ (HandlerError::InvalidParam { .. }
            | HandlerError::MissingParam(_)
            | HandlerError::KeyReused(_)
            | HandlerError::NotFound(_)),
        ) => Event::SendFailed {
            code: "invalid_request".into(),
            error: e.to_string(),
            at: at(),
        },
        Err(e) => return Err(e),
    };
    let outcome = match &event {
        Event::Sent { .. } => "sent",
        Event::Requeue { .. } => "requeued",
        Event::AwaitStatus { .. } => "sending",
        _ => "failed",
    };
    if let Event::Sent { wa_message_id, at } = &event {
        let touch = json!({
            "pk": keys::campaign_touch(&c.phone_number_id, &r.customer_id),
            "itemType": "CAMPAIGN_TOUCH",
            "campaignId": c.campaign_id, "recipientPk": r.pk, "waMessageId": wa_message_id,
            "sentAt": at, "replyWindowHours": c.reply_window_hours,
        });
        if let Err(e) = store.put_record(&touch).await {
            warn!(campaign = %c.campaign_id, error = %e, "reply marker not written; a reply of this recipient will not be counted");
        }
    }
    count::apply_from(store, &r.pk.clone(), Some(r), &event).await?;
    Ok(Some(outcome))
}

type TemplateField = Vec<Value>;

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

fn failure_code(kind: SendFailure) -> &'static str {
    match kind {
        SendFailure::Throttled => "throttled",
        SendFailure::Invalid => "eum_invalid",
        SendFailure::NotFound => "eum_not_found",
        SendFailure::AccessDenied => "eum_access_denied",
        SendFailure::Failed => "eum_failed",
        SendFailure::Unsupported => "unsupported",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_names_the_recipient() {
        let data = callback_data("0190abc", 42);
        assert_eq!(parse_callback(&data), Some(("0190abc".into(), 42)));
        assert_eq!(parse_callback("order-1"), None);
        assert_eq!(idempotency_key("c", 7, 1), "camp:c:7:1");
        assert!(
            idempotency_key(&"c".repeat(32), 999_999, 99).len() <= crate::outbound::MAX_KEY_LEN
        );
    }
}
