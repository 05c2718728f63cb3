//! Commerce sends against the EUM stand-in: the exact Meta JSON of each send, and every size
//! rule answered 400 (naming the field and the limit) before anything reaches EUM.

use std::sync::Arc;

use handlers::Ctx;
use serde_json::{Value, json};
use whatsapp_lambda::eum::EumSender;
use whatsapp_lambda::intake;

use crate::helpers::*;
use crate::standin::StandIn;

async fn rig() -> (Ctx, StandIn) {
    let standin = StandIn::start(None).await;
    let sender = Arc::new(EumSender::new(standin.client(1).await, "v24.0", None));
    let store = embedded_store();
    let media = Arc::new(handlers::sandbox::MemoryMedia::default());
    let ctx = Ctx::with(store, sender, media, settings());
    // the customer wrote just now: the 24-hour window is open
    intake::handle(
        &ctx,
        text_event("open", "wamid.OPEN", CUSTOMER, now_secs(), "hi"),
    )
    .await
    .unwrap();
    (ctx, standin)
}

/// Sends `request` and returns the Meta JSON the stand-in received.
async fn sent(ctx: &Ctx, standin: &StandIn, request: Value) -> Value {
    standin.clear();
    let answer = action(ctx, request).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = standin.seen();
    assert_eq!(seen.len(), 1, "one SendWhatsAppMessage");
    let mut message = seen[0].message();
    // the pipeline's idempotency tag (outbound::idempotency), not part of the commerce JSON
    let tag = message
        .as_object_mut()
        .unwrap()
        .remove("biz_opaque_callback_data");
    assert!(tag.is_some_and(|t| t.as_str().unwrap().starts_with("wl1:")));
    message
}

fn with_to(mut request: Value) -> Value {
    request["to"] = json!(CUSTOMER);
    request
}

#[tokio::test]
async fn every_commerce_send_reaches_eum_as_metas_json() {
    let (ctx, standin) = rig().await;
    let head = |kind: &str| json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER, "type": kind});
    let with = |mut base: Value, key: &str, body: Value| {
        base[key] = body;
        base
    };

    let m = sent(&ctx, &standin, with_to(json!({"action": "send_product", "catalogId": "cat", "productRetailerId": "sku-1", "body": "Back in stock"}))).await;
    assert_eq!(
        m,
        with(
            head("interactive"),
            "interactive",
            json!({"type": "product", "body": {"text": "Back in stock"}, "action": {"catalog_id": "cat", "product_retailer_id": "sku-1"}})
        )
    );

    let m = sent(&ctx, &standin, with_to(json!({"action": "send_product_list", "header": "Picks", "body": "Look", "footer": "VAT incl.", "catalogId": "cat",
        "sections": [{"title": "Shirts", "productItems": ["a", "b"]}, {"title": "Hats", "productItems": [{"productRetailerId": "c"}]}]}))).await;
    assert_eq!(
        m,
        with(
            head("interactive"),
            "interactive",
            json!({"type": "product_list", "header": {"type": "text", "text": "Picks"}, "body": {"text": "Look"}, "footer": {"text": "VAT incl."},
        "action": {"catalog_id": "cat", "sections": [{"title": "Shirts", "product_items": [{"product_retailer_id": "a"}, {"product_retailer_id": "b"}]}, {"title": "Hats", "product_items": [{"product_retailer_id": "c"}]}]}})
        )
    );

    let m = sent(&ctx, &standin, with_to(json!({"action": "send_catalog_message", "body": "Browse", "thumbnailProductRetailerId": "sku-1"}))).await;
    assert_eq!(
        m,
        with(
            head("interactive"),
            "interactive",
            json!({"type": "catalog_message", "body": {"text": "Browse"}, "action": {"name": "catalog_message", "parameters": {"thumbnail_product_retailer_id": "sku-1"}}})
        )
    );

    let m = sent(&ctx, &standin, with_to(json!({"action": "send_carousel_template", "name": "summer", "skipTemplateCheck": true,
        "cards": [{"image": "111", "buttons": [{"subType": "quick_reply", "payload": "A"}]}, {"image": "https://example.com/b.jpg", "buttons": [{"subType": "quick_reply", "payload": "B"}]}]}))).await;
    assert_eq!(
        m,
        with(
            head("template"),
            "template",
            json!({"name": "summer", "language": {"code": "en_US"}, "components": [{"type": "carousel", "cards": [
        {"card_index": 0, "components": [{"type": "header", "parameters": [{"type": "image", "image": {"id": "111"}}]}, {"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "A"}]}]},
        {"card_index": 1, "components": [{"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/b.jpg"}}]}, {"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "B"}]}]}]}]})
        )
    );

    let m = sent(&ctx, &standin, with_to(json!({"action": "send_order_details", "body": "Pay", "referenceId": "ORD-1", "paymentType": "upi", "paymentConfiguration": "cfg", "currency": "INR",
        "totalAmount": {"value": 1050}, "order": {"items": [{"retailerId": "sku", "name": "Tea", "amount": {"value": 500}, "quantity": 2}], "subtotal": {"value": 1000}, "tax": {"value": 50}}}))).await;
    assert_eq!(
        m,
        with(
            head("interactive"),
            "interactive",
            json!({"type": "order_details", "body": {"text": "Pay"}, "action": {"name": "review_and_pay", "parameters": {
        "reference_id": "ORD-1", "type": "physical-goods", "payment_type": "upi", "payment_configuration": "cfg", "currency": "INR", "total_amount": {"value": 1050, "offset": 100},
        "order": {"status": "pending", "items": [{"retailer_id": "sku", "name": "Tea", "amount": {"value": 500, "offset": 100}, "quantity": 2}], "subtotal": {"value": 1000, "offset": 100}, "tax": {"value": 50, "offset": 100}}}}})
        )
    );

    let m = sent(&ctx, &standin, with_to(json!({"action": "send_order_status", "body": "Shipped", "referenceId": "ORD-1", "status": "shipped", "description": "Box 1"}))).await;
    assert_eq!(
        m,
        with(
            head("interactive"),
            "interactive",
            json!({"type": "order_status", "body": {"text": "Shipped"}, "action": {"name": "review_order", "parameters": {"reference_id": "ORD-1", "order": {"status": "shipped", "description": "Box 1"}}}})
        )
    );

    // the payment request is recorded, status `new`
    let payments = action(
        &ctx,
        json!({"action": "get_payments", "referenceId": "ORD-1"}),
    )
    .await;
    assert_eq!(
        payments["data"]["payments"][0]["status"], "new",
        "{payments}"
    );
    assert_eq!(
        payments["data"]["payments"][0]["amount"],
        json!({"value": 1050, "offset": 100})
    );
}

/// `request` answers 400 with exactly `error`, and nothing reaches EUM.
async fn refused(ctx: &Ctx, standin: &StandIn, request: Value, error: &str) {
    standin.clear();
    let answer = action(ctx, with_to(request)).await;
    assert_eq!(answer["statusCode"], 400, "{answer}");
    assert_eq!(answer["error"], error);
    assert!(standin.seen().is_empty(), "nothing was sent");
}

async fn accepted(ctx: &Ctx, standin: &StandIn, request: Value) {
    sent(ctx, standin, with_to(request)).await;
}

fn product_list(sections: Value) -> Value {
    json!({"action": "send_product_list", "header": "H", "body": "B", "catalogId": "cat", "sections": sections})
}

fn sections(n: usize, per: usize) -> Value {
    (0..n)
        .map(|s| json!({"title": format!("S{s}"), "productItems": (0..per).map(|p| format!("p{s}-{p}")).collect::<Vec<_>>()}))
        .collect()
}

#[tokio::test]
async fn every_limit_is_checked_at_and_past_it() {
    let (ctx, standin) = rig().await;
    // sections: 10, 11
    accepted(&ctx, &standin, product_list(sections(10, 3))).await;
    refused(
        &ctx,
        &standin,
        product_list(sections(11, 1)),
        "invalid parameter `sections`: has 11 sections; WhatsApp allows 1 to 10",
    )
    .await;
    // products: 30, 31
    accepted(&ctx, &standin, product_list(sections(1, 30))).await;
    refused(
        &ctx,
        &standin,
        product_list(sections(2, 16)),
        "invalid parameter `sections`: has 32 products in all; WhatsApp allows at most 30",
    )
    .await;
    refused(&ctx, &standin, product_list(json!([{"title": "A", "productItems": (0..31).map(|p| format!("p{p}")).collect::<Vec<_>>()}])), "invalid parameter `sections`: has 31 products in all; WhatsApp allows at most 30").await;
    // section title: 24, 25
    accepted(
        &ctx,
        &standin,
        product_list(json!([{"title": "t".repeat(24), "productItems": ["a"]}])),
    )
    .await;
    refused(
        &ctx,
        &standin,
        product_list(json!([{"title": "t".repeat(25), "productItems": ["a"]}])),
        "invalid parameter `sections[0].title`: is 25 characters; WhatsApp allows at most 24",
    )
    .await;
    // header 60/61, body 1024/1025, footer 60/61
    let mut at = product_list(sections(1, 1));
    at["header"] = json!("h".repeat(60));
    at["body"] = json!("b".repeat(1024));
    at["footer"] = json!("f".repeat(60));
    accepted(&ctx, &standin, at.clone()).await;
    for (field, len) in [("header", 61), ("body", 1025), ("footer", 61)] {
        let mut past = at.clone();
        past[field] = json!("x".repeat(len));
        let max = len - 1;
        // each bound is declared on its parameter, so the registry answers first
        let error =
            format!("invalid parameter `{field}`: is {len} characters; at most {max} are accepted");
        refused(&ctx, &standin, past, &error).await;
    }
    // catalog message body and footer
    accepted(&ctx, &standin, json!({"action": "send_catalog_message", "body": "b".repeat(1024), "footer": "f".repeat(60)})).await;
    refused(
        &ctx,
        &standin,
        json!({"action": "send_catalog_message", "body": "b".repeat(1025)}),
        "invalid parameter `body`: is 1025 characters; at most 1024 are accepted",
    )
    .await;
    // carousel cards: 2..10; buttons per card: 2
    let card = |i: usize, buttons: usize| json!({"image": format!("m{i}"), "buttons": (0..buttons).map(|b| json!({"subType": "quick_reply", "payload": format!("P{b}")})).collect::<Vec<_>>()});
    let carousel = |n: usize, buttons: usize| json!({"action": "send_carousel_template", "name": "c", "skipTemplateCheck": true, "cards": (0..n).map(|i| card(i, buttons)).collect::<Vec<_>>()});
    accepted(&ctx, &standin, carousel(2, 2)).await;
    accepted(&ctx, &standin, carousel(10, 2)).await;
    refused(
        &ctx,
        &standin,
        carousel(1, 1),
        "invalid parameter `cards`: has 1 cards; WhatsApp allows 2 to 10",
    )
    .await;
    refused(
        &ctx,
        &standin,
        carousel(11, 1),
        "invalid parameter `cards`: has 11 cards; WhatsApp allows 2 to 10",
    )
    .await;
    refused(
        &ctx,
        &standin,
        carousel(2, 3),
        "invalid parameter `cards[0].buttons`: has 3 buttons; WhatsApp allows at most 2",
    )
    .await;
    // order_details: reference id 35/36, item name 60/61; order_status description 120/121
    let details = |reference: &str, name: &str| {
        json!({"action": "send_order_details", "body": "Pay", "referenceId": reference, "currency": "INR",
        "totalAmount": {"value": 100}, "order": {"items": [{"retailerId": "s", "name": name, "amount": {"value": 100}, "quantity": 1}], "subtotal": {"value": 100}, "tax": {"value": 0}}})
    };
    accepted(&ctx, &standin, details(&"r".repeat(35), &"n".repeat(60))).await;
    refused(
        &ctx,
        &standin,
        details(&"r".repeat(36), "n"),
        // a reference id is declared as one (params::ids), so the registry answers first
        "invalid parameter `referenceId`: is 36 characters; at most 35 are accepted",
    )
    .await;
    refused(
        &ctx,
        &standin,
        details("r", &"n".repeat(61)),
        "invalid parameter `order.items[0].name`: is 61 characters; WhatsApp allows at most 60",
    )
    .await;
    let status = |d: usize| json!({"action": "send_order_status", "body": "b", "referenceId": "r", "status": "shipped", "description": "d".repeat(d)});
    accepted(&ctx, &standin, status(120)).await;
    refused(
        &ctx,
        &standin,
        status(121),
        // the bound is declared on the parameter, so the registry answers first
        "invalid parameter `description`: is 121 characters; at most 120 are accepted",
    )
    .await;
}

#[tokio::test]
async fn a_carousel_is_sent_with_as_many_cards_as_its_template_defines() {
    let (ctx, standin) = rig().await;
    let now = handlers::time::now_iso();
    let mut item = handlers::templates::cache::blank(WABA, "summer", "en_US", &now);
    item.status = "APPROVED".into();
    item.category = Some("MARKETING".into());
    let card = json!({"components": [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Now {{1}}"},
                                     {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "More"}]}]});
    item.components = Some(
        json!([{"type": "BODY", "text": "Hi {{1}}"}, {"type": "CAROUSEL", "cards": [card.clone(), card.clone(), card]}]),
    );
    handlers::templates::cache::put(ctx.store(), &item)
        .await
        .unwrap();
    let cards = |n: usize, kind: &str| {
        (0..n).map(|i| json!({kind: format!("m{i}"), "body": ["9 €"], "buttons": [{"subType": "quick_reply", "payload": "M"}]})).collect::<Vec<_>>()
    };
    let request = |cards: Vec<Value>| json!({"action": "send_carousel_template", "name": "summer", "wabaId": WABA, "body": ["Kerry"], "cards": cards});
    accepted(&ctx, &standin, request(cards(3, "image"))).await;
    refused(&ctx, &standin, request(cards(2, "image")), "invalid parameter `cards`: has 2 cards; template `summer` (en_US) defines 3 and must be sent with exactly that many").await;
    refused(&ctx, &standin, request(cards(3, "video")), "invalid parameter `cards[0]`: has a video header; template `summer` (en_US) card 0 takes IMAGE").await;
}
