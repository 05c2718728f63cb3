//! `smb_message_echoes`: messages the business sent from the WhatsApp Business app (or a linked
//! device) on a number also connected to Cloud API ("coexistence"). Each is stored as an
//! OUTBOUND message of its customer's conversation, once per wamid; an echoed edit, deletion or
//! reaction changes the message it names, as the customer's own do ([`super::lifecycle`]).
//! An echo opens no 24-hour window and is never unread.

use serde_json::Value;
use tracing::debug;

use super::{RecordReport, lifecycle, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::model::{self, Arrival, Direction, MessageStatus};
use crate::redact::mask;
use crate::store::{ConversationTouch, Recorded, StoreError};

/// Records the echoes of one `smb_message_echoes` change.
pub(super) async fn process_echoes(
    ctx: &Ctx,
    value: &Value,
    index: usize,
    waba_id: &str,
    now: &str,
    arrived_at: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let Some(phone) = value
        .pointer("/metadata/phone_number_id")
        .and_then(Value::as_str)
    else {
        report.counts.poison += 1;
        report.errors.push(format!(
            "changes[{index}] (smb_message_echoes): needs metadata.phone_number_id"
        ));
        return Ok(());
    };
    let display = value
        .pointer("/metadata/display_phone_number")
        .and_then(Value::as_str);
    let arrival = Arrival {
        phone_number_id: phone,
        display_phone_number: display,
        waba_id,
        now,
        arrived_at,
    };
    let echoes = value.get("message_echoes").and_then(Value::as_array);
    for echo in echoes.into_iter().flatten() {
        // The customer is the echo's `to`: seen from the conversation, as an inbound message's
        // `from` is.
        let mut as_customer = echo.clone();
        if let Some(to) = echo.get("to") {
            as_customer["from"] = to.clone();
        }
        if let Some(to_user) = echo.get("to_user_id") {
            as_customer["from_user_id"] = to_user.clone();
        }
        if lifecycle::is_change(&as_customer) {
            lifecycle::process_change(
                ctx,
                &as_customer,
                &arrival,
                &[],
                Direction::Outbound,
                report,
            )
            .await?;
            continue;
        }
        let (mut item, customer) = match model::parse_inbound(&as_customer, &arrival, &[]) {
            Ok(parsed) => parsed,
            Err(e) => {
                report.counts.poison += 1;
                report.errors.push(format!("echo: {e}"));
                continue;
            }
        };
        item.direction = Direction::Outbound;
        item.from = Some(display.unwrap_or(phone).to_string());
        item.to = customer.wa_id.clone().or_else(|| customer.user_id.clone());
        item.to_user_id = customer.user_id.clone();
        item.from_user_id = None;
        item.status = MessageStatus::Sent;
        item.status_rank = MessageStatus::Sent.rank();
        item.sent_at = Some(item.received_at.clone());
        let touch = ConversationTouch {
            pk: item.conversation_pk.clone().unwrap_or_default(),
            inbox_pk: keys::inbox(phone),
            phone_number_id: phone.to_string(),
            waba_id: Some(waba_id.to_string()),
            customer_id: customer.id().unwrap_or_default().to_string(),
            wa_id: customer.wa_id.clone(),
            user_id: customer.user_id.clone(),
            profile_name: None,
            message_at: item.received_at.clone(),
            message_arrived_at: item.arrived_at.clone(),
            message_id: item.wa_message_id.clone(),
            preview: model::preview(&item),
            direction: Direction::Outbound,
            inbound: false,
            now: now.to_string(),
        };
        let what = format!("echo {}", item.wa_message_id);
        let Some(outcome) = tolerate(
            ctx.store().record_message(&item, &touch).await,
            &what,
            report,
        )?
        else {
            continue;
        };
        debug!(wamid = %item.wa_message_id, customer = %mask(&touch.customer_id), ?outcome, "business app echo");
        report.message_ids.push(item.wa_message_id.clone());
        match outcome {
            Recorded::New => {
                report.counts.messages += 1;
                report.new_types.push(item.kind.clone().unwrap_or_default());
                // analytics (issue 9): a reply from the WhatsApp Business app answers too
                crate::analytics::counters::after_send(ctx.store(), &item, None, outcome).await;
            }
            Recorded::Duplicate => report.counts.duplicates += 1,
        }
    }
    Ok(())
}
