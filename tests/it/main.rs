//! Integration tests, compiled as one binary. Tests that need DynamoDB read
//! `AWS_ENDPOINT_URL_DYNAMODB` (set by `tests/run.sh`, which starts DynamoDB Local).

mod batch;
mod browser;
mod cli;
mod conversation_merge;
mod doubles;
mod embedded_store;
mod errors;
mod eum;
mod events;
mod fuzz;
mod helpers;
mod idempotent_sends;
mod inbox_phones;
mod intake;
mod media_keys;
mod reliability;
mod scopes;
mod serve;
mod standin;
mod store_conformance;
mod webdriver;
