//! Orders and payments on both stores: an inbound order is stored once under redelivery; payment
//! webhooks move a payment forward only, whatever their order and number; update_order_status
//! moves an order forward only and notifies once.

use std::sync::Arc;

use handlers::store::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

const ORDER: &str = "wamid.ORDER1";

fn order_event(sns_id: &str) -> Value {
    let message = json!({"from": CUSTOMER, "id": ORDER, "timestamp": now_secs().to_string(), "type": "order",
        "order": {"catalog_id": "cat", "text": "quick please", "product_items": [
            {"product_retailer_id": "a", "quantity": 2, "item_price": 30, "currency": "USD"},
            {"product_retailer_id": "b", "quantity": 1, "item_price": 25.5, "currency": "USD"}]}});
    sns_event(&[(
        sns_id,
        envelope(messages_change(CUSTOMER, json!([message]), json!([]))),
    )])
}

fn payment_status(status: &str, timestamp: i64, refunds: usize) -> Value {
    let refunds: Vec<Value> = (0..refunds)
        .map(|i| json!({"id": format!("rfnd_{i}"), "status": "completed", "amount": {"value": 100, "offset": 100}}))
        .collect();
    json!({"id": format!("pay-{status}-{timestamp}"), "type": "payment", "status": status,
           "timestamp": timestamp.to_string(), "recipient_id": CUSTOMER,
           "payment": {"reference_id": "REF-1", "amount": {"value": 8550, "offset": 100}, "currency": "INR",
                       "transaction": {"id": format!("txn-{timestamp}"), "type": "razorpay",
                                       "status": if status == "captured" { "success" } else { status },
                                       "refunds": refunds}}})
}

fn payment_event(sns_id: &str, status: Value) -> Value {
    sns_event(&[(
        sns_id,
        envelope(messages_change(CUSTOMER, json!([]), json!([status]))),
    )])
}

async fn stores() -> Vec<Arc<dyn Store>> {
    vec![embedded_store() as Arc<dyn Store>, dynamo_store().await]
}

#[tokio::test]
async fn an_inbound_order_is_one_order_item_under_redelivery() {
    for store in stores().await {
        let ctx = ctx(store.clone());
        for sns in ["sns-1", "sns-1", "sns-2"] {
            let answer = intake::handle(&ctx, order_event(sns)).await.unwrap();
            assert_eq!(answer["data"]["poison"], 0, "{answer}");
        }
        let order = action(&ctx, json!({"action": "get_order", "orderId": ORDER})).await;
        assert_eq!(order["statusCode"], 200, "{order}");
        let data = &order["data"];
        assert_eq!(data["status"], "received");
        assert_eq!(data["total"], 85.5);
        assert_eq!(data["currency"], "USD");
        assert_eq!(data["catalogId"], "cat");
        assert_eq!(data["conversation"], format!("CONV#{PHONE}#{CUSTOMER}"));
        assert_eq!(data["productItems"].as_array().unwrap().len(), 2);
        let list = action(&ctx, json!({"action": "list_orders"})).await;
        assert_eq!(
            list["data"]["orders"].as_array().unwrap().len(),
            1,
            "{list}"
        );
        // the message itself is stored as before, once
        assert!(
            store
                .get_message(ORDER)
                .await
                .unwrap()
                .unwrap()
                .order
                .is_some()
        );
        // an order moved on is not reset by a later redelivery
        let moved = action(
            &ctx,
            json!({"action": "update_order_status", "orderId": ORDER, "status": "shipped"}),
        )
        .await;
        assert_eq!(moved["data"]["changed"], true, "{moved}");
        intake::handle(&ctx, order_event("sns-3")).await.unwrap();
        let order = action(&ctx, json!({"action": "get_order", "orderId": ORDER})).await;
        assert_eq!(order["data"]["status"], "shipped");
        let missing = action(
            &ctx,
            json!({"action": "get_order", "orderId": "wamid.none"}),
        )
        .await;
        assert_eq!(missing["statusCode"], 404);
    }
}

#[tokio::test]
async fn payment_webhooks_move_forward_only_in_any_order() {
    let t = now_secs();
    let events = [
        payment_status("pending", t, 0),
        payment_status("failed", t + 1, 0),
        payment_status("captured", t + 2, 0),
        payment_status("captured", t + 3, 1),
    ];
    // every order of arrival, each webhook delivered twice
    let orders: [[usize; 4]; 4] = [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]];
    for store in stores().await {
        for (run, order) in orders.iter().enumerate() {
            let store: Arc<dyn Store> = if run == 0 {
                store.clone()
            } else if store.describe().starts_with("dynamodb") {
                dynamo_store().await
            } else {
                embedded_store()
            };
            let ctx = ctx(store.clone());
            for (n, &i) in order.iter().chain(order.iter()).enumerate() {
                let answer =
                    intake::handle(&ctx, payment_event(&format!("p-{n}"), events[i].clone()))
                        .await
                        .unwrap();
                assert_eq!(answer["data"]["poison"], 0, "{answer}");
            }
            let item = store
                .get_item(&handlers::keys::payment(PHONE, "REF-1"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(item["status"], "captured", "{order:?}: {item}");
            assert_eq!(
                item["transaction"]["refunds"].as_array().unwrap().len(),
                1,
                "{order:?}: {item}"
            );
            assert_eq!(item["customerId"], CUSTOMER);
            // no message item was made of a payment status
            assert!(
                store
                    .get_message(&format!("pay-captured-{}", t + 2))
                    .await
                    .unwrap()
                    .is_none()
            );
        }
    }
}

#[tokio::test]
async fn a_captured_payment_pays_its_order_and_statuses_never_go_back() {
    for store in stores().await {
        let ctx = ctx(store.clone());
        intake::handle(&ctx, order_event("sns-o")).await.unwrap();
        // an open window for the notifications (the order itself opened it)
        let request = json!({"action": "send_order_details", "to": CUSTOMER, "body": "Pay", "referenceId": "REF-1", "currency": "INR",
            "totalAmount": {"value": 8550}, "orderId": ORDER,
            "order": {"items": [{"retailerId": "a", "name": "A", "amount": {"value": 3000}, "quantity": 2}, {"retailerId": "b", "name": "B", "amount": {"value": 2550}, "quantity": 1}],
                      "subtotal": {"value": 8550}, "tax": {"value": 0}}});
        let sent = action(&ctx, request).await;
        assert_eq!(sent["statusCode"], 200, "{sent}");
        let payments = action(&ctx, json!({"action": "get_payments", "orderId": ORDER})).await;
        assert_eq!(
            payments["data"]["payments"][0]["status"], "new",
            "{payments}"
        );
        assert_eq!(payments["data"]["payments"][0]["orderId"], ORDER);
        intake::handle(
            &ctx,
            payment_event("pay-1", payment_status("captured", now_secs(), 0)),
        )
        .await
        .unwrap();
        let order = action(&ctx, json!({"action": "get_order", "orderId": ORDER})).await;
        assert_eq!(order["data"]["status"], "paid", "{order}");
        assert_eq!(order["data"]["referenceId"], "REF-1");
        // forward: shipped with a text; the same again changes nothing and sends nothing new
        let update = json!({"action": "update_order_status", "orderId": ORDER, "status": "shipped", "notifyText": "On its way"});
        let first = action(&ctx, update.clone()).await;
        assert_eq!(first["data"]["changed"], true, "{first}");
        let wamid = first["data"]["notification"]["waMessageId"].clone();
        assert!(wamid.is_string(), "{first}");
        let again = action(&ctx, update).await;
        assert_eq!(again["data"]["changed"], false, "{again}");
        assert_eq!(again["data"]["notification"]["replayed"], true, "{again}");
        assert_eq!(again["data"]["notification"]["waMessageId"], wamid);
        // back: refused, nothing changes
        let back = action(
            &ctx,
            json!({"action": "update_order_status", "orderId": ORDER, "status": "confirmed"}),
        )
        .await;
        assert_eq!(back["statusCode"], 409, "{back}");
        let bad = action(
            &ctx,
            json!({"action": "update_order_status", "orderId": ORDER, "status": "lost"}),
        )
        .await;
        assert_eq!(bad["statusCode"], 400, "{bad}");
        // a late pending webhook does not undo the capture
        intake::handle(
            &ctx,
            payment_event("pay-0", payment_status("pending", now_secs() - 60, 0)),
        )
        .await
        .unwrap();
        let payments = action(
            &ctx,
            json!({"action": "get_payments", "status": "captured"}),
        )
        .await;
        assert_eq!(
            payments["data"]["payments"].as_array().unwrap().len(),
            1,
            "{payments}"
        );
        let order = action(&ctx, json!({"action": "get_order", "orderId": ORDER})).await;
        assert_eq!(order["data"]["status"], "shipped");
        assert!(order["data"]["shippedAt"].is_string(), "{order}");
    }
}
