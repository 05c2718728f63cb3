//! Instagram (`object: "instagram"`) and Messenger (`object: "page"`) webhooks: each
//! `entry[].messaging[]` (and `standby[]`) event becomes MESSAGE and CONVERSATION items with a
//! `channel` attribute, through the same store operations as WhatsApp, so the same guarantees
//! hold (exactly once by `mid`, statuses only forward, reactions by the lifecycle rules).
//!
//! - The conversation is `CONV#{page or Instagram account id}#{PSID or IGSID}`, listed in the
//!   account's inbox (`get_conversations` with `phoneNumberId` = the account id, `channel` to
//!   filter).
//! - `message`: text, attachments (image, video, audio, file, share, story_mention, reels, …),
//!   quick replies, replies (`reply_to.mid`) and story replies (`reply_to.story`), referrals,
//!   echoes (`is_echo`: the business sent it; OUTBOUND, status `sent`), deletions (`is_deleted`,
//!   Instagram's unsend) and unsupported content (`is_unsupported`).
//! - `postback`: a MESSAGE of type `postback` (`button.text` = title, `button.payload`).
//! - `reaction`: `react` / `unreact` on the target `mid`, a reaction per person
//!   ([`crate::rules::lifecycle`] through [`crate::Store::annotate_message`]).
//! - `read` (`mid`, or `watermark`) and `delivery` (`mids`, or `watermark`): statuses `read` and
//!   `delivered` of the business's messages, forward only.
//!
//! # Layout
//! - this module: the channel, the entry loop, reactions;
//! - `message`: a `message` or `postback` event → MESSAGE item and conversation touch;
//! - `receipts`: `read` and `delivery` events → statuses.

mod message;
mod receipts;

use serde_json::{Value, json};
use tracing::debug;

use crate::ctx::Ctx;
use crate::inbound::RecordReport;
use crate::keys;
use crate::model::Direction;
use crate::rules::lifecycle::{Annotation, Change, ConversationEvent};
use crate::store::StoreError;
use crate::time;

/// The attribute that names a conversation's or message's channel.
pub const CHANNEL_ATTR: &str = "channel";

/// Which Meta messaging product an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Instagram,
    Messenger,
}

impl Channel {
    /// The channel of a webhook's `object`: `instagram` or `page`.
    pub fn of_object(object: &str) -> Option<Self> {
        match object {
            "instagram" => Some(Channel::Instagram),
            "page" => Some(Channel::Messenger),
            _ => None,
        }
    }

    /// The stored `channel` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Instagram => "instagram",
            Channel::Messenger => "messenger",
        }
    }
}

/// One `messaging[]` event with what every handler needs.
pub(crate) struct Event<'a> {
    pub channel: Channel,
    /// The page or Instagram account id (`entry.id`): the "business phone" of the conversation.
    pub account: &'a str,
    /// The PSID or IGSID of the person.
    pub customer: String,
    /// Who acted: the person (`INBOUND`) or the business (`OUTBOUND`: an echo).
    pub by: Direction,
    /// Meta's time of the event (`timestamp`, milliseconds), ISO-8601.
    pub at: String,
    pub raw: &'a Value,
    pub now: &'a str,
}

impl Event<'_> {
    pub fn conversation_pk(&self) -> String {
        keys::conversation(self.account, &self.customer)
    }
}

/// Processes the entries of one Instagram or Messenger webhook body.
///
/// # Errors
/// A store failure that is not the payload's fault (the caller answers 500 so Meta delivers
/// again; every write is idempotent).
pub async fn process_entries(
    ctx: &Ctx,
    channel: Channel,
    entries: &[Value],
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let now = time::now_iso();
    for (index, entry) in entries.iter().enumerate() {
        let Some(account) = entry.get("id").and_then(id_of) else {
            report.counts.poison += 1;
            report.errors.push(format!("entry[{index}] has no id"));
            continue;
        };
        let mut events: Vec<&Value> = Vec::new();
        for key in ["messaging", "standby"] {
            if let Some(list) = entry.get(key).and_then(Value::as_array) {
                events.extend(list);
            }
        }
        for raw in events {
            process_event(ctx, channel, &account, raw, &now, report).await?;
        }
    }
    Ok(())
}

async fn process_event(
    ctx: &Ctx,
    channel: Channel,
    account: &str,
    raw: &Value,
    now: &str,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let sender = raw.pointer("/sender/id").and_then(id_of);
    let recipient = raw.pointer("/recipient/id").and_then(id_of);
    // The business's own messages (echoes) come from the account, to the person.
    let (customer, by) = match (sender, recipient) {
        (Some(s), Some(r)) if s == account => (r, Direction::Outbound),
        (Some(s), _) => (s, Direction::Inbound),
        _ => {
            report.counts.poison += 1;
            report
                .errors
                .push(format!("{} event without sender.id", channel.as_str()));
            return Ok(());
        }
    };
    let at = raw
        .get("timestamp")
        .and_then(from_millis)
        .unwrap_or_else(|| now.to_string());
    let event = Event {
        channel,
        account,
        customer,
        by,
        at,
        raw,
        now,
    };
    if raw.get("message").is_some() || raw.get("postback").is_some() {
        message::record(ctx, &event, report).await
    } else if let Some(reaction) = raw.get("reaction") {
        react(ctx, &event, reaction, report).await
    } else if raw.get("read").is_some() || raw.get("delivery").is_some() {
        receipts::apply(ctx, &event, report).await
    } else {
        // Referrals without a message, opt-ins, handovers, account linking: nothing to store.
        let keys: Vec<&str> = raw
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        debug!(
            channel = channel.as_str(),
            ?keys,
            "messaging event without a message, reaction or receipt: not stored"
        );
        Ok(())
    }
}

/// A `reaction` event: the person's reaction to `mid` set (`react`) or removed (`unreact`).
async fn react(
    ctx: &Ctx,
    event: &Event<'_>,
    reaction: &Value,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let Some(target) = reaction.get("mid").and_then(Value::as_str) else {
        report.counts.poison += 1;
        report
            .errors
            .push("reaction without the mid it reacts to".into());
        return Ok(());
    };
    let emoji = match reaction.get("action").and_then(Value::as_str) {
        Some("unreact") => None,
        _ => ["emoji", "reaction"]
            .iter()
            .find_map(|k| reaction.get(*k).and_then(Value::as_str))
            .filter(|e| !e.is_empty())
            .map(str::to_string),
    };
    let reactor = match event.by {
        Direction::Inbound => event.customer.clone(),
        Direction::Outbound => event.account.to_string(),
    };
    // A reaction has no id of its own: who, when and on what make one (a redelivery repeats it).
    let timestamp = event.raw.get("timestamp").map(Value::to_string);
    let id = format!(
        "reaction.{reactor}.{}.{target}",
        timestamp.as_deref().unwrap_or("0")
    );
    let annotation = Annotation {
        target: target.to_string(),
        id: id.clone(),
        at: event.at.clone(),
        change: Change::React { reactor, emoji },
        keep_deleted_content: ctx.settings().inbound.keep_deleted_content,
        now: event.now.to_string(),
    };
    let what = format!("reaction {id}");
    let Some(changed) = crate::inbound::tolerate(
        ctx.store().annotate_message(&annotation).await,
        &what,
        report,
    )?
    else {
        return Ok(());
    };
    if changed.is_some() {
        report.counts.changes += 1;
        report.new_types.push("reaction".into());
    } else {
        report.counts.duplicates += 1;
    }
    let activity = ConversationEvent {
        pk: event.conversation_pk(),
        at: event.at.clone(),
        now: event.now.to_string(),
        ..Default::default()
    };
    crate::inbound::tolerate(
        ctx.store().apply_conversation_event(&activity).await,
        &what,
        report,
    )?;
    Ok(())
}

/// Marks the conversation with its channel (idempotent; kept by every later merge, since
/// [`crate::model::ConversationItem::channel`] is part of the item).
pub(crate) async fn mark_channel(
    ctx: &Ctx,
    event: &Event<'_>,
    report: &mut RecordReport,
) -> Result<(), StoreError> {
    let set = json!({ CHANNEL_ATTR: event.channel.as_str() });
    crate::inbound::tolerate(
        ctx.store()
            .merge_record(&event.conversation_pk(), &set, None)
            .await,
        "conversation channel",
        report,
    )?;
    Ok(())
}

/// An id Meta sends as a string (or, rarely, as a number).
fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A Messenger/Instagram time (milliseconds since the epoch; seconds are accepted too) as
/// ISO-8601.
pub(crate) fn from_millis(v: &Value) -> Option<String> {
    let n = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    let millis = if n > 100_000_000_000 { n } else { n * 1000 };
    chrono::DateTime::from_timestamp_millis(millis).map(time::iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_name_channels_and_times_are_milliseconds() {
        assert_eq!(Channel::of_object("page"), Some(Channel::Messenger));
        assert_eq!(Channel::of_object("instagram"), Some(Channel::Instagram));
        assert_eq!(Channel::of_object("whatsapp_business_account"), None);
        assert_eq!(
            from_millis(&json!(1_458_692_752_478_i64)).as_deref(),
            Some("2016-03-23T00:25:52Z")
        );
        assert_eq!(
            from_millis(&json!(1_458_692_752)).as_deref(),
            Some("2016-03-23T00:25:52Z")
        );
    }
}
