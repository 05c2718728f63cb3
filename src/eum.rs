//! The EUM Social sender: `SendWhatsAppMessage` and the media operations through
//! aws-sdk-socialmessaging. Throttling is retried by the SDK's retry configuration (with
//! backoff) before it is answered as 429.

use async_trait::async_trait;
use aws_sdk_socialmessaging::Client;
use aws_sdk_socialmessaging::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_socialmessaging::primitives::Blob;
use aws_sdk_socialmessaging::types::S3File;
use handlers::ports::{FetchedMedia, SendError, Sender};
use serde_json::Value;

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
            SendError::Unsupported(
                "MEDIA_BUCKET is not set: EUM Social moves media through an S3 bucket".into(),
            )
        })
    }

    fn s3_file(&self, key: &str) -> Result<S3File, SendError> {
        S3File::builder()
            .bucket_name(self.bucket()?)
            .key(key)
            .build()
            .map_err(|e| SendError::Invalid(e.to_string()))
    }
}

/// Maps EUM Social's errors to what the caller can do about them.
fn map_error<E, R>(err: SdkError<E, R>) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let message = match &err {
        SdkError::ServiceError(service) => {
            service.err().message().unwrap_or("no message").to_string()
        }
        other => aws_sdk_socialmessaging::error::DisplayErrorContext(other).to_string(),
    };
    let code = err
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_string);
    match code.as_deref() {
        Some("ThrottledRequestException" | "ThrottlingException") => SendError::Throttled(message),
        Some("ValidationException" | "InvalidParametersException") => SendError::Invalid(message),
        Some("ResourceNotFoundException") => SendError::NotFound(message),
        Some("AccessDeniedException" | "AccessDeniedByMetaException") => {
            SendError::AccessDenied(message)
        }
        Some(code) => SendError::Failed(format!("{code}: {message}")),
        None => SendError::Failed(message),
    }
}

#[async_trait]
impl Sender for EumSender {
    async fn send(&self, origination: &str, message: &Value) -> Result<Option<String>, SendError> {
        let bytes = serde_json::to_vec(message).map_err(|e| SendError::Invalid(e.to_string()))?;
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
        out.media_id
            .ok_or_else(|| SendError::Failed("EUM Social answered without a mediaId".into()))
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
