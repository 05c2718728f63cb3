//! Integration tests, compiled as one binary. Tests that need DynamoDB read
//! `AWS_ENDPOINT_URL_DYNAMODB` (set by `tests/run.sh`, which starts DynamoDB Local).

mod cli;
mod embedded_store;
mod eum;
mod events;
mod helpers;
mod intake;
mod serve;
mod standin;
mod store_conformance;
