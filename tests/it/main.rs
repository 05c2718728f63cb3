//! Integration tests, compiled as one binary. Tests that need DynamoDB read
//! `AWS_ENDPOINT_URL_DYNAMODB` (set by `tests/run.sh`, which starts DynamoDB Local).

mod batch;
mod browser;
mod calling;
mod campaigns;
mod cli;
mod conversation_merge;
mod customers;
mod doubles;
mod embedded_store;
mod errors;
mod eum;
mod events;
mod flows;
mod fuzz;
mod helpers;
mod idempotent_sends;
mod inbox_phones;
mod intake;
mod lifecycle;
mod media_keys;
mod notifications;
mod platform;
mod platform_standin;
mod platform_store;
mod reliability;
mod scopes;
mod serve;
mod standin;
mod store_conformance;
mod template_cache;
mod templates;
mod webdriver;
