//! Commerce and payments (issue 9): what the catalog and payment sends share, orders from
//! inbound `order` messages, and payments from `order_details` sends and payment webhooks.
//!
//! # Layout
//! - this file: Meta's size limits of the commerce messages, and the `interactive` object of a
//!   product, product list or catalog message (whose header and body rules differ from
//!   [`crate::actions::interactive::Frame`]'s)
//! - [`orders`]: `ORDER#{wamid}` items, their forward-only statuses, the inbound hook
//! - [`payments`]: `PAYMENT#{phone}#{referenceId}` items, the payment status webhook hook
//! - [`money`]: Meta's amount objects and the sums an `order_details` message must satisfy
//! - [`carousel`]: the `carousel` component of a media card carousel template
//! - [`details`]: the `order_details` (review and pay) and `order_status` messages
//!
//! See `docs/commerce.md`.

pub mod carousel;
pub mod details;
pub mod money;
pub mod orders;
pub mod payments;

use serde_json::{Map, Value, json};

use crate::error::HandlerError;
use crate::outbound::Outgoing;
use crate::params::{check_len, non_empty};

/// Meta's limits for the commerce messages (Cloud API "Send messages" reference, product,
/// multi-product and catalog messages, media card carousel templates, Payments API).
pub mod limits {
    /// Body text of an interactive message.
    pub const BODY: usize = 1024;
    /// Footer text of an interactive message.
    pub const FOOTER: usize = 60;
    /// Text header of an interactive message (a multi-product message requires one).
    pub const HEADER: usize = 60;
    /// Sections of a multi-product message.
    pub const SECTIONS: usize = 10;
    /// Products across all sections of a multi-product message.
    pub const PRODUCTS: usize = 30;
    /// A section title of a multi-product message.
    pub const SECTION_TITLE: usize = 24;
    /// Cards of a media card carousel template: at least 2, at most 10 (and exactly as many
    /// as the approved template defines).
    pub const MIN_CARDS: usize = 2;
    pub const MAX_CARDS: usize = 10;
    /// Buttons on one carousel card.
    pub const CARD_BUTTONS: usize = 2;
    /// `reference_id` of a payment request (`order_details`, `order_status`).
    pub const REFERENCE_ID: usize = 35;
    /// An item's `name` in an `order_details` order.
    pub const ITEM_NAME: usize = 60;
    /// `description` of an `order_status` update.
    pub const STATUS_DESCRIPTION: usize = 120;
    /// Product retailer ids (SKUs) and catalog ids are bounded by us (not a limit of Meta's):
    /// Meta's commerce catalog accepts retailer ids up to 100 characters.
    pub const RETAILER_ID: usize = 100;
}

/// Checks a required or optional catalog id / product retailer id.
///
/// # Errors
/// 400 naming the field.
pub fn check_id(field: &str, value: &str) -> Result<(), HandlerError> {
    non_empty(field, value)?;
    check_len(field, value, limits::RETAILER_ID)
}

/// The `interactive` object of a commerce message: an optional text header (≤60), an optional
/// body (≤1024), an optional footer (≤60) and the action.
///
/// # Errors
/// 400 naming the field that is empty or too long.
pub fn interactive(
    kind: &str,
    header: Option<&str>,
    body: Option<&str>,
    footer: Option<&str>,
    action: Value,
) -> Result<Value, HandlerError> {
    let mut object = Map::new();
    object.insert("type".into(), json!(kind));
    if let Some(header) = header {
        non_empty("header", header)?;
        check_len("header", header, limits::HEADER)?;
        object.insert("header".into(), json!({"type": "text", "text": header}));
    }
    if let Some(body) = body {
        non_empty("body", body)?;
        check_len("body", body, limits::BODY)?;
        object.insert("body".into(), json!({"text": body}));
    }
    if let Some(footer) = footer {
        non_empty("footer", footer)?;
        check_len("footer", footer, limits::FOOTER)?;
        object.insert("footer".into(), json!({"text": footer}));
    }
    object.insert("action".into(), action);
    Ok(Value::Object(object))
}

/// The outgoing interactive message (free-form: inside the 24-hour window only).
pub fn outgoing(interactive: Value, preview: String) -> Outgoing {
    let text = interactive["body"]["text"].as_str().map(str::to_string);
    Outgoing {
        kind: "interactive",
        body: interactive,
        free_form: true,
        text,
        preview,
        media: None,
    }
}

/// Items of one `gsi-itemType` partition, newest first, that pass `keep`: pages are read until
/// `page.limit` items pass or the partition ends. Every page read is consumed whole, so the
/// returned cursor resumes exactly after the last item looked at.
///
/// # Errors
/// The store's (a bad `nextToken` is a 400).
pub async fn list_filtered(
    store: &dyn crate::store::Store,
    partition: &str,
    page: &crate::store::PageRequest,
    keep: impl Fn(&Value) -> bool,
) -> Result<crate::store::Page<Value>, crate::store::StoreError> {
    let mut items = Vec::new();
    let mut cursor = page.cursor.clone();
    loop {
        let want = page.limit.saturating_sub(items.len() as u32).max(1);
        let found = store
            .list_by_item_type(
                partition,
                &crate::store::PageRequest {
                    limit: want,
                    cursor,
                },
            )
            .await?;
        items.extend(found.items.into_iter().filter(|v| keep(v)));
        cursor = found.next_cursor;
        if cursor.is_none() || items.len() as u32 >= page.limit {
            return Ok(crate::store::Page {
                items,
                next_cursor: cursor,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_limits_name_the_field() {
        let long = "x".repeat(61);
        let err = interactive("product", Some(&long), None, None, json!({})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `header`: is 61 characters; WhatsApp allows at most 60"
        );
        let err = interactive("product", None, None, Some(&long), json!({})).unwrap_err();
        assert!(err.to_string().contains("`footer`"), "{err}");
        let body = "b".repeat(1025);
        let err = interactive("product", None, Some(&body), None, json!({})).unwrap_err();
        assert!(err.to_string().contains("`body`: is 1025"), "{err}");
        // at the limits
        let ok = interactive(
            "product",
            Some(&"h".repeat(60)),
            Some(&"b".repeat(1024)),
            Some(&"f".repeat(60)),
            json!({"a": 1}),
        )
        .unwrap();
        assert_eq!(ok["header"]["type"], "text");
        assert_eq!(ok["action"], json!({"a": 1}));
    }
}
