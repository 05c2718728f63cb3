//! Ids that become parts of table keys, validated where they are decoded.
//!
//! A key joins its parts with `#` (`CONV#{phoneNumberId}#{customerId}`), so an id holding a `#`
//! would name another item: `phoneNumberId` `1065#1650` and customer `1650` make
//! `CONV#1065#1650#1650`. Every id parameter is declared with one of the types below; each
//! refuses a `#`, control characters, characters outside its kind's alphabet and values over its
//! kind's length, and its JSON schema carries the kind as `format` (with `maxLength`), so that
//! [`super::parse_request`] checks it before decoding, `help` shows it, and the registry test
//! finds every id parameter of every action. An empty string passes: the actions read it as
//! "not given", as before.

use crate::error::HandlerError;

mod types;
pub use types::*;

/// What an id is: its alphabet, its longest value and its name in the schema (`format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A numeric Meta id: flows, templates, datasets, catalogs.
    MetaId,
    /// A business phone: Meta's numeric id, EUM's `phone-number-id-…`, its ARN, or its
    /// display number (`+1 650-555-1234`, resolved through `get_config`'s cache).
    PhoneNumberId,
    /// An EUM Social id or ARN (`phone-number-id-…`, `waba-…`, `arn:aws:social-messaging:…`),
    /// or a WABA's numeric Meta id.
    EumId,
    /// A customer: the wa_id (digits, a leading `+` is dropped) or the BSUID.
    CustomerId,
    /// A business-scoped user id (`US.13491208655302741918`).
    Bsuid,
    /// A message id: Meta's `wamid.…` (base64), a call's `wacid.…`, or another sender's id.
    WaMessageId,
    /// An id this function or its caller chose: campaigns, automations (`auto-…`).
    LocalId,
    /// A template's name: letters, digits and `_` (Meta's rule).
    TemplateName,
    /// A language code (`en_US`, `pt_BR`, `ha`).
    Language,
    /// A WhatsApp media id.
    MediaId,
    /// A payment request's `reference_id`: 1 to 35 letters, digits, `_`, `-` or `.` (Meta's).
    ReferenceId,
    /// A webhook delivery's id (SNS and SQS message ids, or an id hashed from the content).
    DeliveryId,
    /// A phone number in international format: 6 to 15 digits, with `+`, spaces, dashes,
    /// dots or parentheses between them.
    PhoneNumber,
    /// A conversation's key, `CONV#{phoneNumberId}#{customerId}`.
    ConversationPk,
}

impl IdKind {
    pub const ALL: [IdKind; 14] = [
        IdKind::MetaId,
        IdKind::PhoneNumberId,
        IdKind::EumId,
        IdKind::CustomerId,
        IdKind::Bsuid,
        IdKind::WaMessageId,
        IdKind::LocalId,
        IdKind::TemplateName,
        IdKind::Language,
        IdKind::MediaId,
        IdKind::ReferenceId,
        IdKind::DeliveryId,
        IdKind::PhoneNumber,
        IdKind::ConversationPk,
    ];

    /// The schema's `format` of this kind.
    pub fn format(self) -> &'static str {
        match self {
            IdKind::MetaId => "meta-id",
            IdKind::PhoneNumberId => "phone-number-id",
            IdKind::EumId => "eum-id",
            IdKind::CustomerId => "customer-id",
            IdKind::Bsuid => "bsuid",
            IdKind::WaMessageId => "wamid",
            IdKind::LocalId => "local-id",
            IdKind::TemplateName => "template-name",
            IdKind::Language => "language",
            IdKind::MediaId => "media-id",
            IdKind::ReferenceId => "reference-id",
            IdKind::DeliveryId => "delivery-id",
            IdKind::PhoneNumber => "phone-number",
            IdKind::ConversationPk => "conversation-pk",
        }
    }

    /// The kind whose `format` is `format`.
    pub fn from_format(format: &str) -> Option<IdKind> {
        IdKind::ALL.into_iter().find(|k| k.format() == format)
    }

    /// The longest value accepted, in characters.
    pub fn max_len(self) -> usize {
        match self {
            IdKind::MetaId | IdKind::PhoneNumber | IdKind::Language => 32,
            IdKind::ReferenceId => 35,
            IdKind::LocalId => 64,
            IdKind::CustomerId | IdKind::Bsuid => 128,
            IdKind::PhoneNumberId
            | IdKind::EumId
            | IdKind::WaMessageId
            | IdKind::MediaId
            | IdKind::DeliveryId => 256,
            IdKind::TemplateName => super::bounds::TEMPLATE_NAME,
            // `CONV#` + a phone id + `#` + a customer id.
            IdKind::ConversationPk => 5 + 256 + 1 + 128,
        }
    }

    /// What a value of this kind looks like, for error messages.
    fn describe(self) -> &'static str {
        match self {
            IdKind::MetaId => "Meta's numeric id (digits only)",
            IdKind::PhoneNumberId => {
                "a business phone (Meta's numeric id, EUM's phone-number-id-…, its ARN or its display number)"
            }
            IdKind::EumId => "an EUM Social id or ARN, or Meta's numeric id",
            IdKind::CustomerId => "a customer's wa_id (digits) or BSUID",
            IdKind::Bsuid => "a BSUID (letters, digits, `.`, `_`, `-`)",
            IdKind::WaMessageId => {
                "a message id (wamid.… : letters, digits, `.`, `_`, `-`, `=`, `+`, `/`, `:`)"
            }
            IdKind::LocalId => "an id of letters, digits, `.`, `_`, `-` and `:`",
            IdKind::TemplateName => "a template name (letters, digits and `_`)",
            IdKind::Language => "a language code (en_US)",
            IdKind::MediaId => "a media id (letters, digits, `.`, `_`, `-`)",
            IdKind::ReferenceId => "a reference id (letters, digits, `_`, `-`, `.`)",
            IdKind::DeliveryId => "a delivery id (letters, digits, `.`, `_`, `-`, `:`)",
            IdKind::PhoneNumber => "a phone number in international format (6 to 15 digits)",
            IdKind::ConversationPk => "a conversation key (CONV#{phoneNumberId}#{customerId})",
        }
    }

    fn allows(self, c: char) -> bool {
        let word = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        match self {
            IdKind::MetaId => c.is_ascii_digit(),
            IdKind::PhoneNumberId => word || matches!(c, ':' | '/' | '+' | '(' | ')' | ' '),
            IdKind::EumId | IdKind::LocalId | IdKind::DeliveryId => word || matches!(c, ':' | '/'),
            IdKind::CustomerId => word || c == '+',
            IdKind::Bsuid | IdKind::MediaId | IdKind::ReferenceId => word,
            IdKind::WaMessageId => word || matches!(c, '=' | '+' | '/' | ':'),
            IdKind::TemplateName => c.is_ascii_alphanumeric() || c == '_',
            IdKind::Language => c.is_ascii_alphanumeric() || matches!(c, '_' | '-'),
            IdKind::PhoneNumber => {
                c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.')
            }
            IdKind::ConversationPk => true,
        }
    }

    /// Why `value` is not an id of this kind, if it is not one.
    pub fn check(self, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return Ok(());
        }
        let n = value.chars().count();
        if n > self.max_len() {
            return Err(format!(
                "is {n} characters; at most {} are accepted",
                self.max_len()
            ));
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        if self == IdKind::ConversationPk {
            return check_conversation_pk(value);
        }
        if value.contains('#') {
            return Err("must not contain `#` (it separates the parts of table keys)".into());
        }
        if !value.chars().all(|c| self.allows(c)) {
            return Err(format!("`{value}` is not {}", self.describe()));
        }
        match self {
            IdKind::CustomerId
                if value.trim_start_matches('+').is_empty() || value[1..].contains('+') =>
            {
                Err(format!("`{value}` is not {}", self.describe()))
            }
            IdKind::PhoneNumber => {
                let digits = value.chars().filter(char::is_ascii_digit).count();
                if (6..=15).contains(&digits) {
                    Ok(())
                } else {
                    Err(format!("`{value}` is not {}", self.describe()))
                }
            }
            _ => Ok(()),
        }
    }

    /// Why an id received in a webhook (`what`: where it was) cannot become part of a key. The
    /// value may be a customer's phone number, so the reason names the rule, not the value.
    ///
    /// # Errors
    /// The reason, starting with `what`.
    pub fn check_part(self, what: &str, value: &str) -> Result<(), String> {
        self.check(value).map_err(|reason| {
            let reason = if reason.starts_with('`') {
                format!("is not {}", self.describe())
            } else {
                reason
            };
            format!("{what} {reason}")
        })
    }

    /// # Errors
    /// [`HandlerError::InvalidParam`] naming `field` when `value` is not an id of this kind.
    pub fn check_param(self, field: &str, value: &str) -> Result<(), HandlerError> {
        self.check(value)
            .map_err(|reason| HandlerError::invalid(field, reason))
    }
}

fn check_conversation_pk(pk: &str) -> Result<(), String> {
    let not_one =
        || format!("`{pk}` is not a conversation key (CONV#{{phoneNumberId}}#{{customerId}})");
    let rest = pk.strip_prefix("CONV#").ok_or_else(not_one)?;
    let (phone, customer) = rest.split_once('#').ok_or_else(not_one)?;
    if phone.is_empty() || customer.is_empty() {
        return Err(not_one());
    }
    IdKind::PhoneNumberId
        .check(phone)
        .and_then(|()| IdKind::CustomerId.check(customer))
        .map_err(|reason| format!("{}: its id {reason}", not_one()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_and_odd_ids_are_refused_with_a_reason() {
        let e = PhoneNumberId::new("106540352242922#16505551234").unwrap_err();
        assert!(e.contains("must not contain `#`"), "{e}");
        let e = WaMessageId::new("wamid.A\u{0}").unwrap_err();
        assert!(e.contains("control characters"), "{e}");
        let e = MetaId::new("12a").unwrap_err();
        assert!(e.contains("is not Meta's numeric id"), "{e}");
        let e = CustomerId::new("1".repeat(129)).unwrap_err();
        assert!(e.contains("at most 128"), "{e}");
        let e = ConversationPk::new("CONV#1#2#3").unwrap_err();
        assert!(e.contains("must not contain `#`"), "{e}");
        assert!(PhoneNumber::new("+1 650 5").is_err());
    }

    #[test]
    fn the_documented_forms_pass() {
        for (kind, value) in [
            (IdKind::PhoneNumberId, "106540352242922"),
            (
                IdKind::PhoneNumberId,
                "phone-number-id-01a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6",
            ),
            (
                IdKind::PhoneNumberId,
                "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/01a2b3c4",
            ),
            (IdKind::PhoneNumberId, "+1 650-555-1234"),
            (IdKind::EumId, "waba-01a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6"),
            (IdKind::CustomerId, "+16505551234"),
            (IdKind::CustomerId, "US.13491208655302741918"),
            (
                IdKind::WaMessageId,
                "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ016A=",
            ),
            (IdKind::WaMessageId, "wacid.HBgLMTY1MDU1NTEyMzQVAgASGBQ/+z"),
            (IdKind::LocalId, "auto-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            (IdKind::TemplateName, "order_update_2"),
            (IdKind::Language, "pt_BR"),
            (IdKind::ReferenceId, "ORD-2026-0042"),
            (IdKind::PhoneNumber, "+1 (650) 555-1234"),
            (IdKind::ConversationPk, "CONV#106540352242922#US.1349120865"),
            (IdKind::MetaId, ""),
        ] {
            assert_eq!(kind.check(value), Ok(()), "{kind:?} {value}");
        }
    }
}
