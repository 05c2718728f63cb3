//! A Twilio WhatsApp webhook (form parameters) → the EUM Social event the inbound path already
//! processes, so Twilio messages and statuses become exactly the MESSAGE, CONVERSATION and
//! status items Meta's do (same keys, same exactly-once and forward-only rules, same audit and
//! replay).
//!
//! - An incoming message (`SmsStatus=received`, or a `Body`/`NumMedia` without `MessageStatus`)
//!   → one `messages[]` element: `MessageSid` is its id, `From`/`WaId` the customer,
//!   `ProfileName` the contact's name; `Body` is the text (or the first media's caption);
//!   `MediaUrl{N}`/`MediaContentType{N}` each a media message (the first under `MessageSid`, the
//!   next ones under `MessageSid#N`) whose URL is recorded; `Latitude`/`Longitude` (`Label`,
//!   `Address`) a location; `ButtonPayload`/`ButtonText` a quick-reply button;
//!   `OriginalRepliedMessageSid` the message it replies to.
//! - A status callback (`MessageStatus` other than `received`) → one `statuses[]` element;
//!   `undelivered` and `canceled` are `failed`, `queued`/`accepted`/`scheduled`/`sending` are
//!   `accepted`; `ErrorCode`/`ErrorMessage` become the status's error.
//!
//! The business phone (`metadata.phone_number_id`) is the digits of the business's number (`To` of
//! a message, `From` of a status), the WABA id the `AccountSid`. Twilio sends no timestamp, so
//! the time is when the webhook reached us (kept in the fast-ack envelope, so a retry from the
//! queue keeps it).

use serde_json::{Value, json};

/// A Twilio webhook, converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// `twilio-{MessageSid}` for a message, `twilio-{MessageSid}-{status}` for a status: stable
    /// across Twilio's retries, so a redelivery overwrites its own audit item.
    pub delivery_id: String,
    /// The EUM Social event (JSON text) for [`crate::inbound::process_delivery`].
    pub body: String,
    /// `message` or `status`.
    pub kind: &'static str,
}

/// Why a Twilio webhook cannot be converted (answered 400: Twilio shows it in its debugger).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TwilioError {
    #[error("missing form parameter `{0}`")]
    Missing(&'static str),
    #[error("`{0}` is not a WhatsApp address (expected whatsapp:+<digits>): {1}")]
    NotWhatsApp(&'static str, String),
}

/// The parameters of one request, looked up by name (the first value of a repeated name).
pub struct Form<'a>(pub &'a [(String, String)]);

impl Form<'_> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A non-empty value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<&str, TwilioError> {
        self.value(name).ok_or(TwilioError::Missing(name))
    }
}

/// `whatsapp:+14155238886` → `14155238886` (Meta's wa_id form: digits only).
///
/// # Errors
/// [`TwilioError::NotWhatsApp`] for an SMS number or anything else.
pub fn wa_digits(field: &'static str, address: &str) -> Result<String, TwilioError> {
    let digits: String = address
        .strip_prefix("whatsapp:")
        .map(|n| n.trim().trim_start_matches('+').to_string())
        .unwrap_or_default();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TwilioError::NotWhatsApp(field, address.to_string()));
    }
    Ok(digits)
}

/// True when the request is a status callback rather than an incoming message.
pub fn is_status(form: &Form<'_>) -> bool {
    form.value("MessageStatus")
        .is_some_and(|s| !matches!(s, "received" | "receiving"))
}

/// Twilio's message status → the status the store ranks (forward-only, `failed` terminal).
pub fn status_of(twilio: &str) -> &'static str {
    match twilio {
        "sent" => "sent",
        "delivered" => "delivered",
        "read" => "read",
        "failed" | "undelivered" | "canceled" => "failed",
        // queued, accepted, scheduled, sending, and anything newer
        _ => "accepted",
    }
}

/// Converts one webhook received at `received_unix` (seconds).
///
/// # Errors
/// [`TwilioError`] when `MessageSid`, `From` or `To` is missing or not a WhatsApp address.
pub fn convert(params: &[(String, String)], received_unix: i64) -> Result<Converted, TwilioError> {
    let form = Form(params);
    let sid = form.required("MessageSid")?.to_string();
    let account = form.value("AccountSid").unwrap_or("twilio").to_string();
    let from = wa_digits("From", form.required("From")?)?;
    let to = wa_digits("To", form.required("To")?)?;
    let timestamp = received_unix.to_string();
    let (business, value, delivery_id, kind) = if is_status(&form) {
        let twilio_status = form.value("MessageStatus").unwrap_or_default();
        let mut status = json!({
            "id": sid,
            "status": status_of(twilio_status),
            "timestamp": timestamp,
            "recipient_id": to,
        });
        if let Some(code) = form.value("ErrorCode") {
            status["errors"] = json!([{
                "code": code.parse::<i64>().ok(),
                "title": format!("Twilio {twilio_status} (error {code})"),
                "message": form.value("ErrorMessage"),
                "href": format!("https://www.twilio.com/docs/api/errors/{code}"),
            }]);
        } else if status_of(twilio_status) == "failed" {
            status["errors"] = json!([{"title": format!("Twilio {twilio_status}")}]);
        }
        let value = json!({"statuses": [status]});
        (
            from,
            value,
            format!("twilio-{sid}-{twilio_status}"),
            "status",
        )
    } else {
        let customer = form.value("WaId").map_or(from.clone(), str::to_string);
        let mut contact = json!({"wa_id": customer});
        if let Some(name) = form.value("ProfileName") {
            contact["profile"] = json!({"name": name});
        }
        let value = json!({"contacts": [contact], "messages": messages(&form, &sid, &customer, &timestamp)});
        (to, value, format!("twilio-{sid}"), "message")
    };
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({"display_phone_number": business, "phone_number_id": business});
    let event = json!({
        "context": {
            "MetaWabaIds": [{"wabaId": account}],
            "MetaPhoneNumberIds": [{"metaPhoneNumberId": business}],
        },
        "whatsAppWebhookEntry": {"id": account, "changes": [{"field": "messages", "value": value}]},
        "messageId": delivery_id,
        "source": "twilio",
    });
    Ok(Converted {
        delivery_id,
        body: event.to_string(),
        kind,
    })
}

/// Meta's type for a media content type.
fn media_type(content_type: &str) -> &'static str {
    match content_type.split('/').next().unwrap_or_default() {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        _ => "document",
    }
}

/// The `messages[]` of an incoming message: one per media item, else one.
fn messages(form: &Form<'_>, sid: &str, customer: &str, timestamp: &str) -> Vec<Value> {
    let base = |id: String| {
        let mut m = json!({"from": customer, "id": id, "timestamp": timestamp});
        if let Some(replied) = form.value("OriginalRepliedMessageSid") {
            let mut context = json!({"id": replied});
            if let Some(sender) = form.value("OriginalRepliedMessageSender") {
                context["from"] = json!(
                    wa_digits("OriginalRepliedMessageSender", sender)
                        .unwrap_or_else(|_| sender.to_string())
                );
            }
            m["context"] = context;
        }
        m
    };
    let body = form.get("Body").unwrap_or_default();
    let count: usize = form
        .value("NumMedia")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut out = Vec::new();
    for n in 0..count.min(10) {
        let Some(url) = form.value(&format!("MediaUrl{n}")) else {
            continue;
        };
        let content_type = form
            .value(&format!("MediaContentType{n}"))
            .unwrap_or("application/octet-stream");
        let kind = media_type(content_type);
        let id = if n == 0 {
            sid.to_string()
        } else {
            format!("{sid}#{n}")
        };
        let mut media = json!({"mime_type": content_type, "url": url});
        if n == 0 && !body.is_empty() && kind != "audio" {
            media["caption"] = json!(body);
        }
        let mut m = base(id);
        m["type"] = json!(kind);
        m[kind] = media;
        out.push(m);
    }
    if !out.is_empty() {
        return out;
    }
    let mut m = base(sid.to_string());
    if let (Some(lat), Some(lon)) = (
        form.value("Latitude").and_then(|v| v.parse::<f64>().ok()),
        form.value("Longitude").and_then(|v| v.parse::<f64>().ok()),
    ) {
        m["type"] = json!("location");
        m["location"] = json!({"latitude": lat, "longitude": lon, "name": form.value("Label"), "address": form.value("Address")});
    } else if let Some(payload) = form.value("ButtonPayload") {
        m["type"] = json!("button");
        m["button"] = json!({"payload": payload, "text": form.value("ButtonText").unwrap_or(body)});
    } else {
        m["type"] = json!("text");
        m["text"] = json!({"body": body});
    }
    vec![m]
}

#[cfg(test)]
mod tests;
