//! whatsapp-lambda: one AWS Lambda that runs a business's WhatsApp on AWS End User Messaging
//! Social. The application core lives in the `handlers` workspace crate; this crate adapts it.
//!
//! # Layout
//! - [`config`]: settings read once from the environment.
//! - [`intake`]: one entry for every event (SNS, SQS, API Gateway v1/v2, direct invocation).
//! - [`store`]: the DynamoDB and embedded adapters of the storage port, and the table schema.
//! - [`eum`]: the EUM Social sender (aws-sdk-socialmessaging).
//! - [`media`]: the S3 and local-directory media stores.
//! - [`metrics`]: CloudWatch Embedded Metric Format lines.
//! - [`serve`]: the local HTTP server that turns requests into API Gateway events.

pub mod config;
pub mod eum;
pub mod intake;
pub mod media;
pub mod metrics;
pub mod serve;
pub mod store;

pub use config::Config;

/// Builds the request context (store, sender, media store and settings) from the
/// configuration, and forces the action registry so that a duplicate action name fails at
/// start-up, not on a request.
///
/// # Errors
/// The store cannot be opened.
pub async fn build_ctx(
    config: &Config,
) -> Result<handlers::Ctx, Box<dyn std::error::Error + Send + Sync>> {
    use config::{MediaConfig, SenderConfig};
    use std::sync::Arc;

    let _ = &*handlers::REGISTRY;
    let store = store::from_config(config).await?;
    let needs_aws = matches!(config.sender, SenderConfig::Eum)
        || matches!(config.media, MediaConfig::S3 { .. });
    let shared = if needs_aws {
        Some(aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
    } else {
        None
    };
    let media: Arc<dyn handlers::ports::MediaStore> = match (&config.media, &shared) {
        (MediaConfig::S3 { bucket }, Some(shared)) => {
            let mut s3 = aws_sdk_s3::config::Builder::from(shared);
            // An endpoint override (moto, MinIO, LocalStack) has no virtual-hosted buckets.
            if std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
                || std::env::var_os("AWS_ENDPOINT_URL").is_some()
            {
                s3 = s3.force_path_style(true);
            }
            Arc::new(media::S3Media::new(
                aws_sdk_s3::Client::from_conf(s3.build()),
                bucket.clone(),
            ))
        }
        (MediaConfig::Local { dir }, _) => Arc::new(media::LocalMedia::new(dir.clone())),
        (MediaConfig::S3 { .. }, None) => {
            unreachable!("the AWS configuration is loaded for S3 media")
        }
    };
    let sender: Arc<dyn handlers::ports::Sender> = match (&config.sender, &shared) {
        (SenderConfig::Eum, Some(shared)) => {
            let bucket = match &config.media {
                MediaConfig::S3 { bucket } => Some(bucket.clone()),
                MediaConfig::Local { .. } => None,
            };
            let client = aws_sdk_socialmessaging::Client::new(shared);
            Arc::new(eum::EumSender::new(
                client,
                config.settings.meta_api_version.clone(),
                bucket,
            ))
        }
        _ => Arc::new(handlers::sandbox::SandboxSender::new(media.clone())),
    };
    Ok(handlers::Ctx::with(
        store,
        sender,
        media,
        config.settings.clone(),
    ))
}
