//! Reads: `GetItem` by pk and `Query` of one index partition, newest first.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use handlers::keys;
use handlers::store::{Page, PageRequest, StoreError};
use serde::de::DeserializeOwned;

use super::cursor::{cursor_to_key, key_to_cursor};
use super::error::classify;
use super::{DynamoStore, Item, from_item};

impl DynamoStore {
    pub(super) async fn get_raw(&self, pk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", e))?;
        Ok(out.item)
    }

    pub(super) async fn get_typed<T: DeserializeOwned>(
        &self,
        pk: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get_raw(pk)
            .await?
            .map(|item| from_item(pk, item))
            .transpose()
    }

    /// One page of the `value` partition of `index`, newest first; with `since`, only items
    /// whose sort key is at or after it.
    async fn query(
        &self,
        index: &keys::IndexDef,
        value: &str,
        since: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Item>, StoreError> {
        let start = page
            .cursor
            .as_deref()
            .map(|c| cursor_to_key(c, index, value))
            .transpose()?;
        let mut names = HashMap::from([("#p".to_string(), index.partition.to_string())]);
        let mut values = HashMap::from([(":p".to_string(), AttributeValue::S(value.to_string()))]);
        if let Some(lower) = since {
            names.insert("#s".into(), index.sort.to_string());
            values.insert(":since".into(), AttributeValue::S(lower.to_string()));
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name)
            .key_condition_expression(if since.is_some() {
                "#p = :p AND #s >= :since"
            } else {
                "#p = :p"
            })
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(false)
            .limit(page.limit as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify("Query", e))?;
        Ok(Page {
            items: out.items.unwrap_or_default(),
            next_cursor: out.last_evaluated_key.map(|k| key_to_cursor(&k)),
        })
    }

    /// [`DynamoStore::query`] with each item decoded as `T`.
    pub(super) async fn query_typed<T: DeserializeOwned>(
        &self,
        index_name: &str,
        value: &str,
        since: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let page = self
            .query(keys::index(index_name), value, since, page)
            .await?;
        let items = page
            .items
            .into_iter()
            .map(|item| from_item("query result", item))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }
}
