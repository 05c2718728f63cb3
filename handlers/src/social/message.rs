//! A `message` or `postback` event → one MESSAGE item threaded into its conversation, stored
//! once by its `mid`.

use serde_json::Value;
use tracing::debug;

use super::{Event, mark_channel};
use crate::ctx::Ctx;
use crate::inbound::{RecordReport, tolerate};
use crate::keys;
use crate::model::{
    self, ButtonPart, ContextPart, Direction, ItemType, MessageItem, MessageStatus,
};
use crate::redact::mask;
use crate::rules::lifecycle::{Annotation, Change};
use crate::store::{ConversationTouch, Recorded, StoreError};

/// Records a `message` (or `postback`) event.
pub(super) async fn record(
    ctx: &Ctx,
    event: &Event<'_>,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let message = event.raw.get("message");
    if message.and_then(|m| m.get("is_deleted")) == Some(&Value::Bool(true)) {
        return unsend(ctx, event, report).await;
    }
    let Some(item) = item_of(event) else {
        report.counts.poison += 1;
        report
            .errors
            .push(format!("{} message without mid", event.channel.as_str()));
        return Ok(());
    };
    let touch = ConversationTouch {
        pk: event.conversation_pk(),
        inbox_pk: keys::inbox(event.account),
        phone_number_id: event.account.to_string(),
        customer_id: event.customer.clone(),
        user_id: Some(event.customer.clone()),
        message_at: item.received_at.clone(),
        message_id: item.wa_message_id.clone(),
        preview: model::preview(&item),
        direction: item.direction,
        inbound: item.direction == Direction::Inbound,
        now: event.now.to_string(),
        ..Default::default()
    };
    let what = format!("message {}", item.wa_message_id);
    let Some(outcome) = tolerate(
        ctx.store().record_message(&item, &touch).await,
        &what,
        report,
    )?
    else {
        return Ok(());
    };
    // Also on a duplicate: completes a crash between the two writes.
    mark_channel(ctx, event, report).await?;
    debug!(mid = %item.wa_message_id, customer = %mask(&event.customer), channel = event.channel.as_str(), kind = ?item.kind, ?outcome, "social message");
    report.message_ids.push(item.wa_message_id.clone());
    match outcome {
        Recorded::New => {
            report.counts.messages += 1;
            report.new_types.push(item.kind.clone().unwrap_or_default());
        }
        Recorded::Duplicate => report.counts.duplicates += 1,
    }
    Ok(())
}

/// Instagram's unsend (`is_deleted`): the message is deleted for everyone by the person.
async fn unsend(ctx: &Ctx, event: &Event<'_>, report: &mut RecordReport) -> Result<(), StoreError> {
    let Some(mid) = event.raw.pointer("/message/mid").and_then(Value::as_str) else {
        report.counts.poison += 1;
        report.errors.push("deleted message without mid".into());
        return Ok(());
    };
    let annotation = Annotation {
        target: mid.to_string(),
        id: format!("deleted.{mid}"),
        at: event.at.clone(),
        change: Change::Revoke { by: event.by },
        keep_deleted_content: ctx.settings().inbound.keep_deleted_content,
        now: event.now.to_string(),
    };
    let Some(changed) = tolerate(
        ctx.store().annotate_message(&annotation).await,
        &format!("deletion of {mid}"),
        report,
    )?
    else {
        return Ok(());
    };
    if changed.is_some() {
        report.counts.changes += 1;
        report.new_types.push("revoke".into());
    } else {
        report.counts.duplicates += 1;
    }
    let preview = changed.map(|item| (mid.to_string(), model::preview(&item)));
    let activity = crate::rules::lifecycle::ConversationEvent {
        pk: event.conversation_pk(),
        at: event.at.clone(),
        now: event.now.to_string(),
        preview,
        ..Default::default()
    };
    tolerate(
        ctx.store().apply_conversation_event(&activity).await,
        &format!("deletion of {mid}"),
        report,
    )?;
    Ok(())
}

/// The MESSAGE item of a `message` or `postback` event; `None` without an id.
pub(super) fn item_of(event: &Event<'_>) -> Option<MessageItem> {
    let raw = event.raw;
    let inbound = event.by == Direction::Inbound;
    let (from, to) = if inbound {
        (event.customer.clone(), event.account.to_string())
    } else {
        (event.account.to_string(), event.customer.clone())
    };
    let mut item = MessageItem {
        item_type: ItemType::Message,
        direction: event.by,
        from: Some(from),
        from_user_id: inbound.then(|| event.customer.clone()),
        to: Some(to),
        to_user_id: (!inbound).then(|| event.customer.clone()),
        phone_number_id: Some(event.account.to_string()),
        conversation_pk: Some(event.conversation_pk()),
        received_at: event.at.clone(),
        created_at: event.now.to_string(),
        channel: Some(event.channel.as_str().to_string()),
        ..Default::default()
    };
    if inbound {
        item.status = MessageStatus::Received;
        item.status_rank = MessageStatus::Received.rank();
    } else {
        // An echo: the business sent it (from the page inbox, the Instagram app, or us).
        item.status = MessageStatus::Sent;
        item.status_rank = MessageStatus::Sent.rank();
        item.sent_at = Some(event.at.clone());
    }
    if let Some(postback) = raw.get("postback") {
        let title = text(postback, "title");
        item.kind = Some("postback".into());
        item.text.clone_from(&title);
        item.button = Some(ButtonPart {
            text: title,
            payload: text(postback, "payload"),
        });
        item.referral = postback.get("referral").cloned();
        item.raw = Some(postback.clone());
        // Postbacks carry a mid since Graph API v11; an older one gets an id from who and when.
        let id = text(postback, "mid").unwrap_or_else(|| {
            let at = raw
                .get("timestamp")
                .map(Value::to_string)
                .unwrap_or_default();
            format!("postback.{}.{}.{at}", event.account, event.customer)
        });
        set_id(&mut item, id);
        return Some(item);
    }
    let message = raw.get("message")?;
    let mid = text(message, "mid")?;
    set_id(&mut item, mid);
    item.text = text(message, "text");
    item.raw = Some(message.clone());
    item.referral = message.get("referral").cloned();
    let attachments = message
        .get("attachments")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let first_type = attachments
        .and_then(|a| a.first())
        .and_then(|a| text(a, "type"));
    if let Some(list) = attachments {
        item.attachments = Some(Value::Array(list.clone()));
    }
    if let Some(reply) = message.get("reply_to") {
        if let Some(story) = reply.get("story") {
            item.story = Some(story.clone());
        }
        if let Some(mid) = text(reply, "mid") {
            item.context = Some(ContextPart {
                id: Some(mid),
                ..Default::default()
            });
        }
    }
    if first_type.as_deref() == Some("story_mention") {
        let url = attachments
            .and_then(|a| a.first())
            .and_then(|a| a.pointer("/payload/url"))
            .cloned()
            .unwrap_or(Value::Null);
        item.story = Some(serde_json::json!({"url": url, "mention": true}));
    }
    let quick_reply = message.get("quick_reply").and_then(|q| text(q, "payload"));
    item.kind = Some(
        if message.get("is_unsupported") == Some(&Value::Bool(true)) {
            "unsupported".to_string()
        } else if let Some(payload) = quick_reply {
            item.button = Some(ButtonPart {
                text: item.text.clone(),
                payload: Some(payload),
            });
            "quick_reply".to_string()
        } else if let Some(kind) = first_type {
            kind
        } else if item.story.is_some() {
            "story_reply".to_string()
        } else {
            "text".to_string()
        },
    );
    Some(item)
}

fn set_id(item: &mut MessageItem, id: String) {
    item.pk = keys::message(&id);
    item.wa_message_id = id;
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
