//! Configuration, read once from the environment.

use std::path::PathBuf;
use std::time::Duration;

use handlers::Settings;
use handlers::inbound::InboundSettings;

use crate::intake::{ApiAccess, Scopes};
use crate::serve::ServeOptions;

mod campaigns;
pub mod error;
mod meta;
pub mod settings;

pub use campaigns::CampaignConfig;
pub use error::ConfigError;
pub use meta::{DEFAULT_GRAPH_API_URL, MetaConfig};

/// Where the single table lives.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreConfig {
    /// `TABLE_NAME` is set: DynamoDB, endpoint and credentials from the SDK's standard config.
    DynamoDb { table: String },
    /// No `TABLE_NAME`: the embedded store under `DATA_DIR` (default `.whatsapp-lambda`).
    Embedded { data_dir: PathBuf },
}

/// Who sends messages.
#[derive(Debug, Clone, PartialEq)]
pub enum SenderConfig {
    /// EUM Social through the AWS SDK (endpoint from the SDK's configuration).
    Eum,
    /// The local sandbox: generated wamids, statuses played back on request.
    Sandbox,
    /// Twilio's REST Messages API (`SENDER=twilio`, `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`).
    Twilio,
    /// Meta's Graph API over HTTPS (`SENDER=graph`): WhatsApp Cloud API, Messenger and
    /// Instagram sends without EUM Social ([`crate::graph`]).
    Graph,
}

/// Where media bytes are kept.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaConfig {
    S3 { bucket: String },
    Local { dir: PathBuf },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreConfig,
    pub sender: SenderConfig,
    pub media: MediaConfig,
    pub settings: Settings,
    /// How API Gateway callers get their scopes (`IAM_SCOPES`, `API_SCOPE_PREFIX`).
    pub access: ApiAccess,
    /// How `serve` guards itself (`SERVE_*`).
    pub serve: ServeOptions,
    /// Notifications and account defaults (`NOTIFY_TOPIC_ARN`, `NOTIFY_INBOUND_MESSAGES`,
    /// `DEFAULT_WABA_ID`).
    pub platform: PlatformConfig,
    /// The webhook routes, the Twilio sender and the fast-ack queue (`src/ingress.rs`).
    pub ingress: crate::ingress::IngressConfig,
    /// Direct Meta webhooks and the Graph API sender (`META_*`, `GRAPH_*`).
    pub meta: MetaConfig,
    /// Campaigns (`CAMPAIGN_QUEUE_URL`, `CAMPAIGN_RATE`, `CAMPAIGN_CONCURRENCY`,
    /// `CAMPAIGN_TIME_BUDGET_SECS`).
    pub campaigns: CampaignConfig,
}

/// Notifications and account defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformConfig {
    /// `NOTIFY_TOPIC_ARN`: the SNS topic notifications go to; none, no notifications.
    pub notify_topic_arn: Option<String>,
    /// `NOTIFY_INBOUND_MESSAGES`: also notify every new inbound message.
    pub notify_inbound: bool,
    /// `DEFAULT_WABA_ID`: the WABA (Meta id or EUM `waba-…`) account actions use by default.
    pub default_waba_id: Option<String>,
    /// `LIVE_SOCKET_URL`: the WebSocket API's `wss://…/stage` URL; live updates are pushed
    /// to deployed pages only when set.
    pub live_socket_url: Option<String>,
    /// `LIVE_MANAGEMENT_URL`: the connection-management endpoint, when it is not the socket
    /// URL's `https://` twin (tests point it at a local stand-in).
    pub live_management_url: Option<String>,
}

/// `LIVE_SOCKET_URL` must be a `wss://` (or, for a local stand-in, `ws://`) URL.
fn read_socket_url(value: Option<String>) -> Result<Option<String>, ConfigError> {
    match value {
        Some(v) if crate::live::management_endpoint(&v).is_none() => Err(ConfigError {
            name: "LIVE_SOCKET_URL",
            value: v,
            reason: "expected the WebSocket API's wss://{api-id}.execute-api.{region}.amazonaws.com/{stage} URL",
        }),
        other => Ok(other),
    }
}

/// The shortest `SERVE_TOKEN` accepted.
pub const MIN_SERVE_TOKEN_LEN: usize = 16;

impl Config {
    /// Reads `TABLE_NAME`, `DATA_DIR`, `DEFAULT_PHONE_NUMBER_ID`, `ORIGINATION_PHONE_NUMBER_ID`,
    /// `PHONE_NUMBERS`, `SENDER`, `MEDIA_BUCKET`, `META_API_VERSION`, `AUTO_DOWNLOAD_MEDIA`,
    /// `AUDIT_TTL_DAYS`, `ALLOWED_WABA_IDS`, `ALLOWED_PHONE_NUMBER_IDS` (comma-separated),
    /// `INBOUND_CONCURRENCY`, `AUDIT_PROCESSED_RECORDS`, `KEEP_DELETED_CONTENT`, `NOTIFY_TOPIC_ARN`,
    /// `NOTIFY_INBOUND_MESSAGES`, `DEFAULT_WABA_ID`,
    /// `META_VERIFY_TOKEN`, `META_APP_SECRET`, `META_REPLAY_WINDOW_SECS`, `GRAPH_API_TOKEN`,
    /// `GRAPH_API_URL`, `GRAPH_API_VERSION`,
    /// `IAM_SCOPES`, `API_SCOPE_PREFIX`, `SERVE_TOKEN`, `SERVE_SCOPES`, `SERVE_PUBLIC_HOST`,
    /// `SERVE_MAX_BODY_BYTES`, `SERVE_HEADER_TIMEOUT_SECS`, `SERVE_BODY_TIMEOUT_SECS`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// As [`Config::from_env`], from any lookup (tests).
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let store = match non_empty("TABLE_NAME") {
            Some(table) => StoreConfig::DynamoDb { table },
            None => StoreConfig::Embedded {
                data_dir: non_empty("DATA_DIR")
                    .map_or_else(|| PathBuf::from(".whatsapp-lambda"), PathBuf::from),
            },
        };
        let audit_ttl_days = match non_empty("AUDIT_TTL_DAYS") {
            None => 30,
            Some(v) => match v.parse::<i64>() {
                Ok(days) if days > 0 => days,
                _ => {
                    return Err(ConfigError {
                        name: "AUDIT_TTL_DAYS",
                        value: v,
                        reason: "must be a whole number of days above 0",
                    });
                }
            },
        };
        let inbound_concurrency = match non_empty("INBOUND_CONCURRENCY") {
            None => handlers::inbound::DEFAULT_CONCURRENCY,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=handlers::inbound::MAX_CONCURRENCY).contains(&n) => n,
                _ => {
                    return Err(ConfigError {
                        name: "INBOUND_CONCURRENCY",
                        value: v,
                        reason: "must be a whole number from 1 to 256",
                    });
                }
            },
        };
        let audit_processed_records = read_bool(&non_empty, "AUDIT_PROCESSED_RECORDS", false)?;
        let keep_deleted_content = read_bool(&non_empty, "KEEP_DELETED_CONTENT", false)?;
        let origination = non_empty("ORIGINATION_PHONE_NUMBER_ID");
        let sender = match non_empty("SENDER").as_deref() {
            Some("eum") => SenderConfig::Eum,
            Some("sandbox") => SenderConfig::Sandbox,
            Some("twilio") => SenderConfig::Twilio,
            Some("graph") => SenderConfig::Graph,
            Some(other) => {
                return Err(ConfigError {
                    name: "SENDER",
                    value: other.into(),
                    reason: "must be eum, sandbox, twilio or graph",
                });
            }
            None if get("AWS_LAMBDA_RUNTIME_API").is_some() || origination.is_some() => {
                SenderConfig::Eum
            }
            None => SenderConfig::Sandbox,
        };
        let media = match non_empty("MEDIA_BUCKET") {
            Some(bucket) => MediaConfig::S3 { bucket },
            // A directory of its own, apart from the database files: no media key can name
            // them.
            None => MediaConfig::Local {
                dir: match &store {
                    StoreConfig::Embedded { data_dir } => data_dir.join("media"),
                    StoreConfig::DynamoDb { .. } => PathBuf::from(".whatsapp-lambda/media"),
                },
            },
        };
        let mut phone_numbers = Vec::new();
        for pair in non_empty("PHONE_NUMBERS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match pair.split_once('=') {
                Some((meta, eum)) if !meta.trim().is_empty() && !eum.trim().is_empty() => {
                    phone_numbers.push((meta.trim().to_string(), eum.trim().to_string()));
                }
                _ => {
                    return Err(ConfigError {
                        name: "PHONE_NUMBERS",
                        value: pair.into(),
                        reason: "expected metaPhoneNumberId=phone-number-id-... pairs, comma-separated",
                    });
                }
            }
        }
        let auto_download_media = read_bool(&non_empty, "AUTO_DOWNLOAD_MEDIA", true)?;
        let list = |k: &str| -> Vec<String> {
            non_empty(k)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect()
        };
        let access = ApiAccess {
            iam: read_iam_scopes(non_empty("IAM_SCOPES"))?,
            scope_prefix: non_empty("API_SCOPE_PREFIX"),
        };
        let serve = read_serve_options(&non_empty)?;
        let platform = PlatformConfig {
            notify_topic_arn: non_empty("NOTIFY_TOPIC_ARN"),
            notify_inbound: read_bool(&non_empty, "NOTIFY_INBOUND_MESSAGES", false)?,
            default_waba_id: non_empty("DEFAULT_WABA_ID"),
            live_socket_url: read_socket_url(non_empty("LIVE_SOCKET_URL"))?,
            live_management_url: non_empty("LIVE_MANAGEMENT_URL"),
        };
        let ingress = crate::ingress::IngressConfig::from_lookup(&non_empty)?;
        if sender == SenderConfig::Twilio && ingress.twilio.is_none() {
            return Err(ConfigError {
                name: "SENDER",
                value: "twilio".into(),
                reason: "needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
            });
        }
        let meta = MetaConfig::read(&non_empty)?;
        let campaigns = CampaignConfig::read(&non_empty)?;
        Ok(Config {
            meta,
            ingress,
            campaigns,
            access,
            serve,
            platform,
            store,
            sender,
            media,
            settings: Settings {
                default_phone_number_id: non_empty("DEFAULT_PHONE_NUMBER_ID"),
                origination_phone_number_id: origination,
                phone_numbers,
                meta_api_version: non_empty("META_API_VERSION")
                    .unwrap_or_else(|| handlers::ctx::DEFAULT_META_API_VERSION.into()),
                auto_download_media,
                inbound: InboundSettings {
                    audit_ttl_days,
                    allowed_waba_ids: list("ALLOWED_WABA_IDS"),
                    allowed_phone_number_ids: list("ALLOWED_PHONE_NUMBER_IDS"),
                    concurrency: inbound_concurrency,
                    audit_processed_records,
                    keep_deleted_content,
                },
                default_waba_id: non_empty("DEFAULT_WABA_ID"),
                // Resolved by `build_ctx` from `secrets` (they may name Secrets Manager / SSM).
                meta_webhooks: handlers::webhooks::MetaWebhookKeys::default(),
            },
        })
    }
}

/// A true/false setting (`true`/`1`/`yes`, `false`/`0`/`no`); `default` when absent.
fn read_bool(
    non_empty: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match non_empty(name).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError {
            name,
            value: other.into(),
            reason: "must be true or false",
        }),
    }
}

/// `IAM_SCOPES`: `ARN=scopes;...`; an error names the entry that is wrong.
fn read_iam_scopes(
    text: Option<String>,
) -> Result<Vec<crate::intake::access::IamGrant>, ConfigError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    ApiAccess::parse_iam_scopes(&text).map_err(|_| {
        let bad = text
            .split(';')
            .map(str::trim)
            .find(|entry| ApiAccess::parse_iam_scopes(entry).is_err())
            .unwrap_or(&text)
            .to_string();
        ConfigError {
            name: "IAM_SCOPES",
            value: bad,
            reason: "expected arn:aws:iam::ACCOUNT:role/NAME=scope,scope entries separated by `;` (scopes: read, send, manage, admin)",
        }
    })
}

fn read_serve_options(
    non_empty: &impl Fn(&str) -> Option<String>,
) -> Result<ServeOptions, ConfigError> {
    let mut options = ServeOptions::default();
    if let Some(token) = non_empty("SERVE_TOKEN") {
        if token.len() < MIN_SERVE_TOKEN_LEN || token.chars().any(char::is_whitespace) {
            return Err(ConfigError {
                name: "SERVE_TOKEN",
                value: "<redacted>".into(),
                reason: "must be at least 16 characters without spaces (e.g. `openssl rand -hex 32`)",
            });
        }
        options.token = Some(token);
    }
    if let Some(list) = non_empty("SERVE_SCOPES") {
        options.scopes = match Scopes::parse_list(&list) {
            Ok(scopes) if !scopes.is_empty() => scopes,
            _ => {
                return Err(ConfigError {
                    name: "SERVE_SCOPES",
                    value: list,
                    reason: "expected scopes among read, send, manage, admin (comma-separated)",
                });
            }
        };
    }
    if let Some(hosts) = non_empty("SERVE_PUBLIC_HOST") {
        options.public_hosts = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .collect();
    }
    if let Some(v) = non_empty("SERVE_MAX_BODY_BYTES") {
        options.max_body_bytes = match v.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(ConfigError {
                    name: "SERVE_MAX_BODY_BYTES",
                    value: v,
                    reason: "must be a whole number of bytes above 0",
                });
            }
        };
    }
    for (name, slot) in [
        ("SERVE_HEADER_TIMEOUT_SECS", &mut options.header_timeout),
        ("SERVE_BODY_TIMEOUT_SECS", &mut options.body_timeout),
    ] {
        if let Some(v) = non_empty(name) {
            *slot = match v.parse::<f64>() {
                Ok(secs) if secs > 0.0 && secs.is_finite() && secs <= 3600.0 => {
                    Duration::from_secs_f64(secs)
                }
                _ => {
                    return Err(ConfigError {
                        name,
                        value: v,
                        reason: "must be a number of seconds above 0 (at most 3600)",
                    });
                }
            };
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_name_selects_dynamodb_else_embedded() {
        let cfg = Config::from_lookup(|k| (k == "TABLE_NAME").then(|| "t".to_string())).unwrap();
        assert_eq!(cfg.store, StoreConfig::DynamoDb { table: "t".into() });
        let cfg = Config::from_lookup(|_| None).unwrap();
        assert_eq!(
            cfg.store,
            StoreConfig::Embedded {
                data_dir: ".whatsapp-lambda".into()
            }
        );
    }

    #[test]
    fn allowed_accounts_are_comma_separated_lists() {
        let cfg = Config::from_lookup(|k| match k {
            "ALLOWED_WABA_IDS" => Some(" 111 , 222,".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(cfg.settings.inbound.allowed_waba_ids, ["111", "222"]);
        assert_eq!(cfg.settings.default_waba_id, None);
        let cfg =
            Config::from_lookup(|k| (k == "DEFAULT_WABA_ID").then(|| " waba-1 ".into())).unwrap();
        assert_eq!(cfg.settings.default_waba_id.as_deref(), Some("waba-1"));
        assert!(cfg.settings.inbound.allowed_phone_number_ids.is_empty());
    }

    #[test]
    fn local_media_lives_apart_from_the_database_files() {
        let cfg = Config::from_lookup(|k| (k == "DATA_DIR").then(|| "/tmp/d".to_string())).unwrap();
        assert_eq!(
            cfg.media,
            MediaConfig::Local {
                dir: "/tmp/d/media".into()
            }
        );
    }

    #[test]
    fn inbound_concurrency_and_processed_audits_are_read_and_checked() {
        let defaults = Config::from_lookup(|_| None).unwrap();
        assert_eq!(defaults.settings.inbound.concurrency, 16);
        assert!(!defaults.settings.inbound.audit_processed_records);
        let cfg = Config::from_lookup(|k| match k {
            "INBOUND_CONCURRENCY" => Some("256".into()),
            "AUDIT_PROCESSED_RECORDS" => Some("true".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(cfg.settings.inbound.concurrency, 256);
        assert!(cfg.settings.inbound.audit_processed_records);
        for bad in ["0", "257", "-1", "many"] {
            let err = Config::from_lookup(|k| (k == "INBOUND_CONCURRENCY").then(|| bad.into()))
                .unwrap_err();
            assert_eq!(err.name, "INBOUND_CONCURRENCY", "{bad}");
        }
        let err = Config::from_lookup(|k| (k == "AUDIT_PROCESSED_RECORDS").then(|| "maybe".into()))
            .unwrap_err();
        assert_eq!(err.name, "AUDIT_PROCESSED_RECORDS");
    }

    #[test]
    fn meta_webhook_and_graph_settings_are_read_and_checked() {
        let c = Config::from_lookup(|k| match k {
            "SENDER" => Some("graph".into()),
            "META_APP_SECRET" => Some("new,old".into()),
            "META_REPLAY_WINDOW_SECS" => Some("300".into()),
            "META_API_VERSION" => Some("v23.0".into()),
            "GRAPH_API_URL" => Some("http://127.0.0.1:9/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.sender, SenderConfig::Graph);
        assert_eq!(c.meta.app_secret.as_deref(), Some("new,old"));
        assert_eq!(c.meta.replay_window_secs, Some(300));
        assert_eq!(c.meta.graph_api_url, "http://127.0.0.1:9");
        assert_eq!(c.meta.graph_api_version, "v23.0");
        assert!(!format!("{:?}", c.meta).contains("new,old"));
        let err = Config::from_lookup(|k| (k == "META_REPLAY_WINDOW_SECS").then(|| "0".into()))
            .unwrap_err();
        assert!(err.to_string().contains("META_REPLAY_WINDOW_SECS"));
    }

    #[test]
    fn bad_ttl_is_named() {
        let err = Config::from_lookup(|k| (k == "AUDIT_TTL_DAYS").then(|| "soon".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("AUDIT_TTL_DAYS"));
    }

    #[test]
    fn scope_and_serve_settings_are_read_and_checked() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let cfg = Config::from_lookup(env(&[
            ("IAM_SCOPES", "arn:aws:iam::123456789012:role/ops=admin; arn:aws:iam::123456789012:role/agent=read,send"),
            ("SERVE_TOKEN", "0123456789abcdef0123"),
            ("SERVE_SCOPES", "read send"),
            ("SERVE_PUBLIC_HOST", "inbox.example.com, 10.0.0.5:3000"),
            ("SERVE_MAX_BODY_BYTES", "2048"),
            ("SERVE_BODY_TIMEOUT_SECS", "0.5"),
        ]))
        .unwrap();
        assert_eq!(cfg.access.iam.len(), 2);
        assert_eq!(cfg.access.iam[1].scopes.names(), ["read", "send"]);
        assert_eq!(cfg.serve.scopes.names(), ["read", "send"]);
        assert_eq!(
            cfg.serve.public_hosts,
            ["inbox.example.com", "10.0.0.5:3000"]
        );
        assert_eq!(cfg.serve.max_body_bytes, 2048);
        assert_eq!(cfg.serve.body_timeout, Duration::from_millis(500));
        let defaults = Config::from_lookup(|_| None).unwrap();
        assert_eq!(defaults.serve.token, None);
        assert_eq!(defaults.serve.scopes, Scopes::ALL);

        let err = Config::from_lookup(env(&[(
            "IAM_SCOPES",
            "arn:aws:iam::1:role/a=read;arn:aws:iam::1:role/b=write",
        )]))
        .unwrap_err();
        assert_eq!(err.value, "arn:aws:iam::1:role/b=write");
        let err = Config::from_lookup(env(&[("SERVE_TOKEN", "short")])).unwrap_err();
        assert!(
            !err.to_string().contains("short"),
            "the token is not shown: {err}"
        );
        assert!(Config::from_lookup(env(&[("SERVE_SCOPES", "everything")])).is_err());
        assert!(Config::from_lookup(env(&[("SERVE_HEADER_TIMEOUT_SECS", "0")])).is_err());
    }
}
