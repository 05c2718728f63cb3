//! The typed model: Meta's webhook payloads and the items of the single table.

pub mod attr;
mod items;
mod message;
mod parts;
mod states;
mod webhook;

pub use items::*;
pub use message::{
    Arrival, Customer, InboundMessageError, inbound_customer, parse_inbound, preview,
};
pub use parts::*;
pub use states::*;
pub use webhook::{
    Change, Contact, Entry, Envelope, EumContext, MessagesValue, Metadata, PoisonError,
    RawMetaError, Status,
};
