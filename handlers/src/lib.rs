//! The application core of whatsapp-lambda: the model, the ports, the inbound rules, the actions
//! and their registry. It has no AWS SDK dependency; the root crate adapts it to Lambda, DynamoDB
//! and the local embedded store.
//!
//! # Layout
//! - [`keys`]: every key and index name of the single table (the only place they are built).
//! - [`model`]: Meta's webhook payloads (typed layers) and the table's items.
//! - [`store`]: the storage port ([`Store`]) and its error and paging types.
//! - [`inbound`]: one delivered record → stored messages, statuses and events, idempotently.
//! - [`rules`]: the merge rules (exactly once, statuses only forward, conversation threading).
//! - [`ctx`]: the request context ([`Ctx`]: store, ports, settings) every action and the
//!   inbound path share.
//! - [`registry`]: the action map and the response envelope.
//! - [`actions`]: one file per action.
//! - [`commerce`]: orders, payments and Meta's limits of the commerce messages.
//! - [`params`]: typed parameters with errors that name the field.
//! - [`ports`]: the outbound ports ([`ports::Sender`] for EUM Social, [`ports::MediaStore`]).
//! - [`outbound`]: the send pipeline (recipient, 24-hour window, Meta JSON, OUTBOUND item).
//! - [`media`]: copying inbound media into the media store.
//! - [`sandbox`]: the local sender (generated wamids, status playback) and in-memory media.
//! - [`sandbox_templates`]: local mode's templates and flows (with `hello_world`), kept in a
//!   [`sandbox_state`] (the SQLite file locally, memory in tests).
//! - [`templates`]: the template cache, Meta's template rules, WABA resolution, flow items.
//! - [`error`]: [`HandlerError`] and the HTTP status of each variant.
//! - [`webhooks`]: direct Meta webhooks: handshake, signature, replay window, processing.
//! - [`social`]: Instagram and Messenger `messaging[]` events → MESSAGE and CONVERSATION items.
//! - [`campaigns`]: campaigns: audience, exactly-once sends, pacing, exact counters.

pub mod actions;
pub mod analytics;
pub mod automations;
pub mod campaigns;
pub mod commerce;
pub mod ctx;
pub mod error;
pub mod inbound;
pub mod ingress;
pub mod keys;
pub mod live;
pub mod media;
pub mod model;
pub mod outbound;
pub mod params;
pub mod platform;
pub mod ports;
pub mod redact;
pub mod registry;
pub mod rules;
pub mod sandbox;
pub mod sandbox_state;
pub mod sandbox_templates;
pub mod shops;
pub mod social;
pub mod store;
pub mod templates;
#[cfg(test)]
mod testing;
pub mod time;
pub mod twilio;
pub mod webhooks;

pub use ctx::{Ctx, Settings};
pub use error::HandlerError;
pub use registry::REGISTRY;
pub use store::{Store, StoreError};
