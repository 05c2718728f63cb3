//! `send_catalog_message`: a message with a "View catalog" button that opens the business's
//! catalog in WhatsApp.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::commerce::{self, check_id};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_catalog_message";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a catalog message (View catalog button): body ≤1024, footer ≤60, a thumbnail product."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The body text (required), at most 1024 characters.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    pub body: String,
    /// Optional footer, at most 60 characters.
    #[schemars(length(max = crate::params::bounds::FOOTER))]
    #[serde(default)]
    pub footer: Option<String>,
    /// The product whose image is the thumbnail; without it, Meta uses the catalog's first
    /// product.
    #[serde(default, alias = "thumbnail_product_retailer_id")]
    pub thumbnail_product_retailer_id: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    let mut action = json!({"name": "catalog_message"});
    if let Some(thumbnail) = &p.thumbnail_product_retailer_id {
        check_id("thumbnailProductRetailerId", thumbnail)?;
        action["parameters"] = json!({"thumbnail_product_retailer_id": thumbnail});
    }
    let interactive = commerce::interactive(
        "catalog_message",
        None,
        Some(&p.body),
        p.footer.as_deref(),
        action,
    )?;
    let preview = format!("[catalog] {}", p.body);
    outbound::send(ctx, &p.common, commerce::outgoing(interactive, preview)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};

    #[tokio::test]
    async fn sends_metas_catalog_message() {
        let p = params(send_request(
            json!({"body": "Browse", "thumbnailProductRetailerId": "sku-1"}),
        ));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["interactive"],
            json!({"type": "catalog_message", "body": {"text": "Browse"},
                   "action": {"name": "catalog_message",
                              "parameters": {"thumbnail_product_retailer_id": "sku-1"}}})
        );
        let p = params(send_request(json!({"body": ""})));
        assert!(run(&ctx(), p).await.is_err());
    }
}
