//! Typed action parameters, with errors that name the field.
//!
//! [`parse_request`] is what the registry runs for every action: it refuses strings over their
//! bound, ids that are not ids of their kind ([`ids`]) and parameters the action does not read,
//! then decodes the `Params` type.

pub mod bounds;
pub mod ids;
pub mod lenient;
#[cfg(test)]
mod registry_tests;

use ids::{ConversationPk, CustomerId, PhoneNumberId};
use std::any::TypeId;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::error::HandlerError;
use crate::keys;
use crate::registry::Param;

/// The longest string a top-level parameter accepts when its field declares no
/// `#[schemars(length(max = N))]`: ids, phone numbers, names and codes fit.
pub const DEFAULT_MAX_LEN: usize = 256;

/// Decodes an action's parameters from the request object, strictly: every top-level string
/// is within its bound (the field's `maxLength`, else [`DEFAULT_MAX_LEN`]), and every key other
/// than `action` is one the action reads (a parameter or one of its aliases).
///
/// # Errors
/// [`HandlerError::InvalidParam`] naming an oversized field, [`HandlerError::UnknownParam`]
/// naming the keys the action does not read (with the nearest known names), or what
/// [`parse`] answers.
pub fn parse_request<P>(request: Value) -> Result<P, HandlerError>
where
    P: DeserializeOwned + JsonSchema + Debug + 'static,
{
    let Value::Object(object) = &request else {
        return parse(request);
    };
    let shape = shape::<P>();
    let declared = |key: &str| shape.iter().find(|p| p.name == key);
    for (key, value) in object {
        let Some(param) = declared(key) else {
            continue;
        };
        if let Value::String(text) = value {
            check_bound(key, text, param.max_length.unwrap_or(DEFAULT_MAX_LEN))?;
        }
        // Checked here as well as by the id types, so that the field is named whatever else
        // the request lacks.
        if let Some(kind) = param.format.as_deref().and_then(ids::IdKind::from_format) {
            check_id(kind, key, value)?;
        }
    }
    let others: Vec<&String> = object
        .keys()
        .filter(|k| k.as_str() != "action" && declared(k).is_none())
        .collect();
    if others.is_empty() {
        return parse(request);
    }
    let action = object.get("action").and_then(Value::as_str).unwrap_or("");
    let parsed = match parse_ref::<P>(&request) {
        Ok(parsed) => parsed,
        Err(HandlerError::MissingParam(missing)) => {
            // A misspelt name is likelier than a missing parameter and an unknown one together.
            let typo = others
                .iter()
                .find(|k| strsim::jaro_winkler(&k.to_lowercase(), &missing.to_lowercase()) >= 0.8);
            return Err(match typo {
                Some(typo) => HandlerError::UnknownParam {
                    names: vec![typo.to_string()],
                    action: action.to_string(),
                    suggestions: vec![missing],
                },
                None => HandlerError::MissingParam(missing),
            });
        }
        Err(e) => return Err(e),
    };
    // serde does not say which keys it read, and the schema does not list aliases: a key is
    // read when an odd value under it changes the outcome.
    let baseline = format!("{parsed:?}");
    let mut unknown = Vec::new();
    for key in others {
        if !reads::<P>(object, key, &baseline) {
            unknown.push(key.clone());
        } else if let Value::String(text) = &object[key] {
            let smallest = shape.iter().filter_map(|p| p.max_length).min();
            if text.chars().count() > smallest.unwrap_or(DEFAULT_MAX_LEN).min(DEFAULT_MAX_LEN) {
                let bound = alias_bound::<P>(object, key, &shape, &baseline);
                check_bound(key, text, bound)?;
            }
        }
    }
    if !unknown.is_empty() {
        let suggestions = nearest(&unknown[0], shape.iter().map(|p| p.name.as_str()));
        return Err(HandlerError::UnknownParam {
            names: unknown,
            action: action.to_string(),
            suggestions,
        });
    }
    Ok(parsed)
}

/// The parameters of `P`, generated once per type.
fn shape<P: JsonSchema + 'static>() -> Arc<Vec<Param>> {
    type Cache = Mutex<HashMap<TypeId, Arc<Vec<Param>>>>;
    static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);
    let id = TypeId::of::<P>();
    if let Some(shape) = CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
    {
        return shape.clone();
    }
    let shape = Arc::new(crate::registry::params::<P>());
    CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, shape.clone());
    shape
}

/// An id parameter, or each string of a list of ids.
fn check_id(kind: ids::IdKind, field: &str, value: &Value) -> Result<(), HandlerError> {
    match value {
        Value::String(text) => kind.check_param(field, text),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .try_for_each(|text| kind.check_param(field, text)),
        _ => Ok(()),
    }
}

fn check_bound(field: &str, value: &str, max: usize) -> Result<(), HandlerError> {
    // Bytes bound characters from above: only count when it can matter.
    if value.len() > max {
        let n = value.chars().count();
        if n > max {
            return Err(HandlerError::invalid(
                field,
                format!("is {n} characters; at most {max} are accepted"),
            ));
        }
    }
    Ok(())
}

/// True when `P` reads `key`: an odd value under it fails the decode or changes the result.
fn reads<P: DeserializeOwned + Debug>(
    object: &Map<String, Value>,
    key: &str,
    baseline: &str,
) -> bool {
    let odd = if object[key].is_object() {
        json!([null, "\u{1}"])
    } else {
        json!({"\u{1}": [null]})
    };
    let mut probe = object.clone();
    probe.insert(key.to_string(), odd);
    match P::deserialize(&Value::Object(probe)) {
        Err(_) => true,
        Ok(other) => format!("{other:?}") != baseline,
    }
}

/// The bound of the parameter `alias` stands for: the one that, given the same value instead,
/// decodes to the same result.
fn alias_bound<P: DeserializeOwned + Debug>(
    object: &Map<String, Value>,
    alias: &str,
    shape: &[Param],
    baseline: &str,
) -> usize {
    let value = &object[alias];
    for param in shape {
        if object.contains_key(&param.name)
            || !matches!(param.kind.as_deref(), None | Some("string"))
        {
            continue;
        }
        let mut probe = object.clone();
        probe.remove(alias);
        probe.insert(param.name.clone(), value.clone());
        if P::deserialize(&Value::Object(probe)).is_ok_and(|p| format!("{p:?}") == baseline) {
            return param.max_length.unwrap_or(DEFAULT_MAX_LEN);
        }
    }
    DEFAULT_MAX_LEN
}

/// Up to three of `known` closest to `name` (Jaro-Winkler ≥ 0.75, ignoring case and `_`, or
/// containing it).
pub fn nearest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let fold = |s: &str| s.to_lowercase().replace('_', "");
    let wanted = fold(name);
    let mut scored: Vec<(f64, &str)> = known
        .map(|k| (strsim::jaro_winkler(&wanted, &fold(k)), k))
        .filter(|(score, k)| *score >= 0.75 || (wanted.len() >= 3 && fold(k).contains(&wanted)))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, k)| k.to_string())
        .collect()
}

/// Decodes an action's parameters from the request object (without the strict checks of
/// [`parse_request`]).
///
/// # Errors
/// [`HandlerError::MissingParam`] or [`HandlerError::InvalidParam`] naming the field.
pub fn parse<P: DeserializeOwned>(request: Value) -> Result<P, HandlerError> {
    parse_ref(&request)
}

fn parse_ref<P: DeserializeOwned>(request: &Value) -> Result<P, HandlerError> {
    let error = match serde_path_to_error::deserialize::<_, P>(request) {
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
        culprit::<P>(request).unwrap_or_else(|| "request".to_string())
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

/// Page size and token, shared by list actions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    /// Page size, 1 to 100; 20 when absent.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub limit: Option<i64>,
    /// The `nextToken` of the previous page.
    #[schemars(length(max = crate::params::bounds::TOKEN))]
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
    pub conversation_pk: Option<ConversationPk>,
    /// The business phone's Meta id; defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// The customer's wa_id (phone number without `+`) or BSUID; or give `conversationPk`.
    #[serde(default, alias = "customer_id", alias = "waId", alias = "wa_id")]
    pub customer_id: Option<CustomerId>,
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
