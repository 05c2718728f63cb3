//! The Graph API sender (`SENDER=graph`): replies without EUM Social, over HTTPS with reqwest.
//!
//! - WhatsApp Cloud API: `POST {GRAPH_API_URL}/{version}/{phone-number-id}/messages` with the
//!   same Meta JSON the EUM sender wraps (the origination is the Meta phone number id);
//!   media: `POST /{phone-number-id}/media` (multipart), `GET /{media-id}` then its `url`,
//!   `DELETE /{media-id}`.
//! - Messenger and Instagram: `POST {GRAPH_API_URL}/{version}/me/messages` with
//!   `{"recipient": {"id"}, "messaging_type", "message"}` (built by
//!   `handlers::outbound` for a conversation whose `channel` is `messenger` or `instagram`).
//!
//! Every request carries `Authorization: Bearer {GRAPH_API_TOKEN}`. Errors are mapped by
//! [`errors`].

mod errors;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use handlers::ports::{FetchedMedia, MediaStore, SendError, SendFailure, Sender};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

pub use errors::kind_of;

/// See the module documentation.
pub struct GraphSender {
    http: reqwest::Client,
    /// `https://graph.facebook.com` (no trailing slash).
    base: String,
    version: String,
    token: Option<String>,
    media: Arc<dyn MediaStore>,
}

impl GraphSender {
    /// # Errors
    /// The HTTP client cannot be built (no TLS roots).
    pub fn new(
        base: &str,
        version: &str,
        token: Option<String>,
        media: Arc<dyn MediaStore>,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(20))
            .build()?;
        Ok(GraphSender {
            http,
            base: base.trim_end_matches('/').to_string(),
            version: version.to_string(),
            token,
            media,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{path}", self.base, self.version)
    }

    fn authorized(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, SendError> {
        let token = self.token.as_deref().ok_or_else(|| {
            SendError::new(
                SendFailure::AccessDenied,
                "GRAPH_API_TOKEN is not set: the Graph API sender needs an access token",
            )
        })?;
        Ok(request.header(AUTHORIZATION, format!("Bearer {token}")))
    }

    /// Sends a request and reads a JSON answer; a non-2xx answer is mapped to its kind.
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, SendError> {
        let response = self
            .authorized(request)?
            .send()
            .await
            .map_err(errors::unreachable)?;
        let status = response.status();
        let body = response.text().await.map_err(errors::unreachable)?;
        if !status.is_success() {
            return Err(errors::from_response(status.as_u16(), &body));
        }
        serde_json::from_str(&body).map_err(|e| {
            SendError::new(SendFailure::Failed, "the Graph API's answer is not JSON").with_source(e)
        })
    }
}

/// True for Meta's WhatsApp JSON (`messaging_product: whatsapp`); otherwise the message is
/// a Messenger/Instagram Send API request.
fn is_whatsapp(message: &Value) -> bool {
    message.get("messaging_product").and_then(Value::as_str) == Some("whatsapp")
}

#[async_trait]
impl Sender for GraphSender {
    async fn send(&self, origination: &str, message: &Value) -> Result<Option<String>, SendError> {
        if is_whatsapp(message) {
            let url = self.url(&format!("{}/messages", segment(origination)?));
            let answer = self.call(self.http.post(url).json(message)).await?;
            // A read receipt answers {"success": true} and creates no message.
            Ok(answer
                .pointer("/messages/0/id")
                .and_then(Value::as_str)
                .map(str::to_string))
        } else {
            let answer = self
                .call(self.http.post(self.url("me/messages")).json(message))
                .await?;
            Ok(answer
                .get("message_id")
                .and_then(Value::as_str)
                .map(str::to_string))
        }
    }

    async fn upload_media(&self, origination: &str, key: &str) -> Result<String, SendError> {
        let store_error = |e: handlers::ports::MediaError| {
            SendError::new(SendFailure::Failed, e.to_string()).with_source(e)
        };
        let head = self.media.head(key).await.map_err(store_error)?;
        let bytes = self
            .media
            .get(key)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                SendError::new(SendFailure::NotFound, format!("no media object `{key}`"))
            })?;
        let mime = head
            .and_then(|h| h.content_type)
            .unwrap_or_else(|| "application/octet-stream".into());
        let filename = key.rsplit('/').next().unwrap_or("file");
        let (boundary, body) = multipart(&mime, filename, &bytes);
        let url = self.url(&format!("{}/media", segment(origination)?));
        let request = self
            .http
            .post(url)
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        let answer = self.call(request).await?;
        answer
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                SendError::new(
                    SendFailure::Failed,
                    "the Graph API answered without a media id",
                )
            })
    }

    async fn fetch_media(
        &self,
        _origination: &str,
        media_id: &str,
        key_prefix: &str,
    ) -> Result<FetchedMedia, SendError> {
        let info = self
            .call(self.http.get(self.url(segment(media_id)?)))
            .await?;
        let url = info.get("url").and_then(Value::as_str).ok_or_else(|| {
            SendError::new(
                SendFailure::Failed,
                "the Graph API gave no URL for the media",
            )
        })?;
        let mime = info
            .get("mime_type")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_string();
        let response = self
            .authorized(self.http.get(url))?
            .send()
            .await
            .map_err(errors::unreachable)?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(errors::from_response(status.as_u16(), &body));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(errors::unreachable)?
            .to_vec();
        let size = bytes.len() as u64;
        let key = format!("{key_prefix}{media_id}.{}", extension(&mime));
        self.media
            .put(&key, bytes, &mime)
            .await
            .map_err(|e| SendError::new(SendFailure::Failed, e.to_string()).with_source(e))?;
        Ok(FetchedMedia {
            mime_type: Some(mime),
            size: Some(size),
        })
    }

    async fn delete_media(&self, _origination: &str, media_id: &str) -> Result<(), SendError> {
        self.call(self.http.delete(self.url(segment(media_id)?)))
            .await
            .map(|_| ())
    }

    fn addresses_meta_ids(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!("graph:{}/{}", self.base, self.version)
    }
}

/// An id used as a path segment: refused when it could change the path.
fn segment(id: &str) -> Result<&str, SendError> {
    let id = id.trim();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(SendError::new(
            SendFailure::Invalid,
            format!(
                "`{id}` is not a Meta id (the Graph API sender needs the Meta phone number id as origination)"
            ),
        ));
    }
    Ok(id)
}

/// A file extension for a MIME type (the part after `/`, without parameters).
fn extension(mime: &str) -> String {
    let sub = mime
        .split(';')
        .next()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("bin");
    match sub.trim() {
        "jpeg" => "jpg".into(),
        "mpeg" => "mp3".into(),
        "ogg" | "opus" => "ogg".into(),
        "plain" => "txt".into(),
        s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => s.into(),
        _ => "bin".into(),
    }
}

/// The `multipart/form-data` body of a Cloud API media upload: `messaging_product`, `type`
/// and `file`. Returns the boundary and the body.
fn multipart(mime: &str, filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("whatsapp-lambda-{}", uuid_like(bytes));
    let safe_name: String = filename
        .chars()
        .map(|c| if c == '"' || c.is_control() { '_' } else { c })
        .collect();
    let mut body = Vec::with_capacity(bytes.len() + 512);
    for (name, value) in [("messaging_product", "whatsapp"), ("type", mime)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: {mime}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

/// A boundary that does not occur in the file: a hash of its bytes (FNV-1a, 64 bits) and a
/// random part.
fn uuid_like(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}{:016x}", fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_would_change_the_path_are_refused() {
        assert_eq!(segment("106540352242922").unwrap(), "106540352242922");
        assert!(segment("../me").is_err());
        assert!(segment("arn:aws:social-messaging:x").is_err());
        assert_eq!(extension("image/jpeg"), "jpg");
        assert_eq!(extension("audio/ogg; codecs=opus"), "ogg");
        assert_eq!(extension("weird"), "weird");
    }

    #[test]
    fn the_multipart_body_has_three_parts() {
        let (boundary, body) = multipart("image/png", "a\"b.png", b"PNG");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"));
        assert!(text.contains("name=\"type\"\r\n\r\nimage/png\r\n"));
        assert!(text.contains("filename=\"a_b.png\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
