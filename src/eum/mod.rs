//! The EUM Social sender: `SendWhatsAppMessage` and the media operations through
//! aws-sdk-socialmessaging. Throttling is retried by the SDK's retry configuration (with
//! backoff) before it is answered as 429.

mod account;

pub use account::EumAccount;

use async_trait::async_trait;
use aws_sdk_socialmessaging::Client;
use aws_sdk_socialmessaging::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_socialmessaging::primitives::Blob;
use aws_sdk_socialmessaging::types::S3File;
use handlers::ports::{FetchedMedia, SendError, SendFailure, Sender};
use serde_json::Value;

mod flows;
mod library;
pub mod templates;
pub use templates::EumTemplates;

/// See the module documentation.
pub struct EumSender {
    client: Client,
    meta_api_version: String,
    /// The media bucket EUM Social reads uploads from and writes downloads to.
    bucket: Option<String>,
}

impl EumSender {
    pub fn new(
        client: Client,
        meta_api_version: impl Into<String>,
        bucket: Option<String>,
    ) -> Self {
        EumSender {
            client,
            meta_api_version: meta_api_version.into(),
            bucket,
        }
    }

    fn bucket(&self) -> Result<&str, SendError> {
        self.bucket.as_deref().ok_or_else(|| {
            SendError::new(
                SendFailure::Unsupported,
                "MEDIA_BUCKET is not set: EUM Social moves media through an S3 bucket",
            )
        })
    }

    fn s3_file(&self, key: &str) -> Result<S3File, SendError> {
        S3File::builder()
            .bucket_name(self.bucket()?)
            .key(key)
            .build()
            .map_err(|e| {
                SendError::new(SendFailure::Invalid, format!("media key `{key}`: {e}"))
                    .with_source(e)
            })
    }
}

/// Maps EUM Social's errors to what the caller can do about them. The caller is told EUM's
/// own message (or, when the service was not reached, that it was not); the SDK error is kept
/// as the source for logs.
pub(crate) fn map_error<E, R>(err: SdkError<E, R>) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.as_service_error().and_then(|e| e.code());
    let kind = match code {
        Some("ThrottledRequestException" | "ThrottlingException") => SendFailure::Throttled,
        Some("ValidationException" | "InvalidParametersException") => SendFailure::Invalid,
        Some("ResourceNotFoundException") => SendFailure::NotFound,
        Some("AccessDeniedException" | "AccessDeniedByMetaException") => SendFailure::AccessDenied,
        _ => SendFailure::Failed,
    };
    let message = match &err {
        SdkError::ServiceError(service) => {
            // EUM's words, without ARNs (role, account) or request ids: those stay in the log.
            let message = &handlers::error::scrub(service.err().message().unwrap_or("no message"));
            match (kind, code) {
                (SendFailure::Failed, Some(code)) => format!("{code}: {message}"),
                _ => message.to_string(),
            }
        }
        SdkError::TimeoutError(_) => "EUM Social did not answer in time".into(),
        SdkError::DispatchFailure(_) => "EUM Social could not be reached".into(),
        SdkError::ResponseError(_) => "EUM Social's answer could not be read".into(),
        _ => "the request could not be built".into(),
    };
    SendError::new(kind, message).with_source(err)
}

#[async_trait]
impl Sender for EumSender {
    async fn send(&self, origination: &str, message: &Value) -> Result<Option<String>, SendError> {
        let bytes = serde_json::to_vec(message).map_err(|e| {
            SendError::new(SendFailure::Invalid, "the message is not valid JSON").with_source(e)
        })?;
        let out = self
            .client
            .send_whats_app_message()
            .origination_phone_number_id(origination)
            .message(Blob::new(bytes))
            .meta_api_version(&self.meta_api_version)
            .send()
            .await
            .map_err(map_error)?;
        Ok(out.message_id)
    }

    async fn upload_media(&self, origination: &str, key: &str) -> Result<String, SendError> {
        let out = self
            .client
            .post_whats_app_message_media()
            .origination_phone_number_id(origination)
            .source_s3_file(self.s3_file(key)?)
            .send()
            .await
            .map_err(map_error)?;
        out.media_id.ok_or_else(|| {
            SendError::new(SendFailure::Failed, "EUM Social answered without a mediaId")
        })
    }

    async fn fetch_media(
        &self,
        origination: &str,
        media_id: &str,
        key_prefix: &str,
    ) -> Result<FetchedMedia, SendError> {
        let out = self
            .client
            .get_whats_app_message_media()
            .origination_phone_number_id(origination)
            .media_id(media_id)
            .destination_s3_file(self.s3_file(key_prefix)?)
            .send()
            .await
            .map_err(map_error)?;
        Ok(FetchedMedia {
            mime_type: out.mime_type,
            size: out.file_size.and_then(|s| u64::try_from(s).ok()),
        })
    }

    async fn delete_media(&self, origination: &str, media_id: &str) -> Result<(), SendError> {
        self.client
            .delete_whats_app_message_media()
            .origination_phone_number_id(origination)
            .media_id(media_id)
            .send()
            .await
            .map_err(map_error)?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("eum-social ({})", self.meta_api_version)
    }
}
