//! The send pipeline shared by every `send_*` action: recipient, phones, the 24-hour window,
//! Meta's `/messages` JSON, the EUM Social call, and the OUTBOUND item.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::HandlerError;
use crate::keys;
use crate::model::{self, Direction, ItemType, MessageItem, MessageStatus, MetaError};
use crate::params;
use crate::registry::Ctx;
use crate::store::ConversationTouch;
use crate::time;

/// Parameters every send accepts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendCommon {
    /// The customer's phone number (`+1 650 555 1234` or `16505551234`).
    #[serde(default)]
    pub to: Option<String>,
    /// The customer's business-scoped user id (BSUID), instead of `to`.
    #[serde(default)]
    pub recipient: Option<String>,
    /// The business phone (Meta's phone number id); defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<String>,
    /// EUM Social's `phone-number-id-...` or its ARN; defaults from the configuration.
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<String>,
    /// The wamid to quote (`context.message_id`).
    #[serde(default, alias = "reply_to", alias = "context")]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    /// Send a free-form message even outside the 24-hour window.
    #[serde(default, deserialize_with = "params::lenient::bool")]
    pub force: bool,
}

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

/// Meta's limits, checked before anything is sent.
pub fn check_len(field: &str, value: &str, max: usize) -> Result<(), HandlerError> {
    let n = value.chars().count();
    if n > max {
        return Err(HandlerError::invalid(
            field,
            format!("is {n} characters; WhatsApp allows at most {max}"),
        ));
    }
    Ok(())
}

/// A required, non-empty string parameter.
pub fn non_empty(field: &str, value: &str) -> Result<(), HandlerError> {
    if value.trim().is_empty() {
        return Err(HandlerError::invalid(field, "must not be empty"));
    }
    Ok(())
}

/// The customer: digits of a phone number, or a BSUID.
fn recipient(
    common: &SendCommon,
) -> Result<(String, Option<String>, Option<String>), HandlerError> {
    match (
        common.to.as_deref().filter(|t| !t.is_empty()),
        common.recipient.as_deref().filter(|r| !r.is_empty()),
    ) {
        (Some(_), Some(_)) => Err(HandlerError::invalid(
            "to",
            "give either `to` (a phone number) or `recipient` (a BSUID), not both",
        )),
        (None, None) => Err(HandlerError::MissingParam("to (or recipient)".into())),
        (Some(to), None) => {
            let digits: String = to
                .chars()
                .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
                .collect();
            if !(6..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(HandlerError::invalid(
                    "to",
                    format!(
                        "`{to}` is not a phone number in international format (6 to 15 digits)"
                    ),
                ));
            }
            Ok((digits.clone(), Some(digits), None))
        }
        (None, Some(bsuid)) => Ok((bsuid.to_string(), None, Some(bsuid.to_string()))),
    }
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
    let (customer_id, wa_id, user_id) = recipient(common)?;
    if let Some(data) = &common.biz_opaque_callback_data {
        check_len("bizOpaqueCallbackData", data, 512)?;
    }
    let phone = params::phone_number_id(common.phone_number_id.as_deref(), ctx.default_phone())?;
    let origination = common
        .origination_phone_number_id
        .clone()
        .filter(|o| !o.is_empty())
        .or_else(|| ctx.origination_for(Some(&phone)))
        .ok_or_else(|| {
            HandlerError::MissingParam(
                "originationPhoneNumberId (no ORIGINATION_PHONE_NUMBER_ID is configured)".into(),
            )
        })?;
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
        Ok(None) => Err(crate::ports::SendError::Failed(
            "EUM Social answered without a messageId".into(),
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

fn local_failure_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("failed.{nanos:x}{:04x}", N.fetch_add(1, Ordering::Relaxed))
}

/// Media given by WhatsApp media id, public link, or a key of the media store (uploaded first).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaSource {
    #[serde(default, alias = "media_id")]
    pub media_id: Option<String>,
    #[serde(default, alias = "url")]
    pub link: Option<String>,
    #[serde(default, alias = "s3_key", alias = "key")]
    pub s3_key: Option<String>,
}

impl MediaSource {
    /// Meta's media object (`{"id"}` or `{"link"}`) and the stored media part. An S3 key is
    /// uploaded with `PostWhatsAppMessageMedia` first.
    pub async fn resolve(
        &self,
        ctx: &Ctx,
        common: &SendCommon,
    ) -> Result<(Map<String, Value>, model::MediaPart), HandlerError> {
        let given = [
            self.media_id.is_some(),
            self.link.is_some(),
            self.s3_key.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(HandlerError::InvalidParam {
                field: "mediaId".into(),
                reason: "give exactly one of `mediaId`, `link` or `s3Key`".into(),
            });
        }
        let mut object = Map::new();
        let mut part = model::MediaPart::default();
        if let Some(id) = &self.media_id {
            non_empty("mediaId", id)?;
            object.insert("id".into(), json!(id));
            part.id = Some(id.clone());
        } else if let Some(link) = &self.link {
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(HandlerError::invalid("link", "must be an http(s) URL"));
            }
            object.insert("link".into(), json!(link));
        } else if let Some(key) = &self.s3_key {
            non_empty("s3Key", key)?;
            let phone =
                params::phone_number_id(common.phone_number_id.as_deref(), ctx.default_phone())?;
            let origination = common
                .origination_phone_number_id
                .clone()
                .or_else(|| ctx.origination_for(Some(&phone)))
                .ok_or_else(|| HandlerError::MissingParam("originationPhoneNumberId".into()))?;
            let id = crate::media::upload(ctx, &origination, key, None)
                .await?
                .media_id;
            object.insert("id".into(), json!(id));
            part.id = Some(id);
            part.s3_key = Some(key.clone());
        }
        Ok((object, part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_phone_digits_or_a_bsuid() {
        let common = SendCommon {
            to: Some("+1 (650) 555-1234".into()),
            ..Default::default()
        };
        assert_eq!(recipient(&common).unwrap().0, "16505551234");
        let common = SendCommon {
            recipient: Some("US.123".into()),
            ..Default::default()
        };
        assert_eq!(recipient(&common).unwrap().2.as_deref(), Some("US.123"));
        let common = SendCommon {
            to: Some("hello".into()),
            ..Default::default()
        };
        assert!(
            recipient(&common)
                .unwrap_err()
                .to_string()
                .contains("not a phone number")
        );
        assert!(
            recipient(&SendCommon::default())
                .unwrap_err()
                .to_string()
                .contains("missing required parameter `to")
        );
    }

    #[test]
    fn limits_name_the_field_and_the_limit() {
        let err = check_len("text", &"x".repeat(4097), 4096).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `text`: is 4097 characters; WhatsApp allows at most 4096"
        );
    }
}
