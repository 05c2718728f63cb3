//! Replies on Instagram and Messenger conversations (`channel` set by [`crate::social`]): the
//! send pipeline's message becomes a Send API request,
//! `{"recipient": {"id": PSID or IGSID}, "messaging_type": "RESPONSE", "message": {...}}`, which
//! the Graph API sender posts to `/me/messages`. Text, media by link (image, video, audio,
//! document as `file`) and reply buttons (as quick replies) are carried over; anything else is
//! refused with a 400 that says so.

use serde_json::{Value, json};

use super::Outgoing;
use crate::error::HandlerError;
use crate::model::ConversationItem;

/// The social channel of a conversation, when it is one.
pub(super) fn channel_of(conversation: Option<&ConversationItem>) -> Option<&str> {
    conversation
        .and_then(|c| c.channel.as_deref())
        .filter(|c| matches!(*c, "instagram" | "messenger"))
}

/// The Send API request of `out` to `customer` on `channel`.
///
/// # Errors
/// 400 for a message kind the channel cannot carry.
pub(super) fn message(
    channel: &str,
    customer: &str,
    out: &Outgoing,
    reply_to: Option<&str>,
) -> Result<Value, HandlerError> {
    let unsupported = |why: &str| {
        HandlerError::invalid(
            out.kind,
            format!("{} cannot be sent on {channel}: {why}", out.kind),
        )
    };
    let body = &out.body;
    let content = match out.kind {
        "text" => json!({"text": body.get("body").cloned().unwrap_or_default()}),
        "image" | "video" | "audio" | "document" => {
            let Some(link) = body.get("link").and_then(Value::as_str) else {
                return Err(unsupported(
                    "send the file by `link` (a WhatsApp media id or media-store key is not available on this channel)",
                ));
            };
            let kind = if out.kind == "document" {
                "file"
            } else {
                out.kind
            };
            json!({"attachment": {"type": kind, "payload": {"url": link, "is_reusable": true}}})
        }
        "interactive" if body.get("type").and_then(Value::as_str) == Some("button") => {
            let text = body.pointer("/body/text").cloned().unwrap_or_default();
            let replies: Vec<Value> = body
                .pointer("/action/buttons")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|b| {
                    let reply = b.get("reply")?;
                    Some(json!({
                        "content_type": "text",
                        "title": reply.get("title")?,
                        "payload": reply.get("id")?,
                    }))
                })
                .collect();
            json!({"text": text, "quick_replies": replies})
        }
        _ => {
            return Err(unsupported(
                "only text, media by link and reply buttons are carried to Instagram and Messenger",
            ));
        }
    };
    let mut request = json!({
        "recipient": {"id": customer},
        "messaging_type": "RESPONSE",
        "message": content,
    });
    if let Some(mid) = reply_to {
        request["reply_to"] = json!({"mid": mid});
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(kind: &'static str, body: Value) -> Outgoing {
        Outgoing {
            kind,
            body,
            free_form: true,
            text: None,
            preview: String::new(),
            media: None,
        }
    }

    #[test]
    fn text_media_and_buttons_become_send_api_requests() {
        let text = message(
            "instagram",
            "1789",
            &out("text", json!({"body": "Hi 👋", "preview_url": false})),
            Some("m_1"),
        )
        .unwrap();
        assert_eq!(
            text,
            json!({"recipient": {"id": "1789"}, "messaging_type": "RESPONSE", "message": {"text": "Hi 👋"}, "reply_to": {"mid": "m_1"}})
        );
        let doc = message(
            "messenger",
            "55",
            &out("document", json!({"link": "https://x.test/a.pdf"})),
            None,
        )
        .unwrap();
        assert_eq!(doc["message"]["attachment"]["type"], "file");
        let buttons = message(
            "messenger",
            "55",
            &out(
                "interactive",
                json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]}}),
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            buttons["message"],
            json!({"text": "Pick", "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "yes"}]})
        );
        let refused =
            message("instagram", "1", &out("image", json!({"id": "123"})), None).unwrap_err();
        assert_eq!(refused.status(), 400);
        assert!(message("instagram", "1", &out("template", json!({})), None).is_err());
    }
}
