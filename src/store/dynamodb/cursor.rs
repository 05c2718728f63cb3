//! Page tokens of the DynamoDB store: the index key of a page's last item, made opaque.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use handlers::keys;
use handlers::store::{StoreError, decode_cursor, encode_cursor};
use serde_json::Value;

use super::Item;

/// A page position is the index's key of the last item: pk, partition and sort values.
pub(super) fn key_to_cursor(key: &Item) -> String {
    let map: serde_json::Map<String, Value> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), Value::String(s.clone()))))
        .collect();
    encode_cursor(&Value::Object(map))
}

/// The `ExclusiveStartKey` a token names, refused unless it is a key of `index` in the
/// partition being listed.
pub(super) fn cursor_to_key(
    token: &str,
    index: &keys::IndexDef,
    partition_value: &str,
) -> Result<Item, StoreError> {
    let bad = |why: &str| StoreError::BadCursor(why.to_string());
    let Value::Object(map) = decode_cursor(token)? else {
        return Err(bad("not a token issued by this API"));
    };
    if map.get(index.partition).and_then(Value::as_str) != Some(partition_value) {
        return Err(bad("the token belongs to another list"));
    }
    let allowed = [keys::PK, index.partition, index.sort];
    if map.len() != 3 || map.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err(bad("not a token issued by this API"));
    }
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, AttributeValue::S(s))),
            _ => Err(bad("not a token issued by this API")),
        })
        .collect::<Result<HashMap<_, _>, _>>()
}
