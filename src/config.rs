//! Configuration, read once from the environment.

use std::path::PathBuf;

use handlers::Settings;
use handlers::inbound::InboundSettings;

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
}

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl Config {
    /// Reads `TABLE_NAME`, `DATA_DIR`, `DEFAULT_PHONE_NUMBER_ID`, `ORIGINATION_PHONE_NUMBER_ID`,
    /// `PHONE_NUMBERS`, `SENDER`, `MEDIA_BUCKET`, `META_API_VERSION`, `AUTO_DOWNLOAD_MEDIA`,
    /// `AUDIT_TTL_DAYS`.
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
        let origination = non_empty("ORIGINATION_PHONE_NUMBER_ID");
        let sender = match non_empty("SENDER").as_deref() {
            Some("eum") => SenderConfig::Eum,
            Some("sandbox") => SenderConfig::Sandbox,
            Some(other) => {
                return Err(ConfigError {
                    name: "SENDER",
                    value: other.into(),
                    reason: "must be eum or sandbox",
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
        let auto_download_media = match non_empty("AUTO_DOWNLOAD_MEDIA").as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(ConfigError {
                    name: "AUTO_DOWNLOAD_MEDIA",
                    value: other.into(),
                    reason: "must be true or false",
                });
            }
        };
        Ok(Config {
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
                inbound: InboundSettings { audit_ttl_days },
            },
        })
    }
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
    fn bad_ttl_is_named() {
        let err = Config::from_lookup(|k| (k == "AUDIT_TTL_DAYS").then(|| "soon".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("AUDIT_TTL_DAYS"));
    }
}
