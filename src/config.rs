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

#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreConfig,
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
    /// Reads `TABLE_NAME`, `DATA_DIR`, `DEFAULT_PHONE_NUMBER_ID`, `AUDIT_TTL_DAYS`.
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
        Ok(Config {
            store,
            settings: Settings {
                default_phone_number_id: non_empty("DEFAULT_PHONE_NUMBER_ID"),
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
    fn bad_ttl_is_named() {
        let err = Config::from_lookup(|k| (k == "AUDIT_TTL_DAYS").then(|| "soon".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("AUDIT_TTL_DAYS"));
    }
}
