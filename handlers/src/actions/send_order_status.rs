//! `send_order_status`: tells the customer where a payment request's order stands (an
//! `order_status` interactive message naming its `reference_id`).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::interactive::Frame;
use crate::commerce::details::{self, ORDER_STATUSES};
use crate::commerce::limits;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::params::check_len;
use crate::params::ids::ReferenceId;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_order_status";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends an order_status update of a payment request: pending, processing, \
     partially-shipped, shipped, completed or canceled (description ≤120)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub frame: Frame,
    /// The `referenceId` of the `order_details` message this updates.
    #[serde(alias = "reference_id")]
    pub reference_id: ReferenceId,
    /// pending, processing, partially-shipped, shipped, completed or canceled.
    pub status: String,
    /// Optional text about the status, at most 120 characters.
    #[schemars(length(max = crate::params::bounds::ORDER_STATUS_DESCRIPTION))]
    #[serde(default)]
    pub description: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    details::check_reference(&p.reference_id)?;
    // Meta writes it with a dash; accept the underscore too.
    let status = p.status.replace('_', "-");
    if !ORDER_STATUSES.contains(&status.as_str()) {
        return Err(HandlerError::invalid(
            "status",
            format!(
                "is `{}`; an order_status message carries one of {}",
                p.status,
                ORDER_STATUSES.join(", ")
            ),
        ));
    }
    let mut order = json!({"status": status});
    if let Some(d) = &p.description {
        check_len("description", d, limits::STATUS_DESCRIPTION)?;
        order["description"] = json!(d);
    }
    let action = json!({"name": "review_order",
                        "parameters": {"reference_id": p.reference_id, "order": order}});
    let out = p.frame.outgoing("order_status", action)?;
    outbound::send(ctx, &p.common, out).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};

    #[tokio::test]
    async fn sends_metas_order_status() {
        let p = params(send_request(
            json!({"body": "On its way", "referenceId": "ORD-1",
            "status": "partially_shipped", "description": "2 of 3 boxes"}),
        ));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["interactive"]["action"],
            json!({"name": "review_order", "parameters": {"reference_id": "ORD-1",
                   "order": {"status": "partially-shipped", "description": "2 of 3 boxes"}}})
        );
        let p = params(send_request(json!({"body": "b", "referenceId": "ORD-1",
            "status": "shipped", "description": "d".repeat(121)})));
        let err = run(&ctx(), p).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `description`: is 121 characters; WhatsApp allows at most 120"
        );
        let p = params(send_request(
            json!({"body": "b", "referenceId": "ORD-1", "status": "lost"}),
        ));
        assert!(run(&ctx(), p).await.is_err());
    }
}
