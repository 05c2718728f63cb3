//! The outbound ports: sending through EUM Social (or the local sandbox) and keeping media
//! (S3 or a local directory). The root crate implements them; the core only sees these traits.

pub mod account;
pub mod live;
pub mod notify;
pub mod queue;
pub mod templates;
pub mod work_queue;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What kind of failure EUM Social (or the sandbox) answered: what the caller can do about it.
/// [`crate::HandlerError::status`] maps each kind to its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFailure {
    /// Throttled even after the SDK's retries with backoff.
    Throttled,
    /// EUM Social or Meta refused the parameters.
    Invalid,
    NotFound,
    /// Access denied by EUM Social (IAM) or by Meta.
    AccessDenied,
    /// Anything else: the service failed or could not be reached.
    Failed,
    /// The operation is not available with this sender (the sandbox cannot fetch real media).
    Unsupported,
}

impl SendFailure {
    fn describe(self) -> &'static str {
        match self {
            SendFailure::Throttled => "EUM Social throttled the request (retried with backoff)",
            SendFailure::Invalid => "EUM Social rejected the request",
            SendFailure::NotFound => "EUM Social resource not found",
            SendFailure::AccessDenied => "access denied by EUM Social or Meta",
            SendFailure::Failed => "EUM Social failed",
            SendFailure::Unsupported => "not supported",
        }
    }
}

/// Why EUM Social (or the sandbox) refused or failed a request. The message is what the caller
/// is told (EUM's or Meta's own words, never SDK internals); the SDK error stays as the source,
/// for logs.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}{}", kind.describe(), recorded_note(recorded_as.as_deref()))]
pub struct SendError {
    pub kind: SendFailure,
    pub message: String,
    /// The id a failed send was recorded under, once it was.
    pub recorded_as: Option<String>,
    #[source]
    pub source: Option<BoxError>,
}

fn recorded_note(id: Option<&str>) -> String {
    id.map(|id| format!(" (recorded as failed message {id})"))
        .unwrap_or_default()
}

impl SendError {
    pub fn new(kind: SendFailure, message: impl Into<String>) -> Self {
        SendError {
            kind,
            message: message.into(),
            recorded_as: None,
            source: None,
        }
    }

    /// Keeps the underlying error (an SDK error) for logs and retry decisions.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The same error, saying under which id the failed send was recorded.
    #[must_use]
    pub fn recorded_as(mut self, id: &str) -> Self {
        self.recorded_as = Some(id.to_string());
        self
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

    /// True when the origination is Meta's own phone number id (the Graph API sender): with no
    /// origination configured, a send goes from the business phone it names.
    fn addresses_meta_ids(&self) -> bool {
        false
    }

    fn describe(&self) -> String;
}

/// Why the media store failed. The message names the cause for the caller; the underlying
/// error (S3's, the file system's) stays as the source, for logs.
#[derive(Debug, thiserror::Error)]
#[error("media store ({operation}): {message}")]
pub struct MediaError {
    pub operation: &'static str,
    pub message: String,
    /// True when the object does not exist.
    pub not_found: bool,
    /// True when the deployment refuses us whatever the request (access denied, a missing
    /// bucket): neither the payload's fault nor one that passes by itself.
    pub fault: bool,
    #[source]
    pub source: Option<BoxError>,
}

impl MediaError {
    pub fn new(operation: &'static str, message: impl Into<String>) -> Self {
        MediaError {
            operation,
            message: message.into(),
            not_found: false,
            fault: false,
            source: None,
        }
    }

    /// The object does not exist.
    pub fn not_found(operation: &'static str, message: impl Into<String>) -> Self {
        MediaError {
            not_found: true,
            ..Self::new(operation, message)
        }
    }

    /// The deployment refuses the media store (see [`MediaError::fault`]).
    #[must_use]
    pub fn as_fault(mut self) -> Self {
        self.fault = true;
        self
    }

    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }
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

    /// The bytes of an object, `None` when it does not exist.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError>;

    /// The bytes of an object of another bucket (`s3://bucket/key`, a campaign's CSV), `None`
    /// when it does not exist. Only S3 media stores can.
    async fn get_from(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        let _ = key;
        Err(MediaError::new(
            "get_from",
            format!(
                "this media store reads no other bucket (`{bucket}`); give a key of the media store"
            ),
        ))
    }

    /// A URL that fetches the object for `expires_secs` seconds.
    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, MediaError>;

    async fn delete(&self, key: &str) -> Result<(), MediaError>;

    /// `s3://bucket` or `file:///dir`.
    fn describe(&self) -> String;
}
