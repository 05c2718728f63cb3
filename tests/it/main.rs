//! Integration tests, compiled as one binary. Tests that need DynamoDB read
//! `AWS_ENDPOINT_URL_DYNAMODB` (set by `tests/run.sh`, which starts DynamoDB Local).

mod cli;
mod eum;
mod events;
mod helpers;
mod idempotent_sends;
mod intake;
mod reliability;
mod scopes;
mod serve;
mod standin;
mod store_conformance;
