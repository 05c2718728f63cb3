//! Store adapters: DynamoDB (in Lambda, or whenever `TABLE_NAME` is set) and the embedded local
//! store (the default with no AWS at all).

pub mod dynamodb;
pub mod embedded;
mod expr;
pub mod schema;

use std::sync::Arc;

use handlers::Store;

use crate::config::{Config, StoreConfig};

pub use dynamodb::{DynamoStore, WriteCounts};
pub use embedded::{CommitCounts, EmbeddedStore};

/// Builds the configured store.
///
/// # Errors
/// The embedded store's data directory cannot be opened.
pub async fn from_config(
    config: &Config,
) -> Result<Arc<dyn Store>, Box<dyn std::error::Error + Send + Sync>> {
    Ok(match &config.store {
        StoreConfig::DynamoDb { table } => {
            Arc::new(DynamoStore::new(dynamodb_client().await, table.clone()))
        }
        StoreConfig::Embedded { data_dir } => Arc::new(EmbeddedStore::open(data_dir)?),
    })
}

/// A DynamoDB client from the SDK's standard configuration (region, credentials, and the
/// endpoint from `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL`, which is how DynamoDB Local
/// is reached with no special code), with bounded timeouts and retries ([`crate::aws`]).
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let shared = crate::aws::shared_config().await;
    aws_sdk_dynamodb::Client::from_conf(crate::aws::dynamodb(&shared).build())
}
