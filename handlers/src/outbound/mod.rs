//! The send pipeline shared by every `send_*` action: recipient, phones, the checks of what is
//! stored, the 24-hour window, Meta's `/messages` JSON, the idempotency claim, the EUM Social
//! call, and the OUTBOUND item.

mod common;
mod idempotency;
mod media_source;
mod social;

use chrono::Duration;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tracing::warn;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::{
    self, ConversationItem, Direction, ItemType, MessageItem, MessageStatus, MetaError,
    SendIntentItem, SendState,
};
use crate::params;
use crate::ports::{SendError, SendFailure};
use crate::store::{ConversationTouch, put_item};
use crate::time;

pub use common::SendCommon;
pub use idempotency::{
    DERIVED_WINDOW_SECS, INTENT_TTL_DAYS, MAX_CALLER_CALLBACK_LEN, MAX_KEY_LEN, parse_tag,
    reconcile,
};
pub use media_source::MediaSource;

/// What one send action built.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Meta's message type (`text`, `image`, `interactive`, `template`, ...).
    pub kind: &'static str,
    /// The object under `kind` in Meta's JSON.
    pub body: Value,
    /// Template messages may be sent outside the 24-hour window; nothing else may.
    pub free_form: bool,
    pub text: Option<String>,
    pub preview: String,
    pub media: Option<model::MediaPart>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendOutput {
    pub wa_message_id: String,
    pub status: String,
    pub conversation_pk: String,
    pub phone_number_id: String,
    /// The Meta JSON that was sent, for inspection.
    pub message: Value,
    /// The caller's key, or the derived `auto:…` key.
    pub idempotency_key: String,
    /// True when this answer repeats an earlier send with the same key (nothing was sent now).
    pub replayed: bool,
}

impl SendOutput {
    fn of(intent: &SendIntentItem, wa_message_id: &str, replayed: bool) -> Self {
        SendOutput {
            wa_message_id: wa_message_id.to_string(),
            status: MessageStatus::Accepted.into(),
            conversation_pk: intent.conversation_pk.clone(),
            phone_number_id: intent.phone_number_id.clone(),
            message: intent.message.clone(),
            idempotency_key: intent.idempotency_key.clone(),
            replayed,
        }
    }
}

/// A stored item (MESSAGE, SEND intent) is refused above this many bytes of JSON: DynamoDB
/// holds at most 400 KB per item, names included, and the MESSAGE item adds its own attributes.
pub const MAX_ITEM_BYTES: usize = 350_000;

/// Sends one message and records it, at most once per idempotency key (see
/// `outbound::idempotency`). A send that EUM Social refuses or fails is recorded too, as a
/// MESSAGE with `status = "failed"` and the error (its id is in the error message), so no send is
/// silently lost. Requests refused before sending (parameters, sizes, the 24-hour window) store
/// nothing.
///
/// # Errors
/// Parameter errors and fields too large to store (400), the 24-hour window (400), a key that is
/// pending (409) or reused for another request (422), EUM Social's errors mapped to
/// 429/400/404/403/502, a store failure after EUM accepted the message (`SentNotRecorded`, 503).
pub async fn send(
    ctx: &Ctx,
    common: &SendCommon,
    out: Outgoing,
) -> Result<SendOutput, HandlerError> {
    let (mut customer_id, mut wa_id, user_id) = common::recipient(common)?;
    common::check_fields(common)?;
    // A phone named by its EUM id, ARN or display number (cached by get_config).
    let named = crate::platform::phones::named(ctx, common.phone_number_id.as_deref()).await?;
    let phone = match &named {
        Some((meta, _)) => meta.clone(),
        None => params::phone_number_id(common.phone_number_id.as_deref(), ctx.default_phone())?,
    };
    common::check_stored("phoneNumberId", &phone, common::MAX_PHONE_ID_LEN)?;
    let origination = ctx.origination(
        (common.origination_phone_number_id.as_deref())
            .or(named.as_ref().map(|(_, eum)| eum.as_str())),
        Some(&phone),
    )?;
    common::check_stored(
        "originationPhoneNumberId",
        &origination,
        common::MAX_ORIGINATION_LEN,
    )?;
    let mut conversation_pk = keys::conversation(&phone, &customer_id);
    // One instant: the send's time (whole seconds, as every stored time) and, to the
    // nanosecond, what orders its message among others of that second.
    let instant = chrono::Utc::now();
    let (now, requested_at) = (time::iso(instant), time::precise_iso(instant));
    // The customer's conversation, found from any number it had: a number the customer changed
    // to leads to it, and a send to a number the customer left goes to the current one.
    let conversation = ctx.store().get_conversation(&conversation_pk).await?;
    if let Some(conv) = &conversation {
        let left = wa_id
            .as_ref()
            .is_some_and(|addressed| conv.previous_wa_ids.contains(addressed));
        if left && conv.wa_id.is_some() {
            wa_id = conv.wa_id.clone();
        }
        if conv.pk != conversation_pk {
            conversation_pk = conv.pk.clone();
            customer_id = conv.customer_id.clone();
        } else if left {
            customer_id = conv.customer_id.clone();
        }
    }

    let mut message = Map::new();
    message.insert("messaging_product".into(), json!("whatsapp"));
    message.insert("recipient_type".into(), json!("individual"));
    match (&wa_id, &user_id) {
        (Some(to), _) => message.insert("to".into(), json!(to)),
        (None, Some(bsuid)) => message.insert("recipient".into(), json!(bsuid)),
        (None, None) => None,
    };
    let reply_to = common
        .reply_to
        .clone()
        .map(String::from)
        .filter(|r| !r.is_empty());
    if let Some(reply_to) = &reply_to {
        message.insert("context".into(), json!({"message_id": reply_to}));
    }
    if let Some(data) = &common.biz_opaque_callback_data {
        message.insert("biz_opaque_callback_data".into(), json!(data));
    }
    message.insert("type".into(), json!(out.kind));
    message.insert(out.kind.into(), out.body.clone());
    let message = Value::Object(message);
    // Instagram and Messenger conversations (issue 10): the Send API request instead.
    let channel = social::channel_of(conversation.as_ref()).map(str::to_string);
    let message = match social::channel_of(conversation.as_ref()) {
        Some(channel) => {
            if !ctx.sender().addresses_meta_ids() && !ctx.sender().is_sandbox() {
                return Err(HandlerError::invalid(
                    "phoneNumberId",
                    format!(
                        "`{phone}` is a {channel} account: replies on {channel} go through the Graph API (SENDER=graph), not {}",
                        ctx.sender().describe()
                    ),
                ));
            }
            social::message(channel, &customer_id, &out, reply_to.as_deref())?
        }
        None => message,
    };
    let fingerprint =
        idempotency::fingerprint(&phone, &origination, &message, out.kind, out.media.as_ref());

    let plan = SendIntentItem {
        pk: String::new(),
        item_type: ItemType::Send,
        item_type_pk: None,
        idempotency_key: String::new(),
        key_source: String::new(),
        attempt: 0,
        fingerprint,
        state: SendState::Pending,
        wa_message_id: None,
        recorded: false,
        phone_number_id: phone.clone(),
        conversation_pk: conversation_pk.clone(),
        customer_id: customer_id.clone(),
        wa_id,
        user_id,
        kind: out.kind.to_string(),
        text: out.text.clone(),
        preview: out.preview.clone(),
        media: out.media.clone(),
        reply_to,
        biz_opaque_callback_data: common.biz_opaque_callback_data.clone(),
        message: message.clone(),
        error: None,
        failed_message_id: None,
        created_at: now.clone(),
        requested_at: Some(requested_at),
        updated_at: now.clone(),
        ttl: idempotency::ttl(&now),
    };
    check_size(&plan, out.kind)?;

    let store = ctx.store();
    let (key, source) = idempotency::resolve_key(
        store,
        common.idempotency_key.as_deref(),
        &plan.fingerprint,
        chrono::Utc::now(),
    )
    .await?;
    if out.free_form
        && !common.force
        && let Err(closed) = check_window(conversation.as_ref(), &now)
    {
        // a retry of a message sent while the window was open is still answered
        return match idempotency::peek(store, &key, &plan.fingerprint).await? {
            Some(sent) => {
                let id = sent.wa_message_id.clone().unwrap_or_default();
                Ok(SendOutput::of(&sent, &id, true))
            }
            None => Err(closed),
        };
    }
    let plan = SendIntentItem {
        idempotency_key: key,
        key_source: source.to_string(),
        ..plan
    };
    let mut intent = match idempotency::claim(store, plan, &message).await? {
        idempotency::Claim::Owned(intent) => intent,
        idempotency::Claim::Replay(intent) => {
            let id = intent.wa_message_id.clone().unwrap_or_default();
            if !intent.recorded {
                complete_on_replay(ctx, &intent, &id).await;
            }
            return Ok(SendOutput::of(&intent, &id, true));
        }
    };

    let sent = match ctx.sender().send(&origination, &intent.message).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(SendError::new(
            SendFailure::Failed,
            "EUM Social answered without a messageId",
        )),
        Err(e) => Err(e),
    };
    match sent {
        Ok(id) => {
            let (mut item, touch) = message_records(&intent, &id, MessageStatus::Accepted);
            item.channel = channel;
            let recorded = store.record_message(&item, &touch).await;
            if let Ok(r) = &recorded {
                // analytics (issue 9)
                crate::analytics::counters::after_send(
                    store,
                    &item,
                    Some(&intent.idempotency_key),
                    *r,
                )
                .await;
            }
            intent.state = SendState::Sent;
            intent.item_type_pk = None;
            intent.wa_message_id = Some(id.clone());
            intent.recorded = recorded.is_ok();
            intent.updated_at = time::now_iso();
            let saved = put_item(store, &intent).await;
            match (recorded, saved) {
                (Ok(_), Ok(())) => Ok(SendOutput::of(&intent, &id, false)),
                // The message is stored; the intent stays pending until its first status.
                (Ok(_), Err(e)) => {
                    warn!(intent = %intent.pk, error = %crate::error::chain(&e), "sent and recorded, but the intent could not be completed; its status webhook completes it");
                    Ok(SendOutput::of(&intent, &id, false))
                }
                (Err(source), _) => Err(HandlerError::SentNotRecorded {
                    wa_message_id: id,
                    source,
                }),
            }
        }
        // A failed send is kept as a MESSAGE with its error, but is not the conversation's
        // last message: the customer never received it. The intent records the failure, and a
        // retry with the same key sends again (nothing reached the customer).
        Err(e) => {
            let id = local_failure_id();
            let error = MetaError {
                title: Some("send failed".into()),
                message: Some(e.to_string()),
                ..Default::default()
            };
            let (mut item, _) = message_records(&intent, &id, MessageStatus::Failed);
            item.failed_at = Some(intent.created_at.clone());
            item.error = Some(error);
            let record = serde_json::to_value(&item)?;
            store.put_record(&record).await?;
            intent.state = SendState::Failed;
            intent.item_type_pk = None;
            intent.error = Some(e.to_string());
            intent.failed_message_id = Some(id.clone());
            intent.updated_at = time::now_iso();
            if let Err(saved) = put_item(store, &intent).await {
                warn!(intent = %intent.pk, error = %crate::error::chain(&saved), "the failed send's intent could not be updated; the key stays pending");
            }
            Err(HandlerError::Send(e.recorded_as(&id)))
        }
    }
}

/// A replayed send whose MESSAGE could not be stored the first time: stored now (best effort;
/// its status webhook does it otherwise).
async fn complete_on_replay(ctx: &Ctx, intent: &SendIntentItem, id: &str) {
    let (item, touch) = message_records(intent, id, MessageStatus::Accepted);
    match ctx.store().record_message(&item, &touch).await {
        // analytics (issue 9)
        Ok(r) => {
            crate::analytics::counters::after_send(
                ctx.store(),
                &item,
                Some(&intent.idempotency_key),
                r,
            )
            .await;
        }
        Err(e) => {
            warn!(intent = %intent.pk, error = %crate::error::chain(&e), "replayed send still not recorded");
            return;
        }
    }
    let done = SendIntentItem {
        recorded: true,
        updated_at: time::now_iso(),
        ..intent.clone()
    };
    if let Err(e) = put_item(ctx.store(), &done).await {
        warn!(intent = %intent.pk, error = %crate::error::chain(&e), "replayed send recorded, intent not updated");
    }
}

/// The OUTBOUND MESSAGE item of an intent under id `id`, and how it touches its conversation.
/// Used by the send and by a status webhook that completes a pending intent, so both record
/// the same item.
pub(crate) fn message_records(
    intent: &SendIntentItem,
    id: &str,
    status: MessageStatus,
) -> (MessageItem, ConversationTouch) {
    let at = &intent.created_at;
    let item = MessageItem {
        pk: keys::message(id),
        item_type: ItemType::Message,
        wa_message_id: id.to_string(),
        direction: Direction::Outbound,
        kind: Some(intent.kind.clone()),
        from: Some(intent.phone_number_id.clone()),
        to: Some(intent.customer_id.clone()),
        to_user_id: intent.user_id.clone(),
        phone_number_id: Some(intent.phone_number_id.clone()),
        conversation_pk: Some(intent.conversation_pk.clone()),
        received_at: at.clone(),
        arrived_at: intent.requested_at.clone(),
        created_at: at.clone(),
        status_rank: status.rank(),
        status,
        biz_opaque_callback_data: intent.biz_opaque_callback_data.clone(),
        text: intent.text.clone(),
        media: intent.media.clone(),
        context: intent.reply_to.as_ref().map(|r| model::ContextPart {
            id: Some(r.clone()),
            ..Default::default()
        }),
        raw: Some(intent.message.clone()),
        ..Default::default()
    };
    let touch = ConversationTouch {
        pk: intent.conversation_pk.clone(),
        inbox_pk: keys::inbox(&intent.phone_number_id),
        phone_number_id: intent.phone_number_id.clone(),
        customer_id: intent.customer_id.clone(),
        wa_id: intent.wa_id.clone(),
        user_id: intent.user_id.clone(),
        message_at: at.clone(),
        message_arrived_at: intent.requested_at.clone(),
        message_id: id.to_string(),
        preview: intent.preview.clone(),
        direction: Direction::Outbound,
        inbound: false,
        now: time::now_iso(),
        ..Default::default()
    };
    (item, touch)
}

/// Refuses a message whose items would not fit the table, naming the message type's parameter.
fn check_size(plan: &SendIntentItem, kind: &str) -> Result<(), HandlerError> {
    let bytes = serde_json::to_vec(plan)?.len();
    if bytes > MAX_ITEM_BYTES {
        return Err(HandlerError::invalid(
            kind,
            format!(
                "the message would be stored as {bytes} bytes; a table item holds at most 400 KB (sends are refused above {MAX_ITEM_BYTES} bytes)"
            ),
        ));
    }
    Ok(())
}

fn check_window(conversation: Option<&ConversationItem>, now: &str) -> Result<(), HandlerError> {
    let last = conversation.and_then(|c| c.last_inbound_at.clone());
    let open = match (
        last.as_deref().and_then(time::parse_iso),
        time::parse_iso(now),
    ) {
        (Some(last), Some(now)) => now - last < Duration::hours(24),
        _ => false,
    };
    if open {
        return Ok(());
    }
    let since = match last {
        Some(at) => format!("the customer last wrote at {at}"),
        None => "the customer has not written to this number".into(),
    };
    Err(HandlerError::WindowClosed(format!(
        "outside the 24-hour customer-service window ({since}): WhatsApp only delivers free-form messages within 24 hours of the customer's last message, and Meta would fail this one later with error 131047. Send an approved template with send_template, or pass \"force\": true to send anyway"
    )))
}

/// An id for a send that never reached WhatsApp (so it has no wamid).
fn local_failure_id() -> String {
    format!("failed.{}", uuid::Uuid::now_v7().simple())
}
