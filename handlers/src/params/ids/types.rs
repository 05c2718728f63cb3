//! The id types: one `String` newtype per [`IdKind`], checked on deserialize.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, de::Error};

use super::IdKind;

/// Declares a `String` newtype that holds an id of one [`IdKind`], checked on deserialize.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const KIND: IdKind = $kind;

            /// # Errors
            /// Why `value` is not an id of this kind.
            pub fn new(value: impl Into<String>) -> Result<Self, String> {
                let value = value.into();
                Self::KIND.check(&value)?;
                Ok(Self(value))
            }

            /// An id read back from the table or from a typed webhook, which was checked when
            /// it was decoded: not checked again.
            pub fn from_trusted(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        /// Tests build values unchecked, to reach the checks behind the decoding.
        #[cfg(test)]
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_trusted(value)
            }
        }

        #[cfg(test)]
        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::from_trusted(value)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::new(String::deserialize(d)?).map_err(D::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "format": Self::KIND.format(),
                    "maxLength": Self::KIND.max_len(),
                })
            }
        }
    };
}

id_type!(
    /// A numeric Meta id (flow, template, dataset, catalog).
    MetaId,
    IdKind::MetaId
);
id_type!(
    /// A business phone as a request names it (see [`IdKind::PhoneNumberId`]).
    PhoneNumberId,
    IdKind::PhoneNumberId
);
id_type!(
    /// An EUM Social id or ARN (origination phone, WABA), or a WABA's Meta id.
    EumId,
    IdKind::EumId
);
id_type!(
    /// A customer's wa_id or BSUID.
    CustomerId,
    IdKind::CustomerId
);
id_type!(
    /// A business-scoped user id.
    Bsuid,
    IdKind::Bsuid
);
id_type!(
    /// A message's id (`wamid.…`), or a call's (`wacid.…`).
    WaMessageId,
    IdKind::WaMessageId
);
id_type!(
    /// An id this function or its caller chose (campaign, automation rule).
    LocalId,
    IdKind::LocalId
);
id_type!(
    /// A template's name.
    TemplateName,
    IdKind::TemplateName
);
id_type!(
    /// A language code.
    Language,
    IdKind::Language
);
id_type!(
    /// A WhatsApp media id.
    MediaId,
    IdKind::MediaId
);
id_type!(
    /// A payment request's reference id.
    ReferenceId,
    IdKind::ReferenceId
);
id_type!(
    /// A webhook delivery's id.
    DeliveryId,
    IdKind::DeliveryId
);
id_type!(
    /// A phone number in international format, as given (normalised by the send).
    PhoneNumber,
    IdKind::PhoneNumber
);
id_type!(
    /// A conversation's key.
    ConversationPk,
    IdKind::ConversationPk
);
