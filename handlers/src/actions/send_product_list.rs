//! `send_product_list`: sections of catalog products (a multi-product message).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::commerce::{self, check_id, limits};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_product_list";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends up to 30 catalog products in 1 to 10 titled sections (header ≤60 and body required)."
);

/// A product: its retailer id, or `{"productRetailerId": "…"}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Product {
    Id(String),
    Object {
        #[serde(rename = "productRetailerId", alias = "product_retailer_id")]
        product_retailer_id: String,
    },
}

impl Product {
    fn id(&self) -> &str {
        match self {
            Product::Id(id)
            | Product::Object {
                product_retailer_id: id,
            } => id,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Section {
    /// At most 24 characters; required when there are several sections.
    #[serde(default)]
    pub title: Option<String>,
    /// The section's products (at least one).
    #[serde(alias = "product_items", alias = "products")]
    pub product_items: Vec<Product>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The header text (required), at most 60 characters.
    #[schemars(length(max = crate::params::bounds::HEADER_TEXT))]
    pub header: String,
    /// The body text (required), at most 1024 characters.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    pub body: String,
    /// Optional footer, at most 60 characters.
    #[schemars(length(max = crate::params::bounds::FOOTER))]
    #[serde(default)]
    pub footer: Option<String>,
    /// The catalog linked to the WhatsApp Business Account.
    #[serde(alias = "catalog_id")]
    pub catalog_id: String,
    /// [{"title", "productItems": ["sku", ...]}]: 1 to 10 sections, 30 products in all.
    pub sections: Vec<Section>,
    #[serde(flatten)]
    pub common: SendCommon,
}

/// The `sections` of Meta's action, after checking every limit.
fn sections(given: &[Section]) -> Result<Vec<Value>, HandlerError> {
    if given.is_empty() || given.len() > limits::SECTIONS {
        return Err(HandlerError::invalid(
            "sections",
            format!(
                "has {} sections; WhatsApp allows 1 to {}",
                given.len(),
                limits::SECTIONS
            ),
        ));
    }
    let products: usize = given.iter().map(|s| s.product_items.len()).sum();
    if products > limits::PRODUCTS {
        return Err(HandlerError::invalid(
            "sections",
            format!(
                "has {products} products in all; WhatsApp allows at most {}",
                limits::PRODUCTS
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, section) in given.iter().enumerate() {
        let at = format!("sections[{i}]");
        let mut object = json!({});
        match &section.title {
            Some(title) => {
                non_empty(&format!("{at}.title"), title)?;
                check_len(&format!("{at}.title"), title, limits::SECTION_TITLE)?;
                object["title"] = json!(title);
            }
            None if given.len() > 1 => {
                return Err(HandlerError::invalid(
                    &format!("{at}.title"),
                    "is required when there are several sections",
                ));
            }
            None => {}
        }
        if section.product_items.is_empty() {
            return Err(HandlerError::invalid(
                &format!("{at}.productItems"),
                "needs at least one product",
            ));
        }
        let mut items = Vec::new();
        for (j, product) in section.product_items.iter().enumerate() {
            check_id(&format!("{at}.productItems[{j}]"), product.id())?;
            items.push(json!({"product_retailer_id": product.id()}));
        }
        object["product_items"] = json!(items);
        out.push(object);
    }
    Ok(out)
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    check_id("catalogId", &p.catalog_id)?;
    let action = json!({"catalog_id": p.catalog_id, "sections": sections(&p.sections)?});
    let interactive = commerce::interactive(
        "product_list",
        Some(&p.header),
        Some(&p.body),
        p.footer.as_deref(),
        action,
    )?;
    let preview = format!("[products] {}", p.header);
    outbound::send(ctx, &p.common, commerce::outgoing(interactive, preview)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};

    fn request(sections: Value) -> Params {
        params(send_request(
            json!({"header": "Our picks", "body": "Take a look",
                                   "catalogId": "cat", "sections": sections}),
        ))
    }

    #[tokio::test]
    async fn sends_metas_sections_and_product_items() {
        let sections =
            json!([{"title": "Shoes", "productItems": ["a", {"productRetailerId": "b"}]}]);
        let out = run(&ctx(), request(sections)).await.unwrap();
        assert_eq!(
            out.message["interactive"],
            json!({"type": "product_list", "header": {"type": "text", "text": "Our picks"},
                   "body": {"text": "Take a look"},
                   "action": {"catalog_id": "cat", "sections": [{"title": "Shoes",
                       "product_items": [{"product_retailer_id": "a"}, {"product_retailer_id": "b"}]}]}})
        );
    }

    #[tokio::test]
    async fn a_header_is_required_and_titles_are_needed_for_several_sections() {
        let p = params::<Params>(send_request(
            json!({"header": "", "body": "b", "catalogId": "c", "sections": [{"productItems": ["a"]}]}),
        ));
        let err = run(&ctx(), p).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `header`: must not be empty"
        );
        let two = json!([{"productItems": ["a"]}, {"title": "B", "productItems": ["b"]}]);
        let err = run(&ctx(), request(two)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `sections[0].title`: is required when there are several sections"
        );
    }
}
