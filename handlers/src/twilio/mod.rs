//! Twilio WhatsApp: the request signature and the conversion of its webhooks into the EUM Social
//! events the inbound path processes. No SDK and no HTTP here: the root crate reads the request
//! (`src/intake/webhooks/twilio.rs`) and sends through Twilio's REST API (`src/twilio.rs`).

pub mod inbound;
pub mod signature;

pub use inbound::{Converted, TwilioError, convert};
pub use signature::{parse_form, sign, verify};
