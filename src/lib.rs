//! whatsapp-lambda: one AWS Lambda that runs a business's WhatsApp on AWS End User Messaging
//! Social. The application core lives in the `handlers` workspace crate; this crate adapts it.
//!
//! # Layout
//! - [`aws`]: AWS client configurations with bounded timeouts and retries.
//! - [`config`]: settings read once from the environment.
//! - [`intake`]: one entry for every event (SNS, SQS, API Gateway v1/v2, direct invocation).
//! - [`store`]: the DynamoDB and embedded adapters of the storage port, and the table schema.
//! - [`eum`]: the EUM Social sender (aws-sdk-socialmessaging).
//! - [`media`]: the S3 and local-directory media stores.
//! - [`logs`]: the log subscriber; one event is one line, whatever text it quotes.
//! - [`metrics`]: CloudWatch Embedded Metric Format lines.
//! - [`notify`]: notifications through SNS (`NOTIFY_TOPIC_ARN`).
//! - [`secrets`]: secrets from the environment, Secrets Manager or SSM, read once at init.
//! - [`graph`]: the Graph API sender (WhatsApp Cloud API, Messenger, Instagram).
//! - [`serve`]: the local HTTP server that turns requests into API Gateway events.
//! - [`work_queue`]: the campaign work queue (SQS, or the local SQLite file) and the wall clock.

pub mod aws;
pub mod config;
pub mod eum;
pub mod graph;
pub mod ingress;
pub mod intake;
pub mod live;
pub mod logs;
pub mod media;
pub mod metrics;
pub mod notify;
pub mod page;
pub mod prom;
pub mod secrets;
pub mod serve;
pub mod sqs;
pub mod store;
pub mod twilio;
pub mod work_queue;

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
    Ok(build(config).await?.ctx)
}

/// What [`build`] makes: the context, and the local work queue when campaigns run locally
/// (the binary runs it: `serve` as items fall due, `invoke` before it exits).
pub struct Built {
    pub ctx: handlers::Ctx,
    pub local_work: Option<std::sync::Arc<work_queue::LocalWorkQueue>>,
}

/// As [`build_ctx`], keeping the local work queue.
///
/// # Errors
/// The store cannot be opened.
pub async fn build(config: &Config) -> Result<Built, Box<dyn std::error::Error + Send + Sync>> {
    use config::{MediaConfig, SenderConfig, StoreConfig};
    use std::sync::Arc;

    let _ = &*handlers::REGISTRY;
    let store = store::from_config(config).await?;
    // Local mode's work queue and sandbox state: in the store's SQLite file, so they outlive
    // the process; in memory when the table is in DynamoDB.
    let local_file = match &config.store {
        StoreConfig::Embedded { data_dir } => store::embedded::local::LocalFile::open(data_dir)?,
        StoreConfig::DynamoDb { .. } => store::embedded::local::LocalFile::in_memory(),
    };
    let live_store = store.clone();
    let needs_aws = matches!(config.sender, SenderConfig::Eum)
        || config.campaigns.queue_url.is_some()
        || matches!(config.media, MediaConfig::S3 { .. })
        || config.platform.notify_topic_arn.is_some()
        || config.platform.live_socket_url.is_some()
        || secrets::needs_aws(&config.meta)
        || config.ingress.has_secret_arns();
    let shared = if needs_aws {
        Some(aws::shared_config().await)
    } else {
        None
    };
    let media: Arc<dyn handlers::ports::MediaStore> = match (&config.media, &shared) {
        (MediaConfig::S3 { bucket }, Some(shared)) => Arc::new(media::S3Media::new(
            aws_sdk_s3::Client::from_conf(aws::s3(shared).build()),
            bucket.clone(),
        )),
        (MediaConfig::Local { dir }, _) => Arc::new(media::LocalMedia::new(dir.clone())),
        (MediaConfig::S3 { .. }, None) => {
            unreachable!("the AWS configuration is loaded for S3 media")
        }
    };
    // Secrets named by ARN are read once, here.
    let secret_clients = shared.as_ref().map(secrets::SecretClients::new);
    let resolved = secrets::resolve(&config.meta, secret_clients.as_ref()).await?;
    let ingress_config = secrets::resolve_ingress(&config.ingress, secret_clients.as_ref()).await?;
    let mut settings = config.settings.clone();
    settings.meta_webhooks = resolved.meta_webhooks.clone();
    let mut templates: Option<Arc<dyn handlers::ports::templates::TemplatesApi>> = None;
    let mut platform = handlers::ctx::Platform {
        notify_inbound: config.platform.notify_inbound,
        default_waba_id: config.platform.default_waba_id.clone(),
        ..Default::default()
    };
    if let (Some(topic), Some(shared)) = (&config.platform.notify_topic_arn, &shared) {
        let client = aws_sdk_sns::Client::from_conf(aws::sns(shared).build());
        platform.notifier = Some(Arc::new(notify::SnsNotifier::new(client, topic.clone())));
    }
    let sender: Arc<dyn handlers::ports::Sender> = match (&config.sender, &shared) {
        (SenderConfig::Eum, Some(shared)) => {
            let bucket = match &config.media {
                MediaConfig::S3 { bucket } => Some(bucket.clone()),
                MediaConfig::Local { .. } => None,
            };
            let client = aws_sdk_socialmessaging::Client::from_conf(aws::eum(shared).build());
            templates = Some(Arc::new(eum::EumTemplates::new(
                client.clone(),
                bucket.clone(),
            )));
            platform.account = Arc::new(eum::EumAccount::new(client.clone()));
            Arc::new(eum::EumSender::new(
                client,
                config.settings.meta_api_version.clone(),
                bucket,
            ))
        }
        (SenderConfig::Twilio, _) => match &ingress_config.twilio {
            Some(account) => Arc::new(twilio::TwilioSender::new(account.clone())),
            None => unreachable!("Config refuses SENDER=twilio without a Twilio account"),
        },
        (SenderConfig::Graph, _) => Arc::new(graph::GraphSender::new(
            &config.meta.graph_api_url,
            &config.meta.graph_api_version,
            resolved.graph_token.clone(),
            media.clone(),
        )?),
        _ => Arc::new(handlers::sandbox::SandboxSender::new(media.clone())),
    };
    let ctx = handlers::Ctx::with(store, sender, media, settings).with_platform(platform);
    // The webhook routes' settings and the fast-ack queue (SQS when FAST_ACK_QUEUE_URL is set).
    let ctx = ctx.with_ingress(ingress(&ingress_config).await);
    // Without EUM Social, templates and flows are the sandbox's, kept in the local file.
    let templates = templates.unwrap_or_else(|| {
        Arc::new(handlers::sandbox_templates::SandboxTemplates::new(
            Arc::new(local_file.clone()),
        ))
    });
    let ctx = ctx.with_templates(templates);
    let ctx = match (&config.platform.live_socket_url, &shared) {
        (Some(url), Some(shared)) => {
            let endpoint = config
                .platform
                .live_management_url
                .clone()
                .or_else(|| live::management_endpoint(url))
                .unwrap_or_default();
            let client = aws_sdk_apigatewaymanagement::Client::from_conf(
                aws::live(shared, &endpoint).build(),
            );
            let pusher = live::Pusher::new(client, live_store, url.clone());
            ctx.with_live(Arc::new(pusher))
        }
        _ => ctx,
    };
    // Campaigns: the SQS work queue, or the local one. A local run holds its item for its
    // time budget and a minute more before another process may take it over.
    let lease_ms = config.campaigns.settings.time_budget_ms + 60_000;
    let (queue, local) = work_queue::from_config(
        config.campaigns.queue_url.as_deref(),
        shared.as_ref(),
        &local_file,
        lease_ms,
    );
    let ctx = ctx.with_campaigns(handlers::campaigns::Runtime {
        queue,
        clock: Arc::new(work_queue::WallClock),
        settings: config.campaigns.settings.clone(),
    });
    if let Some(local) = &local {
        local.bind(&ctx);
    }
    Ok(Built {
        ctx,
        local_work: local,
    })
}

/// The webhook routes' settings and queue: SQS when `FAST_ACK_QUEUE_URL` is set, else the local
/// in-memory one.
async fn ingress(config: &ingress::IngressConfig) -> handlers::ingress::Ingress {
    let settings = std::sync::Arc::new(config.settings.clone());
    match (&config.fast_ack_queue_url, &config.fast_ack_dlq_url) {
        (Some(queue), Some(dlq)) => {
            let shared = aws::shared_config().await;
            let client = aws_sdk_sqs::Client::from_conf(aws::sqs(&shared).build());
            handlers::ingress::Ingress {
                queue: std::sync::Arc::new(sqs::SqsQueue::new(client, queue.clone(), dlq.clone())),
                settings,
            }
        }
        _ => handlers::ingress::Ingress {
            settings,
            ..Default::default()
        },
    }
}
