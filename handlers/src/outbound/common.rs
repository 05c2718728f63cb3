//! The parameters every send shares, and who the message goes to.

use schemars::JsonSchema;
use serde::Deserialize;

use super::idempotency;
use crate::error::HandlerError;
use crate::params::ids::{Bsuid, EumId, PhoneNumber, PhoneNumberId, WaMessageId};
use crate::params::lenient;

/// Longest `phoneNumberId` stored (Meta's ids have 15 to 17 digits).
pub const MAX_PHONE_ID_LEN: usize = 64;
/// Longest `originationPhoneNumberId` (an EUM id or ARN).
pub const MAX_ORIGINATION_LEN: usize = 256;
/// Longest BSUID `recipient`.
pub const MAX_BSUID_LEN: usize = 128;
/// Longest `replyTo` wamid.
pub const MAX_REPLY_TO_LEN: usize = 256;

/// Parameters every send accepts.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendCommon {
    /// The customer's phone number in international format (`+1 650 555 1234`), or give
    /// `recipient`.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default)]
    pub to: Option<PhoneNumber>,
    /// The customer's business-scoped user id (BSUID), instead of `to`.
    #[serde(default)]
    pub recipient: Option<Bsuid>,
    /// The business phone (Meta's phone number id); defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// EUM Social's `phone-number-id-…` or its ARN; defaults from the configuration.
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<EumId>,
    /// A wamid to quote (`context.message_id`).
    #[serde(default, alias = "reply_to", alias = "context")]
    pub reply_to: Option<WaMessageId>,
    /// Echoed back in this message's statuses (at most 360 characters: the rest of Meta's 512
    /// carries the idempotency key).
    #[schemars(length(max = crate::params::bounds::CALLBACK_DATA))]
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    /// Makes retries safe: a send with a key that already sent returns that send's
    /// `waMessageId` (`"replayed": true`) and sends nothing; the same key with a different
    /// request answers 422; a send with this key still in flight or awaiting its status answers
    /// 409. A send that EUM Social refused may be retried with the same key. 1 to 128 visible
    /// ASCII characters (no spaces), kept 7 days. Without it, the same request repeated within
    /// 30 seconds is taken as a retry.
    #[serde(default, alias = "idempotency_key")]
    pub idempotency_key: Option<String>,
    /// `true` sends a free-form message even outside the 24-hour window.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub force: bool,
}

/// Checks that what a send stores and sends fits, before anything is sent: the ids that become
/// parts of table keys, the quoted wamid, the callback data and the idempotency key.
///
/// # Errors
/// 400 naming the field.
pub(super) fn check_fields(common: &SendCommon) -> Result<(), HandlerError> {
    for (field, value, max) in [
        (
            "phoneNumberId",
            // An ARN names a linked phone; the Meta id it resolves to is checked after.
            common
                .phone_number_id
                .as_deref()
                .filter(|p| !p.starts_with("arn:")),
            MAX_PHONE_ID_LEN,
        ),
        (
            "originationPhoneNumberId",
            common.origination_phone_number_id.as_deref(),
            MAX_ORIGINATION_LEN,
        ),
        ("recipient", common.recipient.as_deref(), MAX_BSUID_LEN),
        ("replyTo", common.reply_to.as_deref(), MAX_REPLY_TO_LEN),
    ] {
        if let Some(value) = value {
            check_stored(field, value, max)?;
        }
    }
    if let Some(data) = &common.biz_opaque_callback_data {
        let n = data.chars().count();
        if n > idempotency::MAX_CALLER_CALLBACK_LEN {
            return Err(HandlerError::invalid(
                "bizOpaqueCallbackData",
                format!(
                    "is {n} characters; at most {} (Meta allows 512 and the idempotency key takes the rest)",
                    idempotency::MAX_CALLER_CALLBACK_LEN
                ),
            ));
        }
    }
    if let Some(key) = &common.idempotency_key {
        idempotency::check_key(key)?;
    }
    Ok(())
}

/// A length limit of what the table stores (ids that become parts of keys).
pub(super) fn check_stored(field: &str, value: &str, max: usize) -> Result<(), HandlerError> {
    let n = value.chars().count();
    if n > max {
        return Err(HandlerError::invalid(
            field,
            format!("is {n} characters; at most {max} can be stored"),
        ));
    }
    Ok(())
}

/// The customer: digits of a phone number, or a BSUID.
pub(super) fn recipient(
    common: &SendCommon,
) -> Result<(String, Option<String>, Option<String>), HandlerError> {
    match (
        common.to.as_deref().filter(|t| !t.is_empty()),
        common.recipient.as_deref().filter(|r| !r.is_empty()),
    ) {
        (Some(_), Some(_)) => Err(HandlerError::invalid(
            "to",
            "give either `to` (a phone number) or `recipient` (a BSUID), not both",
        )),
        (None, None) => Err(HandlerError::MissingParam("to (or recipient)".into())),
        (Some(to), None) => {
            let digits: String = to
                .chars()
                .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
                .collect();
            if !(6..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(HandlerError::invalid(
                    "to",
                    format!(
                        "`{to}` is not a phone number in international format (6 to 15 digits)"
                    ),
                ));
            }
            Ok((digits.clone(), Some(digits), None))
        }
        (None, Some(bsuid)) => Ok((bsuid.to_string(), None, Some(bsuid.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_phone_digits_or_a_bsuid() {
        let common = SendCommon {
            to: Some("+1 (650) 555-1234".into()),
            ..Default::default()
        };
        assert_eq!(recipient(&common).unwrap().0, "16505551234");
        let common = SendCommon {
            recipient: Some("US.123".into()),
            ..Default::default()
        };
        assert_eq!(recipient(&common).unwrap().2.as_deref(), Some("US.123"));
        let common = SendCommon {
            to: Some("hello".into()),
            ..Default::default()
        };
        assert!(
            recipient(&common)
                .unwrap_err()
                .to_string()
                .contains("not a phone number")
        );
        assert!(
            recipient(&SendCommon::default())
                .unwrap_err()
                .to_string()
                .contains("missing required parameter `to")
        );
    }

    #[test]
    fn fields_that_cannot_be_stored_are_named() {
        fn long<T: From<String>>(n: usize) -> Option<T> {
            Some("9".repeat(n).into())
        }
        for (common, field) in [
            (
                SendCommon {
                    phone_number_id: long(65),
                    ..Default::default()
                },
                "phoneNumberId",
            ),
            (
                SendCommon {
                    origination_phone_number_id: long(257),
                    ..Default::default()
                },
                "originationPhoneNumberId",
            ),
            (
                SendCommon {
                    recipient: long(129),
                    ..Default::default()
                },
                "recipient",
            ),
            (
                SendCommon {
                    reply_to: long(257),
                    ..Default::default()
                },
                "replyTo",
            ),
            (
                SendCommon {
                    biz_opaque_callback_data: long(361),
                    ..Default::default()
                },
                "bizOpaqueCallbackData",
            ),
            (
                SendCommon {
                    idempotency_key: long(129),
                    ..Default::default()
                },
                "idempotencyKey",
            ),
        ] {
            let e = check_fields(&common).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("invalid parameter `{field}`")),
                "{e}"
            );
        }
        let fits = SendCommon {
            phone_number_id: long(64),
            recipient: long(128),
            reply_to: long(256),
            biz_opaque_callback_data: long(360),
            idempotency_key: long(128),
            ..Default::default()
        };
        assert!(check_fields(&fits).is_ok());
    }
}
