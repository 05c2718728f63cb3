//! Typed action parameters, with errors that name the field.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::HandlerError;
use crate::keys;

/// Decodes an action's parameters from the request object.
///
/// # Errors
/// [`HandlerError::MissingParam`] or [`HandlerError::InvalidParam`] naming the field.
pub fn parse<P: DeserializeOwned>(request: Value) -> Result<P, HandlerError> {
    let error = match serde_path_to_error::deserialize::<_, P>(&request) {
        Ok(params) => return Ok(params),
        Err(e) => e,
    };
    let path = error.path().to_string();
    let inner = error.into_inner().to_string();
    if let Some(rest) = inner.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        let field = if path == "." {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return Err(HandlerError::MissingParam(field));
    }
    let field = if path == "." {
        // A field of a `#[serde(flatten)]`ed struct loses its path: find the one to blame.
        culprit::<P>(&request).unwrap_or_else(|| "request".to_string())
    } else {
        path
    };
    Err(HandlerError::InvalidParam {
        field,
        reason: inner,
    })
}

/// The top-level key without which the request decodes (only asked after an error whose path
/// serde lost).
fn culprit<P: DeserializeOwned>(request: &Value) -> Option<String> {
    let object = request.as_object()?;
    object
        .keys()
        .find(|key| {
            let mut without = object.clone();
            without.remove(key.as_str());
            P::deserialize(&Value::Object(without)).is_ok()
        })
        .cloned()
}

/// Deserializers that also take the string form a query string gives (`?limit=5&archived=true`).
pub mod lenient {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Value;

    /// An optional integer, or a string of one.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("expected a whole number, got {n}"))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("expected a whole number, got \"{s}\""))),
            Some(other) => Err(D::Error::custom(format!(
                "expected a whole number, got {other}"
            ))),
        }
    }

    /// An optional boolean, or the string `true` / `false`.
    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(other) => Err(D::Error::custom(format!(
                "expected true or false, got {other}"
            ))),
        }
    }

    /// A boolean, or the string `true` / `false`; absent is false.
    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s == "true" => Ok(true),
            Some(Value::String(s)) if s == "false" => Ok(false),
            Some(other) => Err(D::Error::custom(format!(
                "expected true or false, got {other}"
            ))),
        }
    }
}

/// Page size and token, shared by list actions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    /// Page size, 1 to 100; 20 when absent.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub limit: Option<i64>,
    /// The `nextToken` of the previous page.
    #[serde(default, alias = "next_token")]
    pub next_token: Option<String>,
}

impl Paging {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;

    /// # Errors
    /// `limit` outside 1..=100.
    pub fn request(&self) -> Result<crate::store::PageRequest, HandlerError> {
        let limit = match self.limit {
            None => Self::DEFAULT_LIMIT,
            Some(n) if (1..=i64::from(Self::MAX_LIMIT)).contains(&n) => n as u32,
            Some(n) => {
                return Err(HandlerError::invalid(
                    "limit",
                    format!("must be between 1 and {}, got {n}", Self::MAX_LIMIT),
                ));
            }
        };
        Ok(crate::store::PageRequest {
            limit,
            cursor: self.next_token.clone().filter(|t| !t.is_empty()),
        })
    }
}

/// A conversation named by its pk, or by business phone and customer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationRef {
    /// `CONV#{phoneNumberId}#{customerId}`; or give `customerId`.
    #[serde(default, alias = "conversation_pk")]
    pub conversation_pk: Option<String>,
    /// The business phone's Meta id; defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<String>,
    /// The customer's wa_id (phone number without `+`) or BSUID; or give `conversationPk`.
    #[serde(default, alias = "customer_id", alias = "waId", alias = "wa_id")]
    pub customer_id: Option<String>,
}

impl ConversationRef {
    /// The conversation's pk.
    ///
    /// # Errors
    /// Neither `conversationPk` nor `customerId` given, or a pk that is not a conversation's.
    pub fn pk(&self, default_phone: Option<&str>) -> Result<String, HandlerError> {
        if let Some(pk) = self.conversation_pk.as_deref().filter(|p| !p.is_empty()) {
            if !pk.starts_with("CONV#") || pk.matches('#').count() < 2 {
                return Err(HandlerError::invalid(
                    "conversationPk",
                    format!(
                        "`{pk}` is not a conversation key (CONV#{{phoneNumberId}}#{{customerId}})"
                    ),
                ));
            }
            return Ok(pk.to_string());
        }
        let customer = self
            .customer_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| HandlerError::MissingParam("conversationPk (or customerId)".into()))?;
        let phone = phone_number_id(self.phone_number_id.as_deref(), default_phone)?;
        Ok(keys::conversation(&phone, customer.trim_start_matches('+')))
    }
}

/// The business phone number id from the parameters or the configured default.
///
/// # Errors
/// Neither given.
pub fn phone_number_id(given: Option<&str>, default: Option<&str>) -> Result<String, HandlerError> {
    given
        .filter(|p| !p.is_empty())
        .or(default)
        .map(str::to_string)
        .ok_or_else(|| {
            HandlerError::MissingParam(
                "phoneNumberId (no DEFAULT_PHONE_NUMBER_ID is configured)".into(),
            )
        })
}

/// A length limit (Meta's), checked before anything is sent: the error names the field and
/// the limit.
pub fn check_len(field: &str, value: &str, max: usize) -> Result<(), HandlerError> {
    let n = value.chars().count();
    if n > max {
        return Err(HandlerError::invalid(
            field,
            format!("is {n} characters; WhatsApp allows at most {max}"),
        ));
    }
    Ok(())
}

/// A required, non-empty string parameter.
pub fn non_empty(field: &str, value: &str) -> Result<(), HandlerError> {
    if value.trim().is_empty() {
        return Err(HandlerError::invalid(field, "must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct P {
        id: String,
        #[serde(default)]
        limit: Option<i64>,
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let err = parse::<P>(json!({"action": "x"})).unwrap_err();
        assert_eq!(err.to_string(), "missing required parameter `id`");
        let err = parse::<P>(json!({"id": "a", "limit": "ten"})).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid parameter `limit`"),
            "{err}"
        );
        assert_eq!(err.status(), 400);
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Flattened {
        id: String,
        #[serde(flatten)]
        paging: Paging,
    }

    #[test]
    fn a_bad_field_of_a_flattened_struct_is_named() {
        let err = parse::<Flattened>(json!({"id": "a", "limit": "5 x"})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `limit`: expected a whole number, got \"5 x\""
        );
    }

    #[test]
    fn limit_is_bounded() {
        let paging = Paging {
            limit: Some(0),
            next_token: None,
        };
        assert!(
            paging
                .request()
                .unwrap_err()
                .to_string()
                .contains("between 1 and 100")
        );
    }
}
