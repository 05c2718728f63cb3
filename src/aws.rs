//! AWS clients with bounded waits. An engine that is down or hangs must turn into a retryable
//! failure within seconds, long before the Lambda timeout: every client gets a connect timeout,
//! a per-attempt timeout, a whole-operation timeout and a bounded number of attempts (standard
//! retry mode). Each bound can be changed from the environment:
//!
//! | Variable | Default | Applies to |
//! |---|---|---|
//! | `AWS_CONNECT_TIMEOUT_MS` | 1000 | every client: establishing the TCP/TLS connection |
//! | `AWS_MAX_ATTEMPTS` | 3 | every client: attempts per operation, the first included |
//! | `DYNAMODB_ATTEMPT_TIMEOUT_MS` / `DYNAMODB_TIMEOUT_MS` | 2000 / 5000 | DynamoDB: one attempt / the whole operation |
//! | `S3_ATTEMPT_TIMEOUT_MS` / `S3_TIMEOUT_MS` | 10000 / 20000 | S3 media store |
//! | `EUM_ATTEMPT_TIMEOUT_MS` / `EUM_TIMEOUT_MS` | 20000 / 25000 | EUM Social (a media copy can take seconds) |
//! | `SNS_ATTEMPT_TIMEOUT_MS` / `SNS_TIMEOUT_MS` | 2000 / 4000 | SNS notifications |
//! | `LIVE_ATTEMPT_TIMEOUT_MS` / `LIVE_TIMEOUT_MS` | 1000 / 1500 | live-update pushes (one attempt) |
//! | `SQS_ATTEMPT_TIMEOUT_MS` / `SQS_TIMEOUT_MS` | 2000 / 5000 | the fast-ack queue |
//!
//! A value that is not a whole number above 0 is ignored with a warning (the default is used).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

/// The services this function calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    S3,
    Eum,
    /// SNS notifications: short waits, a notification must never hold up a record.
    Sns,
    /// API Gateway's connection management (live updates): shorter still.
    Live,
    /// The fast-ack queue: a webhook is answered only after its enqueue.
    Sqs,
}

/// How long a client may wait, and how often it tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
    pub max_attempts: u32,
}

impl Service {
    fn prefix(self) -> &'static str {
        match self {
            Service::DynamoDb => "DYNAMODB",
            Service::S3 => "S3",
            Service::Eum => "EUM",
            Service::Sns => "SNS",
            Service::Live => "LIVE",
            Service::Sqs => "SQS",
        }
    }

    /// (attempt, operation) timeouts in milliseconds.
    fn default_ms(self) -> (u64, u64) {
        match self {
            Service::DynamoDb => (2_000, 5_000),
            Service::S3 => (10_000, 20_000),
            Service::Eum => (20_000, 25_000),
            Service::Sns => (2_000, 4_000),
            Service::Live => (1_000, 1_500),
            Service::Sqs => (2_000, 5_000),
        }
    }

    /// The bounds from the environment.
    pub fn bounds(self) -> Bounds {
        self.bounds_from(|k| std::env::var(k).ok())
    }

    /// The bounds from any lookup (tests).
    pub fn bounds_from(self, get: impl Fn(&str) -> Option<String>) -> Bounds {
        let number = |name: &str, default: u64| -> u64 {
            match get(name).map(|v| v.trim().to_string()) {
                None => default,
                Some(v) if v.is_empty() => default,
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        tracing::warn!(name, value = %v, default, "not a whole number above 0; using the default");
                        default
                    }
                },
            }
        };
        let (attempt, operation) = self.default_ms();
        let prefix = self.prefix();
        Bounds {
            connect: Duration::from_millis(number("AWS_CONNECT_TIMEOUT_MS", 1_000)),
            attempt: Duration::from_millis(number(
                &format!("{prefix}_ATTEMPT_TIMEOUT_MS"),
                attempt,
            )),
            operation: Duration::from_millis(number(&format!("{prefix}_TIMEOUT_MS"), operation)),
            max_attempts: u32::try_from(number("AWS_MAX_ATTEMPTS", 3)).unwrap_or(3),
        }
    }
}

impl Bounds {
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }

    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(2))
    }
}

/// Region, credentials and endpoints from the SDK's standard configuration.
pub async fn shared_config() -> SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// A DynamoDB client configuration with the DynamoDB bounds.
pub fn dynamodb(shared: &SdkConfig) -> aws_sdk_dynamodb::config::Builder {
    let bounds = Service::DynamoDb.bounds();
    aws_sdk_dynamodb::config::Builder::from(shared)
        .timeout_config(bounds.timeout_config())
        .retry_config(bounds.retry_config())
}

/// An S3 client configuration with the S3 bounds (path-style when an endpoint override is set:
/// moto, MinIO and LocalStack have no virtual-hosted buckets).
pub fn s3(shared: &SdkConfig) -> aws_sdk_s3::config::Builder {
    let bounds = Service::S3.bounds();
    let builder = aws_sdk_s3::config::Builder::from(shared)
        .timeout_config(bounds.timeout_config())
        .retry_config(bounds.retry_config());
    if std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some()
    {
        builder.force_path_style(true)
    } else {
        builder
    }
}

/// An EUM Social client configuration with the EUM bounds.
pub fn eum(shared: &SdkConfig) -> aws_sdk_socialmessaging::config::Builder {
    let bounds = Service::Eum.bounds();
    aws_sdk_socialmessaging::config::Builder::from(shared)
        .timeout_config(bounds.timeout_config())
        .retry_config(bounds.retry_config())
}

/// An SNS client configuration with the SNS bounds.
/// Secrets Manager, to read secrets once at init (`crate::secrets`).
pub fn secretsmanager(shared: &SdkConfig) -> aws_sdk_secretsmanager::config::Builder {
    let bounds = Service::Sns.bounds();
    aws_sdk_secretsmanager::config::Builder::from(shared)
        .timeout_config(bounds.timeout_config())
        .retry_config(bounds.retry_config())
}

/// SSM Parameter Store, to read secrets once at init (`crate::secrets`).
pub fn ssm(shared: &SdkConfig) -> aws_sdk_ssm::config::Builder {
    let bounds = Service::Sns.bounds();
    aws_sdk_ssm::config::Builder::from(shared)
        .timeout_config(bounds.timeout_config())
        .retry_config(bounds.retry_config())
}

pub fn sns(shared: &SdkConfig) -> aws_sdk_sns::config::Builder {
    let bounds = Service::Sns.bounds();
    aws_sdk_sns::config::Builder::from(shared)
        .timeout_config(bounds.timeout_config())
        .retry_config(bounds.retry_config())
}

/// An API Gateway management client configuration for the WebSocket API's `endpoint`, with
/// the live-update bounds and a single attempt (a missed push is only a missed hint).
pub fn live(shared: &SdkConfig, endpoint: &str) -> aws_sdk_apigatewaymanagement::config::Builder {
    let bounds = Service::Live.bounds();
    aws_sdk_apigatewaymanagement::config::Builder::from(shared)
        .endpoint_url(endpoint)
        .timeout_config(bounds.timeout_config())
        .retry_config(RetryConfig::standard().with_max_attempts(1))
}

/// An SQS client configuration with the SQS bounds.
pub fn sqs(shared: &SdkConfig) -> aws_sdk_sqs::config::Builder {
    let bounds = Service::Sqs.bounds();
    aws_sdk_sqs::config::Builder::from(shared)
        .timeout_config(bounds.timeout_config())
        .retry_config(bounds.retry_config())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_have_defaults_and_read_the_environment() {
        let d = Service::DynamoDb.bounds_from(|_| None);
        assert_eq!(
            d,
            Bounds {
                connect: Duration::from_secs(1),
                attempt: Duration::from_secs(2),
                operation: Duration::from_secs(5),
                max_attempts: 3
            }
        );
        let s = Service::S3.bounds_from(|k| match k {
            "S3_TIMEOUT_MS" => Some("9000".into()),
            "AWS_CONNECT_TIMEOUT_MS" => Some("250".into()),
            "AWS_MAX_ATTEMPTS" => Some("nope".into()),
            _ => None,
        });
        assert_eq!(s.operation, Duration::from_secs(9));
        assert_eq!(s.connect, Duration::from_millis(250));
        assert_eq!(s.max_attempts, 3, "an unusable value keeps the default");
        let t = d.timeout_config();
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(1)));
        assert_eq!(d.retry_config().max_attempts(), 3);
    }
}
