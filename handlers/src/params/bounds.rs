//! Bounds of the kinds of string parameter, for `#[schemars(length(max = ...))]` (or, on a
//! parameter that is "an object or its text", `#[schemars(extend("maxLength" = ...))]`): Meta's
//! or EUM Social's limit of what the parameter becomes, so that a valid value is never refused
//! by [`super::DEFAULT_MAX_LEN`], which is for names and codes only.

/// A phone number in international format (digits, `+`, spaces, dashes, parentheses).
pub const PHONE: usize = 32;
/// An http(s) link (Meta's media links, call-to-action URLs).
pub const LINK: usize = 2048;
/// A text message's body (Meta's limit).
pub const TEXT: usize = 4096;
/// A caption or an interactive message's body (Meta's limit).
pub const CAPTION: usize = 1024;
/// A pagination token.
pub const TOKEN: usize = 2048;
/// A key of the media store (S3's limit, in bytes; counted here in characters).
pub const KEY: usize = 1024;
/// The caller's `bizOpaqueCallbackData`: Meta takes 512 characters, of which the send's
/// idempotency tag keeps the rest (`outbound::idempotency`).
pub const CALLBACK_DATA: usize = 360;
/// Base64 file bytes: 16 Mi characters, more than any request a Lambda function receives
/// (6 MB invoke payload, 10 MB API Gateway body).
pub const BASE64_MEDIA: usize = 16 * 1024 * 1024;
/// A Flow JSON given as its text: EUM Social takes Flow JSON of up to 10 MiB
/// (`UpdateWhatsAppFlowAssets`), counted here in characters.
pub const FLOW_JSON: usize = 10 * 1024 * 1024;
/// A flow's name.
pub const FLOW_NAME: usize = 200;
/// An interactive message's text header (Meta's limit).
pub const HEADER_TEXT: usize = 60;
/// An interactive message's footer (Meta's limit).
pub const FOOTER: usize = 60;
/// The text of a list's menu button or of a call-to-action URL button (Meta's limit).
pub const BUTTON_TEXT: usize = 20;
/// A flow message's button text (`flow_cta`, Meta's limit).
pub const FLOW_CTA: usize = 30;
/// An order status message's description (Meta's limit).
pub const ORDER_STATUS_DESCRIPTION: usize = 120;
/// A template's name (Meta's limit).
pub const TEMPLATE_NAME: usize = 512;

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::registry::REGISTRY;
    use crate::testing::send_request;

    /// A real Flow JSON (one screen, a text and a footer), as its text: 500-odd characters.
    fn flow_json_text() -> String {
        json!({"version": "6.0", "screens": [{"id": "WELCOME", "title": "Welcome", "terminal": true,
            "layout": {"type": "SingleColumnLayout", "children": [
                {"type": "TextHeading", "text": "Book your visit"},
                {"type": "TextBody", "text": "Choose a day and a time, and we will confirm by message."},
                {"type": "TextInput", "name": "name", "label": "Your name", "required": true},
                {"type": "Footer", "label": "Book", "on-click-action": {"name": "complete", "payload": {"name": "${form.name}"}}}
            ]}}]})
        .to_string()
    }

    #[tokio::test]
    async fn a_flow_json_given_as_text_is_accepted() {
        let text = flow_json_text();
        assert!(text.len() > 256, "{}", text.len());
        let answer = REGISTRY
            .dispatch(
                crate::testing::ctx(),
                json!({"action": "create_flow", "wabaId": "102290129340398", "name": "booking",
                       "categories": ["APPOINTMENT_BOOKING"], "flowJson": text}),
            )
            .await;
        assert_eq!(answer["statusCode"], 200, "{answer}");
    }

    /// Each parameter at its limit (Meta's or EUM Social's) passes the length check, and one
    /// character more is refused naming it and the limit.
    #[tokio::test]
    async fn each_parameter_is_bounded_at_its_own_limit() {
        let flow = json!({"wabaId": "102290129340398", "flowId": "1234567890123456"});
        let create_flow =
            json!({"wabaId": "102290129340398", "name": "f", "categories": ["OTHER"]});
        let buttons = json!({"body": "b", "buttons": [{"id": "y", "title": "Yes"}]});
        let list = json!({"body": "b", "button": "Menu",
            "sections": [{"title": "s", "rows": [{"id": "r", "title": "Row"}]}]});
        let table: [(&str, &str, usize, Value); 17] = [
            (
                "create_flow",
                "flowJson",
                super::FLOW_JSON,
                create_flow.clone(),
            ),
            (
                "update_flow_assets",
                "flowJson",
                super::FLOW_JSON,
                flow.clone(),
            ),
            ("create_flow", "name", super::FLOW_NAME, create_flow),
            ("update_flow", "name", super::FLOW_NAME, flow),
            ("send_text", "text", super::TEXT, send_request(json!({}))),
            (
                "send_image",
                "caption",
                super::CAPTION,
                send_request(json!({"mediaId": "1"})),
            ),
            (
                "send_interactive_buttons",
                "body",
                super::CAPTION,
                send_request(buttons.clone()),
            ),
            (
                "send_interactive_buttons",
                "header",
                super::HEADER_TEXT,
                send_request(buttons.clone()),
            ),
            (
                "send_interactive_buttons",
                "footer",
                super::FOOTER,
                send_request(buttons),
            ),
            (
                "send_interactive_list",
                "button",
                super::BUTTON_TEXT,
                send_request(list.clone()),
            ),
            (
                "send_interactive_list",
                "footer",
                super::FOOTER,
                send_request(list),
            ),
            (
                "send_cta_url",
                "displayText",
                super::BUTTON_TEXT,
                send_request(json!({"body": "b", "url": "https://example.com"})),
            ),
            (
                "send_flow",
                "cta",
                super::FLOW_CTA,
                send_request(json!({"body": "b", "flowId": "1", "screen": "A"})),
            ),
            (
                "send_order_status",
                "description",
                super::ORDER_STATUS_DESCRIPTION,
                send_request(json!({"body": "b", "referenceId": "r", "status": "shipped"})),
            ),
            (
                "send_product_list",
                "header",
                super::HEADER_TEXT,
                send_request(json!({"body": "b",
                "catalogId": "c", "sections": [{"title": "s", "productItems": [{"productRetailerId": "p"}]}]})),
            ),
            (
                "send_template",
                "name",
                super::TEMPLATE_NAME,
                send_request(json!({})),
            ),
            (
                "send_text",
                "bizOpaqueCallbackData",
                super::CALLBACK_DATA,
                send_request(json!({"text": "t"})),
            ),
        ];
        for (action, param, limit, base) in table {
            let mut request = base.clone();
            request["action"] = json!(action);
            if action == "send_text" && param == "text" {
                request.as_object_mut().unwrap().remove("text");
            }
            request[param] = json!("x".repeat(limit));
            let answer = REGISTRY
                .dispatch(crate::testing::ctx(), request.clone())
                .await;
            let error = answer["error"].as_str().unwrap_or_default();
            assert!(
                !error.contains("characters;"),
                "{action}.{param} at its limit {limit}: {error}"
            );
            request[param] = json!("x".repeat(limit + 1));
            let answer = REGISTRY.dispatch(crate::testing::ctx(), request).await;
            assert_eq!(
                answer["error"],
                format!(
                    "invalid parameter `{param}`: is {} characters; at most {limit} are accepted",
                    limit + 1
                ),
                "{action}.{param}"
            );
        }
    }
}
