//! The Twilio sender (`SENDER=twilio`): the [`handlers::ports::Sender`] port over Twilio's REST
//! Messages API (`POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form body, HTTP
//! basic auth with the account SID and auth token).
//!
//! The send pipeline builds Meta's `/messages` JSON; this sender carries what Twilio can:
//!
//! | Meta JSON | Twilio parameters |
//! |---|---|
//! | `text` | `Body` |
//! | `image`, `video`, `audio`, `document`, `sticker` with a `link` | `MediaUrl` (+ `Body` = caption) |
//! | `location` | `PersistentAction=geo:{lat},{long}\|{name}`, `Body` = name and address |
//! | `template` whose name is a Content SID (`HX…`) | `ContentSid`, `ContentVariables` = `{"1": …, "2": …}` from the body parameters |
//!
//! Everything else (interactive messages, reactions, contacts, read receipts, media by id, a
//! template by Meta name, a BSUID recipient) is refused before any request with a
//! [`SendFailure::Unsupported`] (400) naming the action and saying that Twilio cannot send it.
//! `From` is the origination: `whatsapp:+…` as given, digits become `whatsapp:+digits`, and a
//! Messaging Service SID (`MG…`) is sent as `MessagingServiceSid`.

use std::time::Duration;

use async_trait::async_trait;
use handlers::ports::{FetchedMedia, SendError, SendFailure, Sender};
use serde_json::{Value, json};

use crate::ingress::TwilioAccount;

pub struct TwilioSender {
    http: reqwest::Client,
    account: TwilioAccount,
}

impl TwilioSender {
    /// # Panics
    /// Never in practice: the client has no TLS configuration that could fail to build.
    pub fn new(account: TwilioAccount) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(15))
            .build()
            .expect("an HTTP client with default TLS");
        TwilioSender { http, account }
    }
}

/// The action that builds a Meta message of this shape (for the refusal's wording).
fn action_of(message: &Value) -> String {
    if message.get("status").and_then(Value::as_str) == Some("read") {
        return "mark_read".into();
    }
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("text");
    match kind {
        "interactive" => match message.pointer("/interactive/type").and_then(Value::as_str) {
            Some("button") => "send_interactive_buttons".into(),
            Some("list") => "send_interactive_list".into(),
            Some("cta_url") => "send_cta_url".into(),
            Some("flow") => "send_flow".into(),
            Some(other) => format!("an interactive `{other}` send"),
            None => "an interactive send".into(),
        },
        other => format!("send_{other}"),
    }
}

fn unsupported(message: &Value, why: &str) -> SendError {
    SendError::new(
        SendFailure::Unsupported,
        format!(
            "`{}` cannot be sent through Twilio (SENDER=twilio): {why}",
            action_of(message)
        ),
    )
}

/// `whatsapp:+…` for a phone given as digits, `+digits` or already prefixed.
fn whatsapp_address(number: &str) -> String {
    let number = number.trim();
    if number.starts_with("whatsapp:") {
        return number.to_string();
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    format!("whatsapp:+{digits}")
}

/// The form parameters of a send, or why Twilio cannot carry it.
///
/// # Errors
/// [`SendFailure::Unsupported`] naming the action.
pub fn form_of(origination: &str, message: &Value) -> Result<Vec<(String, String)>, SendError> {
    let mut form: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| form.push((k.to_string(), v));
    if message.get("status").is_some() {
        return Err(unsupported(message, "Twilio has no read receipts"));
    }
    let Some(to) = message.get("to").and_then(Value::as_str) else {
        return Err(unsupported(
            message,
            "Twilio needs a phone number (`to`), not a BSUID recipient",
        ));
    };
    push("To", whatsapp_address(to));
    if origination.starts_with("MG") {
        push("MessagingServiceSid", origination.to_string());
    } else {
        push("From", whatsapp_address(origination));
    }
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("text");
    let text = |p: &str| {
        message
            .pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match kind {
        "text" => push("Body", text("/text/body").unwrap_or_default()),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let link = text(&format!("/{kind}/link")).ok_or_else(|| {
                unsupported(message, "Twilio fetches media by URL: give `link` (or an `s3Key`, which becomes a presigned link), not a WhatsApp media id")
            })?;
            push("MediaUrl", link);
            if let Some(caption) = text(&format!("/{kind}/caption")) {
                push("Body", caption);
            }
        }
        "location" => {
            let lat = message
                .pointer("/location/latitude")
                .and_then(Value::as_f64)
                .unwrap_or_default();
            let lon = message
                .pointer("/location/longitude")
                .and_then(Value::as_f64)
                .unwrap_or_default();
            let name = text("/location/name").unwrap_or_default();
            push("PersistentAction", format!("geo:{lat},{lon}|{name}"));
            let body = [text("/location/name"), text("/location/address")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            push(
                "Body",
                if body.is_empty() {
                    format!("{lat},{lon}")
                } else {
                    body
                },
            );
        }
        "template" => {
            let name = text("/template/name").unwrap_or_default();
            if !name.starts_with("HX") {
                return Err(unsupported(
                    message,
                    &format!(
                        "Twilio sends templates by Content SID: approve `{name}` in Twilio's Content Template Builder and pass its SID (HX…) as the template name"
                    ),
                ));
            }
            push("ContentSid", name);
            let mut variables = serde_json::Map::new();
            let components = message
                .pointer("/template/components")
                .and_then(Value::as_array);
            let body = components
                .into_iter()
                .flatten()
                .filter(|c| c.get("type").and_then(Value::as_str) == Some("body"))
                .flat_map(|c| {
                    c.get("parameters")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                });
            for (n, parameter) in body.enumerate() {
                let value = parameter
                    .get("text")
                    .and_then(Value::as_str)
                    .map_or_else(|| parameter.to_string(), str::to_string);
                variables.insert((n + 1).to_string(), json!(value));
            }
            if !variables.is_empty() {
                push("ContentVariables", Value::Object(variables).to_string());
            }
        }
        _ => {
            return Err(unsupported(
                message,
                "Twilio's Messages API has no equivalent",
            ));
        }
    }
    Ok(form)
}

fn failure(status: u16) -> SendFailure {
    match status {
        429 => SendFailure::Throttled,
        401 | 403 => SendFailure::AccessDenied,
        404 => SendFailure::NotFound,
        400..=499 => SendFailure::Invalid,
        _ => SendFailure::Failed,
    }
}

#[async_trait]
impl Sender for TwilioSender {
    async fn send(&self, origination: &str, message: &Value) -> Result<Option<String>, SendError> {
        let mut form = form_of(origination, message)?;
        if let Some(callback) = &self.account.status_callback {
            form.push(("StatusCallback".into(), callback.clone()));
        }
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.account.api_base, self.account.account_sid
        );
        let response = self
            .http
            .post(&url)
            .basic_auth(&self.account.account_sid, Some(&self.account.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                let what = if e.is_timeout() {
                    "Twilio did not answer in time"
                } else {
                    "Twilio could not be reached"
                };
                SendError::new(SendFailure::Failed, what).with_source(e)
            })?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let code = body.get("code").map(Value::to_string).unwrap_or_default();
            let text = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            return Err(SendError::new(
                failure(status),
                format!("Twilio answered {status} (error {code}): {text}"),
            ));
        }
        body.get("sid")
            .and_then(Value::as_str)
            .map(|sid| Some(sid.to_string()))
            .ok_or_else(|| {
                SendError::new(SendFailure::Failed, "Twilio answered without a message sid")
            })
    }

    async fn upload_media(&self, _origination: &str, _key: &str) -> Result<String, SendError> {
        Err(SendError::new(
            SendFailure::Unsupported,
            "`upload_media` cannot be used with Twilio (SENDER=twilio): Twilio fetches media by URL; send with `link` or `s3Key`",
        ))
    }

    async fn fetch_media(
        &self,
        _origination: &str,
        _media_id: &str,
        _key_prefix: &str,
    ) -> Result<FetchedMedia, SendError> {
        Err(SendError::new(
            SendFailure::Unsupported,
            "`download_media` cannot be used with Twilio (SENDER=twilio): Twilio media are at the message's recorded media URL",
        ))
    }

    async fn delete_media(&self, _origination: &str, _media_id: &str) -> Result<(), SendError> {
        Err(SendError::new(
            SendFailure::Unsupported,
            "`delete_media` cannot be used with Twilio (SENDER=twilio): there is no WhatsApp media id",
        ))
    }

    fn describe(&self) -> String {
        format!("twilio:{}", self.account.account_sid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn supported_messages_become_form_parameters() {
        let text = json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "hi"}});
        assert_eq!(
            pairs(&form_of("+14155238886", &text).unwrap()),
            vec![
                ("To", "whatsapp:+16505551234"),
                ("From", "whatsapp:+14155238886"),
                ("Body", "hi")
            ]
        );
        let template = json!({"to": "1650", "type": "template", "template": {"name": "HXabc", "language": {"code": "en"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#42"}]}]}});
        let form = form_of("MGservice", &template).unwrap();
        assert_eq!(form[1], ("MessagingServiceSid".into(), "MGservice".into()));
        assert_eq!(
            form[3],
            (
                "ContentVariables".into(),
                r##"{"1":"Ana","2":"#42"}"##.into()
            )
        );
    }

    #[test]
    fn what_twilio_cannot_carry_is_refused_naming_the_action() {
        let buttons = json!({"to": "1", "type": "interactive", "interactive": {"type": "button"}});
        let err = form_of("+1", &buttons).unwrap_err();
        assert_eq!(err.kind, SendFailure::Unsupported);
        assert!(
            err.message
                .starts_with("`send_interactive_buttons` cannot be sent through Twilio"),
            "{}",
            err.message
        );
        let by_id = json!({"to": "1", "type": "image", "image": {"id": "123"}});
        assert!(
            form_of("+1", &by_id)
                .unwrap_err()
                .message
                .contains("`send_image`")
        );
        let named =
            json!({"to": "1", "type": "template", "template": {"name": "order_confirmation"}});
        assert!(
            form_of("+1", &named)
                .unwrap_err()
                .message
                .contains("Content SID")
        );
        let read = json!({"messaging_product": "whatsapp", "status": "read", "message_id": "SM1"});
        assert!(
            form_of("+1", &read)
                .unwrap_err()
                .message
                .starts_with("`mark_read`")
        );
        let reaction = json!({"to": "1", "type": "reaction", "reaction": {}});
        assert!(
            form_of("+1", &reaction)
                .unwrap_err()
                .message
                .starts_with("`send_reaction`")
        );
    }
}
