//! `messages[]` of a messages change: each message is stored once and threaded into its
//! conversation; a new media message may have its file copied right away.

use tracing::{debug, warn};

use super::{RecordReport, lifecycle, push_lag, statuses, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::model::{self, Arrival, Direction, Envelope, MessagesValue};
use crate::redact::mask;
use crate::store::{ConversationTouch, Recorded, StoreError};
use crate::time;

/// Records the messages of one messages change, then applies its statuses.
pub(super) async fn process_messages(
    ctx: &Ctx,
    envelope: &Envelope,
    value: &MessagesValue,
    waba_id: &str,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let store = ctx.store();
    let phone_number_id = value.metadata.phone_number_id.clone().or_else(|| {
        envelope
            .context
            .meta_phone_number_ids
            .first()
            .map(|p| p.meta_phone_number_id.clone())
    });
    let Some(phone_number_id) = phone_number_id else {
        if !value.messages.is_empty() || !value.statuses.is_empty() {
            report.counts.poison += 1;
            report
                .errors
                .push("messages change has no metadata.phone_number_id".into());
        }
        return Ok(());
    };
    let checked = crate::params::ids::IdKind::PhoneNumberId.check_part(
        "messages change: metadata.phone_number_id",
        &phone_number_id,
    );
    if let Err(reason) = checked {
        // Every message and status of the change would be keyed under it.
        report.counts.poison += 1;
        report.errors.push(reason);
        return Ok(());
    }
    let arrival = Arrival {
        phone_number_id: &phone_number_id,
        display_phone_number: value.metadata.display_phone_number.as_deref(),
        waba_id,
        now,
        arrived_at: &time::arrival(envelope.message_timestamp.as_deref()),
    };

    for raw in &value.messages {
        if lifecycle::is_change(raw) {
            lifecycle::process_change(
                ctx,
                raw,
                &arrival,
                &value.contacts,
                Direction::Inbound,
                report,
            )
            .await?;
            continue;
        }
        let (mut item, customer) = match model::parse_inbound(raw, &arrival, &value.contacts) {
            Ok(parsed) => parsed,
            Err(e) => {
                report.counts.poison += 1;
                report.errors.push(e.to_string());
                continue;
            }
        };
        let linked = crate::templates::flows::link_reply(store, &mut item, now).await;
        tolerate(linked, "flow reply link", report)?;
        let customer_id = customer.id().unwrap_or_default().to_string();
        let touch = ConversationTouch {
            pk: item.conversation_pk.clone().unwrap_or_default(),
            inbox_pk: keys::inbox(&phone_number_id),
            phone_number_id: phone_number_id.clone(),
            waba_id: Some(waba_id.to_string()),
            customer_id: customer_id.clone(),
            wa_id: customer.wa_id.clone(),
            user_id: customer.user_id.clone(),
            profile_name: customer.profile_name.clone(),
            message_at: item.received_at.clone(),
            message_arrived_at: item.arrived_at.clone(),
            message_id: item.wa_message_id.clone(),
            preview: model::preview(&item),
            direction: item.direction,
            inbound: true,
            now: now.to_string(),
        };
        let what = format!("message {}", item.wa_message_id);
        let Some(outcome) = tolerate(store.record_message(&item, &touch).await, &what, report)?
        else {
            continue;
        };
        debug!(wamid = %item.wa_message_id, customer = %mask(&customer_id), kind = ?item.kind, ?outcome, "inbound message");
        if item.system.is_some() {
            // Also on a redelivery: linking is idempotent, and completes a crash before it.
            lifecycle::after_system_message(ctx, raw, &item, &customer, report).await?;
        }
        // commerce: an `order` message becomes its ORDER item, created once (also on a
        // redelivery, which completes a crash between the two writes)
        if item.order.is_some() {
            let order =
                crate::commerce::orders::record_inbound(store, &item, &customer_id, waba_id, now)
                    .await;
            if tolerate(order, &format!("order {}", item.wa_message_id), report)? == Some(true) {
                report.counts.typed += 1;
            }
        }
        report.message_ids.push(item.wa_message_id.clone());
        push_lag(report, &item.received_at, now);
        tolerate(
            crate::platform::customers::record_referral(ctx, &item, &customer_id).await,
            "click-to-WhatsApp referral",
            report,
        )?;
        // Campaigns (issue 9): a reply to the last campaign message this customer got.
        tolerate(
            crate::campaigns::hooks::on_inbound(
                ctx,
                &phone_number_id,
                &customer_id,
                &item.received_at,
            )
            .await,
            "campaign reply",
            report,
        )?;
        let wants_media = ctx.settings().auto_download_media
            && item.media.as_ref().is_some_and(|m| m.id.is_some());
        match outcome {
            Recorded::New => {
                report.counts.messages += 1;
                // analytics (issue 9): counted once, because the message is new
                let counted = crate::analytics::on_message(store, &item, false).await;
                crate::analytics::counters::tolerate(counted, &item.wa_message_id, report);
                report.new_types.push(item.kind.clone().unwrap_or_default());
                crate::platform::notify::new_inbound(ctx, &item, &customer_id).await;
                if wants_media {
                    copy_media(ctx, envelope, &phone_number_id, &item.wa_message_id, report).await;
                }
            }
            Recorded::Duplicate => {
                report.counts.duplicates += 1;
                // A redelivery of a message whose copy never happened (the invocation crashed
                // or timed out after the message was stored, or the copy failed) copies it now.
                if wants_media && copy_missing(ctx, &item.wa_message_id).await? {
                    copy_media(ctx, envelope, &phone_number_id, &item.wa_message_id, report).await;
                }
            }
        }
        // automations (issue 9): on a redelivery too; the reply is keyed to this wamid
        crate::automations::after_inbound(ctx, &item, &customer_id, report).await;
    }

    statuses::apply_statuses(
        store,
        &value.statuses,
        &phone_number_id,
        waba_id,
        now,
        report,
    )
    .await?;
    // Campaigns (issue 9): the statuses of campaign messages move their recipients and counters.
    tolerate(
        crate::campaigns::hooks::on_statuses(ctx, &value.statuses, now).await,
        "campaign statuses",
        report,
    )?;
    Ok(())
}

/// True when the stored message has WhatsApp media that was never copied into the media store.
async fn copy_missing(ctx: &Ctx, wa_message_id: &str) -> Result<bool, StoreError> {
    match ctx.store().get_message(wa_message_id).await {
        Ok(stored) => Ok(stored
            .and_then(|m| m.media)
            .is_some_and(|m| m.id.is_some() && m.s3_key.is_none())),
        // A stored item that does not decode is not this record's to fix.
        Err(e) if e.is_poison() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Copies a stored message's media into the media store. A failed copy never loses the
/// message: it is recorded as a failed MEDIA_DOWNLOAD and is tried again on a redelivery or
/// with `download_media`.
async fn copy_media(
    ctx: &Ctx,
    envelope: &Envelope,
    phone_number_id: &str,
    wa_message_id: &str,
    report: &mut RecordReport,
) {
    // EUM names the phone's ARN in the event; that is the origination to fetch with.
    let arn = envelope
        .context
        .meta_phone_number_ids
        .iter()
        .find(|p| p.meta_phone_number_id == phone_number_id)
        .and_then(|p| p.arn.clone());
    match crate::media::download(ctx, wa_message_id, arn.as_deref()).await {
        Ok(_) => report.counts.media_fetched += 1,
        Err(e) => {
            warn!(wamid = %wa_message_id, error = %e, "media not copied; retry with download_media");
            report.counts.media_failed += 1;
        }
    }
}
