//! The table's schema, defined once: `create-table` builds it from `handlers::keys`, and the
//! deploy template (still to come) must match it.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use handlers::keys;

/// The attribute DynamoDB's TTL reads on audit items.
pub const TTL_ATTRIBUTE: &str = "ttl";

/// Every attribute that is part of a key, with its type (all strings).
pub fn attribute_names() -> Vec<&'static str> {
    let mut names = vec![keys::PK];
    for index in keys::INDEXES {
        for attr in [index.partition, index.sort] {
            if !names.contains(&attr) {
                names.push(attr);
            }
        }
    }
    names
}

/// The table's definition as JSON, in CloudFormation's terms (`whatsapp-lambda schema`), so that
/// the deploy template can be checked against the code.
pub fn describe() -> serde_json::Value {
    let indexes: Vec<serde_json::Value> = keys::INDEXES
        .iter()
        .map(|i| {
            serde_json::json!({
                "IndexName": i.name,
                "KeySchema": [
                    {"AttributeName": i.partition, "KeyType": "HASH"},
                    {"AttributeName": i.sort, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            })
        })
        .collect();
    serde_json::json!({
        "KeySchema": [{"AttributeName": keys::PK, "KeyType": "HASH"}],
        "AttributeDefinitions": attribute_names()
            .into_iter()
            .map(|a| serde_json::json!({"AttributeName": a, "AttributeType": "S"}))
            .collect::<Vec<_>>(),
        "GlobalSecondaryIndexes": indexes,
        "BillingMode": "PAY_PER_REQUEST",
        "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": true},
    })
}

/// Result of [`create_table`].
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Created,
    AlreadyExists,
}

/// Creates the table with all its indexes if absent (idempotent), waits until it is active and
/// turns on TTL for audit items.
///
/// # Errors
/// Any DynamoDB error other than "already exists", with its context.
pub async fn create_table(
    client: &Client,
    table: &str,
) -> Result<Created, Box<dyn std::error::Error + Send + Sync>> {
    let key = |attr: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attr)
            .key_type(kind)
            .build()
    };
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(keys::PK, KeyType::Hash)?);
    for attr in attribute_names() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        );
    }
    for index in keys::INDEXES {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.partition, KeyType::Hash)?)
                .key_schema(key(index.sort, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        );
    }
    let created = match request.send().await {
        Ok(_) => Created::Created,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            Created::AlreadyExists
        }
        Err(e) => return Err(Box::new(super::dynamodb::SdkFailure::new(e))),
    };
    for _ in 0..120 {
        let described = client.describe_table().table_name(table).send().await;
        let status = described
            .ok()
            .and_then(|d| d.table)
            .and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let ttl = client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()?,
        )
        .send()
        .await;
    if let Err(e) = ttl {
        // Already enabled answers a ValidationException; anything else is worth a warning only,
        // the table works without TTL.
        tracing::debug!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(e), "TTL not changed");
    }
    Ok(created)
}
