//! The send pipeline shared by every `send_*` action: recipient, phones, the 24-hour window,
//! Meta's `/messages` JSON, the EUM Social call, and the OUTBOUND item.

mod common;
mod media_source;

use chrono::Duration;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::keys;
use crate::model::{self, Direction, ItemType, MessageItem, MessageStatus, MetaError};
use crate::params::{self, check_len};
use crate::ports::{SendError, SendFailure};
use crate::store::ConversationTouch;
use crate::time;

pub use common::SendCommon;
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
}

/// Sends one message and records it. A send that EUM Social refuses or fails is recorded too,
/// as a MESSAGE with `status = "failed"` and the error (its id is in the error message), so no
/// send is silently lost. Requests refused before sending (parameters, the 24-hour window) store
/// nothing.
///
/// # Errors
/// Parameter errors (400), the 24-hour window (400), EUM Social's errors mapped to 429/400/404/403/502.
pub async fn send(
    ctx: &Ctx,
    common: &SendCommon,
    out: Outgoing,
) -> Result<SendOutput, HandlerError> {
    let (customer_id, wa_id, user_id) = common::recipient(common)?;
    if let Some(data) = &common.biz_opaque_callback_data {
        check_len("bizOpaqueCallbackData", data, 512)?;
    }
    let phone = params::phone_number_id(common.phone_number_id.as_deref(), ctx.default_phone())?;
    let origination =
        ctx.origination(common.origination_phone_number_id.as_deref(), Some(&phone))?;
    let conversation_pk = keys::conversation(&phone, &customer_id);
    let now = time::now_iso();

    if out.free_form && !common.force {
        check_window(ctx, &conversation_pk, &now).await?;
    }

    let mut message = Map::new();
    message.insert("messaging_product".into(), json!("whatsapp"));
    message.insert("recipient_type".into(), json!("individual"));
    match (&wa_id, &user_id) {
        (Some(to), _) => message.insert("to".into(), json!(to)),
        (None, Some(bsuid)) => message.insert("recipient".into(), json!(bsuid)),
        (None, None) => None,
    };
    if let Some(reply_to) = common.reply_to.as_deref().filter(|r| !r.is_empty()) {
        message.insert("context".into(), json!({"message_id": reply_to}));
    }
    if let Some(data) = &common.biz_opaque_callback_data {
        message.insert("biz_opaque_callback_data".into(), json!(data));
    }
    message.insert("type".into(), json!(out.kind));
    message.insert(out.kind.into(), out.body.clone());
    let message = Value::Object(message);

    let sent = match ctx.sender().send(&origination, &message).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(SendError::new(
            SendFailure::Failed,
            "EUM Social answered without a messageId",
        )),
        Err(e) => Err(e),
    };
    let (id, status, error) = match &sent {
        Ok(id) => (id.clone(), MessageStatus::Accepted, None),
        Err(e) => (
            local_failure_id(),
            MessageStatus::Failed,
            Some(MetaError {
                title: Some("send failed".into()),
                message: Some(e.to_string()),
                ..Default::default()
            }),
        ),
    };
    let item = MessageItem {
        pk: keys::message(&id),
        item_type: ItemType::Message,
        wa_message_id: id.clone(),
        direction: Direction::Outbound,
        kind: Some(out.kind.to_string()),
        from: Some(phone.clone()),
        to: Some(customer_id.clone()),
        to_user_id: user_id.clone(),
        phone_number_id: Some(phone.clone()),
        conversation_pk: Some(conversation_pk.clone()),
        direction_pk: Some(keys::direction(&phone, Direction::Outbound.as_str(), &now)),
        received_at: now.clone(),
        created_at: now.clone(),
        status: status.clone(),
        status_rank: status.rank(),
        failed_at: error.as_ref().map(|_| now.clone()),
        error,
        biz_opaque_callback_data: common.biz_opaque_callback_data.clone(),
        text: out.text.clone(),
        media: out.media.clone(),
        context: common.reply_to.as_ref().map(|r| model::ContextPart {
            id: Some(r.clone()),
            ..Default::default()
        }),
        raw: Some(message.clone()),
        ..Default::default()
    };
    let touch = ConversationTouch {
        pk: conversation_pk.clone(),
        inbox_pk: keys::inbox(&phone),
        phone_number_id: phone.clone(),
        customer_id: customer_id.clone(),
        wa_id,
        user_id,
        message_at: now.clone(),
        message_id: id.clone(),
        preview: out.preview.clone(),
        direction: Direction::Outbound,
        inbound: false,
        now: now.clone(),
        ..Default::default()
    };
    match sent {
        Ok(_) => {
            ctx.store().record_message(&item, &touch).await?;
        }
        // A failed send is kept as a MESSAGE with its error, but is not the conversation's
        // last message: the customer never received it.
        Err(e) => {
            let record = serde_json::to_value(&item)?;
            ctx.store().put_record(&record).await?;
            return Err(HandlerError::Send(e.recorded_as(&id)));
        }
    }

    Ok(SendOutput {
        wa_message_id: id,
        status: status.into(),
        conversation_pk,
        phone_number_id: phone,
        message,
    })
}

async fn check_window(ctx: &Ctx, conversation_pk: &str, now: &str) -> Result<(), HandlerError> {
    let conversation = ctx.store().get_conversation(conversation_pk).await?;
    let last = conversation
        .as_ref()
        .and_then(|c| c.last_inbound_at.clone());
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
