//! The outbound ports: sending through EUM Social (or the local sandbox) and keeping media
//! (S3 or a local directory). The root crate implements them; the core only sees these traits.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

/// Why EUM Social (or the sandbox) refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Throttled even after the SDK's retries with backoff.
    #[error("EUM Social throttled the request (retried with backoff): {0}")]
    Throttled(String),
    /// EUM Social or Meta refused the parameters.
    #[error("EUM Social rejected the request: {0}")]
    Invalid(String),
    #[error("EUM Social resource not found: {0}")]
    NotFound(String),
    #[error("access denied by EUM Social or Meta: {0}")]
    AccessDenied(String),
    /// Anything else: the service failed or could not be reached.
    #[error("EUM Social failed: {0}")]
    Failed(String),
    /// The operation is not available with this sender (the sandbox cannot fetch real media).
    #[error("{0}")]
    Unsupported(String),
}

impl SendError {
    /// The same error, saying under which id the failed send was recorded.
    pub fn recorded_as(self, id: &str) -> SendError {
        let note = |m: String| format!("{m} (recorded as failed message {id})");
        match self {
            SendError::Throttled(m) => SendError::Throttled(note(m)),
            SendError::Invalid(m) => SendError::Invalid(note(m)),
            SendError::NotFound(m) => SendError::NotFound(note(m)),
            SendError::AccessDenied(m) => SendError::AccessDenied(note(m)),
            SendError::Failed(m) => SendError::Failed(note(m)),
            SendError::Unsupported(m) => SendError::Unsupported(note(m)),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            SendError::Throttled(_) => 429,
            SendError::Invalid(_) | SendError::Unsupported(_) => 400,
            SendError::NotFound(_) => 404,
            SendError::AccessDenied(_) => 403,
            SendError::Failed(_) => 502,
        }
    }
}

/// Where a media file lives in the media store (an S3 object, or a file under the local media
/// directory).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaObject {
    pub key: String,
    pub size: Option<u64>,
    pub content_type: Option<String>,
}

/// What EUM Social answers when it copies a media file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FetchedMedia {
    pub mime_type: Option<String>,
    pub size: Option<u64>,
}

/// Sends WhatsApp messages and moves media through EUM Social.
#[async_trait]
pub trait Sender: Send + Sync {
    /// `SendWhatsAppMessage`: sends Meta's `/messages` JSON; returns the message id (absent
    /// for requests that create no message, such as a read receipt).
    async fn send(&self, origination: &str, message: &Value) -> Result<Option<String>, SendError>;

    /// `PostWhatsAppMessageMedia` from an object of the media store; returns the media id.
    async fn upload_media(&self, origination: &str, key: &str) -> Result<String, SendError>;

    /// `GetWhatsAppMessageMedia` into the media store under `key_prefix` (EUM appends the media
    /// id and an extension).
    async fn fetch_media(
        &self,
        origination: &str,
        media_id: &str,
        key_prefix: &str,
    ) -> Result<FetchedMedia, SendError>;

    /// `DeleteWhatsAppMessageMedia`.
    async fn delete_media(&self, origination: &str, media_id: &str) -> Result<(), SendError>;

    /// True for the local sandbox (which can also play back statuses).
    fn is_sandbox(&self) -> bool {
        false
    }

    fn describe(&self) -> String;
}

/// Why the media store failed.
#[derive(Debug, thiserror::Error)]
#[error("media store ({operation}): {message}")]
pub struct MediaError {
    pub operation: &'static str,
    pub message: String,
    /// True when the object does not exist.
    pub not_found: bool,
}

/// Keeps media bytes: S3 (`MEDIA_BUCKET`) or a local directory.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<MediaObject, MediaError>;

    /// The first object whose key starts with `prefix`.
    async fn find(&self, prefix: &str) -> Result<Option<MediaObject>, MediaError>;

    async fn head(&self, key: &str) -> Result<Option<MediaObject>, MediaError>;

    /// A URL that fetches the object for `expires_secs` seconds.
    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, MediaError>;

    async fn delete(&self, key: &str) -> Result<(), MediaError>;

    /// `s3://bucket` or `file:///dir`.
    fn describe(&self) -> String;
}
