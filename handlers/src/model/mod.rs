//! The typed model: Meta's webhook payloads and the items of the single table.

mod items;
mod message;
mod webhook;

pub use items::*;
pub use message::{Arrival, Customer, parse_inbound, preview};
pub use webhook::{
    Change, Contact, Entry, Envelope, EumContext, MessagesValue, Metadata, PoisonError,
    RawMetaError, Status,
};
