//! The parameters every send shares, and who the message goes to.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::HandlerError;
use crate::params::lenient;

/// Parameters every send accepts.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendCommon {
    /// The customer's phone number in international format (`+1 650 555 1234`), or give
    /// `recipient`.
    #[schemars(length(max = crate::params::bounds::PHONE))]
    #[serde(default)]
    pub to: Option<String>,
    /// The customer's business-scoped user id (BSUID), instead of `to`.
    #[serde(default)]
    pub recipient: Option<String>,
    /// The business phone (Meta's phone number id); defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<String>,
    /// EUM Social's `phone-number-id-…` or its ARN; defaults from the configuration.
    #[serde(default, alias = "origination_phone_number_id")]
    pub origination_phone_number_id: Option<String>,
    /// A wamid to quote (`context.message_id`).
    #[serde(default, alias = "reply_to", alias = "context")]
    pub reply_to: Option<String>,
    /// Echoed back in this message's statuses (at most 512 characters).
    #[schemars(length(max = crate::params::bounds::CALLBACK_DATA))]
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    /// `true` sends a free-form message even outside the 24-hour window.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub force: bool,
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
}
