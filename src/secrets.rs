//! Secrets read once at init: a configured value is used as it is, unless it is the ARN of a
//! Secrets Manager secret (`arn:aws:secretsmanager:…`, its `SecretString`) or of an SSM
//! parameter (`arn:aws:ssm:…:parameter/…`, read with decryption). The endpoints follow the
//! SDK's configuration, so `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL_SSM` point
//! them at a local stand-in. A secret that cannot be read stops the start-up with its ARN
//! named (never its value).

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use handlers::webhooks::MetaWebhookKeys;

pub mod reference;
pub use reference::SecretRef;

use crate::config::MetaConfig;
use crate::ingress::IngressConfig;

/// A secret that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {arn} could not be read: {message}")]
pub struct SecretError {
    pub setting: &'static str,
    pub arn: String,
    pub message: String,
}

/// The clients secrets are read with.
#[derive(Clone)]
pub struct SecretClients {
    pub secrets_manager: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl SecretClients {
    pub fn new(shared: &SdkConfig) -> Self {
        SecretClients {
            secrets_manager: aws_sdk_secretsmanager::Client::from_conf(
                crate::aws::secretsmanager(shared).build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(crate::aws::ssm(shared).build()),
        }
    }
}

/// Reads one configured secret.
///
/// # Errors
/// [`SecretError`] naming the setting and the ARN.
pub async fn read(
    setting: &'static str,
    value: &str,
    clients: Option<&SecretClients>,
) -> Result<String, SecretError> {
    let reference = SecretRef::parse(value);
    let fail = |arn: &str, message: String| SecretError {
        setting,
        arn: arn.to_string(),
        message,
    };
    match (&reference, clients) {
        (SecretRef::Value(v), _) => Ok(v.clone()),
        (SecretRef::SecretsManager(arn) | SecretRef::Ssm(arn), None) => {
            Err(fail(arn, "no AWS configuration was loaded".into()))
        }
        (SecretRef::SecretsManager(arn), Some(c)) => {
            let out = c
                .secrets_manager
                .get_secret_value()
                .secret_id(arn)
                .send()
                .await
                .map_err(|e| fail(arn, describe(e.code(), e.message(), &e)))?;
            out.secret_string
                .ok_or_else(|| fail(arn, "the secret has no SecretString".into()))
        }
        (SecretRef::Ssm(arn), Some(c)) => {
            let out = c
                .ssm
                .get_parameter()
                .name(arn)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| fail(arn, describe(e.code(), e.message(), &e)))?;
            out.parameter
                .and_then(|p| p.value)
                .ok_or_else(|| fail(arn, "the parameter has no value".into()))
        }
    }
}

fn describe(code: Option<&str>, message: Option<&str>, error: &dyn std::error::Error) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => handlers::error::chain(error),
    }
}

/// What `build_ctx` resolves: the webhook keys and the Graph API token.
#[derive(Clone, Default)]
pub struct Resolved {
    pub meta_webhooks: MetaWebhookKeys,
    pub graph_token: Option<String>,
}

/// True when one of the configured secrets is an ARN (the AWS configuration is needed).
pub fn needs_aws(meta: &MetaConfig) -> bool {
    [&meta.verify_token, &meta.app_secret, &meta.graph_token]
        .into_iter()
        .flatten()
        .any(|v| SecretRef::parse(v).is_remote())
}

/// Reads every configured secret once.
///
/// # Errors
/// The first secret that cannot be read.
pub async fn resolve(
    meta: &MetaConfig,
    clients: Option<&SecretClients>,
) -> Result<Resolved, SecretError> {
    let mut resolved = Resolved::default();
    if let Some(v) = &meta.verify_token {
        resolved.meta_webhooks.verify_token = Some(read("META_VERIFY_TOKEN", v, clients).await?);
    }
    if let Some(v) = &meta.app_secret {
        let secrets = read("META_APP_SECRET", v, clients).await?;
        resolved.meta_webhooks.app_secrets = secrets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    resolved.meta_webhooks.replay_window_secs = meta.replay_window_secs;
    if let Some(v) = &meta.graph_token {
        resolved.graph_token = Some(read("GRAPH_API_TOKEN", v, clients).await?);
    }
    Ok(resolved)
}

/// The webhook settings with the secrets they name read (`TWILIO_AUTH_TOKEN`, `WIX_PUBLIC_KEY`;
/// once, at start-up).
///
/// # Errors
/// A secret that cannot be read, or holds nothing usable.
pub async fn resolve_ingress(
    ingress: &IngressConfig,
    clients: Option<&SecretClients>,
) -> Result<IngressConfig, SecretError> {
    let mut out = ingress.clone();
    let empty = |setting: &'static str, arn: &str| SecretError {
        setting,
        arn: arn.to_string(),
        message: "the secret holds no value".into(),
    };
    if let Some(arn) = &ingress.twilio_auth_token_arn {
        let tokens = crate::ingress::split_list(&read("TWILIO_AUTH_TOKEN", arn, clients).await?);
        let first = tokens
            .first()
            .ok_or_else(|| empty("TWILIO_AUTH_TOKEN", arn))?;
        if let Some(account) = &mut out.twilio {
            account.auth_token = first.clone();
        }
        out.settings.twilio_auth_tokens = tokens;
    }
    if let Some(arn) = &ingress.wix_public_key_arn {
        let keys = crate::ingress::pem_keys(&read("WIX_PUBLIC_KEY", arn, clients).await?);
        if keys.is_empty() {
            return Err(empty("WIX_PUBLIC_KEY", arn));
        }
        out.settings.wix_public_keys = keys;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_service_and_anything_else_is_a_value() {
        assert_eq!(
            SecretRef::parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:meta-AbCdEf"),
            SecretRef::SecretsManager(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:meta-AbCdEf".into()
            )
        );
        assert_eq!(
            SecretRef::parse(" arn:aws:ssm:us-east-1:123456789012:parameter/meta/token "),
            SecretRef::Ssm("arn:aws:ssm:us-east-1:123456789012:parameter/meta/token".into())
        );
        assert_eq!(
            SecretRef::parse("s3cret"),
            SecretRef::Value("s3cret".into())
        );
    }

    #[tokio::test]
    async fn plain_values_need_no_aws_and_secrets_split_on_commas() {
        let meta = MetaConfig {
            verify_token: Some("tok".into()),
            app_secret: Some("new, old".into()),
            replay_window_secs: Some(300),
            graph_token: Some("EAAG".into()),
            ..Default::default()
        };
        assert!(!needs_aws(&meta));
        let resolved = resolve(&meta, None).await.unwrap();
        assert_eq!(resolved.meta_webhooks.app_secrets, vec!["new", "old"]);
        assert_eq!(resolved.meta_webhooks.verify_token.as_deref(), Some("tok"));
        assert_eq!(resolved.graph_token.as_deref(), Some("EAAG"));
        let arn = MetaConfig {
            app_secret: Some("arn:aws:ssm:us-east-1:1:parameter/x".into()),
            ..Default::default()
        };
        assert!(needs_aws(&arn));
        let err = resolve(&arn, None).await.err().unwrap();
        assert!(
            err.to_string().starts_with("META_APP_SECRET: arn:aws:ssm"),
            "{err}"
        );
    }
}
