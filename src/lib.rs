//! whatsapp-lambda: one AWS Lambda that runs a business's WhatsApp on AWS End User Messaging
//! Social. The application core lives in the `handlers` workspace crate; this crate adapts it.
//!
//! # Layout
//! - [`config`]: settings read once from the environment.
//! - [`intake`]: one entry for every event (SNS, SQS, API Gateway v1/v2, direct invocation).
//! - [`store`]: the DynamoDB and embedded adapters of the storage port, and the table schema.
//! - [`eum`]: the EUM Social sender (aws-sdk-socialmessaging).
//! - [`media`]: the S3 and local-directory media stores.
//! - [`serve`]: the local HTTP server that turns requests into API Gateway events.

pub mod config;
pub mod eum;
pub mod intake;
pub mod media;
pub mod serve;
pub mod store;

pub use config::Config;

/// Builds the request context (store and settings) from the configuration, and forces the
/// action registry so that a duplicate action name fails at start-up, not on a request.
///
/// # Errors
/// The store cannot be opened.
pub async fn build_ctx(
    config: &Config,
) -> Result<handlers::Ctx, Box<dyn std::error::Error + Send + Sync>> {
    let _ = &*handlers::REGISTRY;
    let store = store::from_config(config).await?;
    Ok(handlers::Ctx::new(store, config.settings.clone()))
}
