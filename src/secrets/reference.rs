//! What a configured secret names: its value, or the ARN of a Secrets Manager secret or an SSM
//! parameter (read by [`super::read`]). A leaf: the configuration modules parse with it.

/// Where a configured secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// The value itself.
    Value(String),
    /// A Secrets Manager secret, by ARN.
    SecretsManager(String),
    /// An SSM Parameter Store parameter, by ARN.
    Ssm(String),
}

impl SecretRef {
    /// What a configured value names.
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        if value.starts_with("arn:aws:secretsmanager:") {
            SecretRef::SecretsManager(value.to_string())
        } else if value.starts_with("arn:aws:ssm:") {
            SecretRef::Ssm(value.to_string())
        } else {
            SecretRef::Value(value.to_string())
        }
    }

    /// True when reading it needs AWS.
    pub fn is_remote(&self) -> bool {
        !matches!(self, SecretRef::Value(_))
    }
}
