//! `send_product`: one product of a catalog (a single-product message).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::commerce::{self, check_id};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_product";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends one product of a catalog (body ≤1024 and footer ≤60 optional, no header)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The catalog linked to the WhatsApp Business Account.
    #[serde(alias = "catalog_id")]
    pub catalog_id: String,
    /// The product's retailer id (its SKU, "Content ID" in Commerce Manager).
    #[serde(alias = "product_retailer_id")]
    pub product_retailer_id: String,
    /// Optional body text, at most 1024 characters.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    #[serde(default)]
    pub body: Option<String>,
    /// Optional footer, at most 60 characters.
    #[schemars(length(max = crate::params::bounds::FOOTER))]
    #[serde(default)]
    pub footer: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    check_id("catalogId", &p.catalog_id)?;
    check_id("productRetailerId", &p.product_retailer_id)?;
    let action = json!({"catalog_id": p.catalog_id, "product_retailer_id": p.product_retailer_id});
    let interactive = commerce::interactive(
        "product",
        None,
        p.body.as_deref(),
        p.footer.as_deref(),
        action,
    )?;
    let preview = format!("[product] {}", p.product_retailer_id);
    outbound::send(ctx, &p.common, commerce::outgoing(interactive, preview)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};

    #[tokio::test]
    async fn sends_metas_product_message() {
        let p = params(send_request(
            json!({"catalogId": "cat-1", "productRetailerId": "sku-1", "body": "Look", "footer": "Sale"}),
        ));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["interactive"],
            json!({"type": "product", "body": {"text": "Look"}, "footer": {"text": "Sale"},
                   "action": {"catalog_id": "cat-1", "product_retailer_id": "sku-1"}})
        );
        let p = params(send_request(
            json!({"catalogId": "cat-1", "productRetailerId": " "}),
        ));
        let err = run(&ctx(), p).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `productRetailerId`: must not be empty"
        );
    }
}
