//! Ids holding a `#` cannot name another item: refused by every action that takes them
//! (400 naming the field), and refused as poison when a webhook carries them.

use handlers::store::Store;
use serde_json::json;
use whatsapp_lambda::intake;

use crate::helpers::*;

#[tokio::test]
async fn a_forged_phone_or_customer_id_creates_nothing_and_reads_nothing() {
    let store = embedded_store();
    let ctx = ctx(store.clone());
    // GIVEN a business phone id that holds a customer id after a `#`
    let sent = action(
        &ctx,
        json!({"action": "send_text", "to": "+1 650-555-1234", "text": "hi",
               "phoneNumberId": format!("{PHONE}#{CUSTOMER}"), "force": true}),
    )
    .await;
    // THEN the send is refused naming the field, and no conversation or phone appears
    assert_eq!(sent["statusCode"], 400, "{sent}");
    assert!(
        sent["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid parameter `phoneNumberId`"),
        "{sent}"
    );
    let forged = format!("CONV#{PHONE}#{CUSTOMER}#{CUSTOMER}");
    assert_eq!(store.get_item(&forged).await.unwrap(), None);
    let phones = action(&ctx, json!({"action": "list_inbox_phones"})).await;
    assert_eq!(phones["data"]["count"], 1, "{phones}");
    // AND a customer id with a `#` reads nothing
    let read = action(
        &ctx,
        json!({"action": "get_messages", "customerId": format!("{CUSTOMER}#{CUSTOMER}")}),
    )
    .await;
    assert_eq!(read["statusCode"], 400, "{read}");
    assert!(
        read["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid parameter `customerId`"),
        "{read}"
    );
    // AND a phone number given as `to` is still normalised
    let sent = action(
        &ctx,
        json!({"action": "send_text", "to": "+1 650-555-1234", "text": "hi", "force": true}),
    )
    .await;
    assert_eq!(sent["statusCode"], 200, "{sent}");
    assert_eq!(
        sent["data"]["conversationPk"],
        format!("CONV#{PHONE}#{CUSTOMER}")
    );
}

#[tokio::test]
async fn webhook_ids_holding_a_hash_are_poison_not_keys() {
    let store = embedded_store();
    let ctx = ctx(store.clone());
    // GIVEN a message whose sender and a status whose id hold a `#`, next to a good message
    let event = sns_event(&[(
        "sns-forged",
        envelope(messages_change(
            CUSTOMER,
            json!([
                text_message(
                    "wamid.F1",
                    &format!("{CUSTOMER}#x"),
                    1_763_632_800,
                    "forged"
                ),
                text_message("wamid.G1", CUSTOMER, 1_763_632_801, "good"),
            ]),
            json!([status("wamid.X#1", "delivered", 1_763_632_802)]),
        )),
    )]);
    let answer = intake::handle(&ctx, event).await.unwrap();
    // THEN the good message is stored, the two forged parts are poison with their reason
    let data = &answer["data"];
    assert_eq!(data["messages"], 1, "{answer}");
    assert_eq!(data["poison"], 2, "{answer}");
    let errors = data["reports"][0]["errors"].to_string();
    assert!(
        errors.contains("message `from` must not contain `#`"),
        "{errors}"
    );
    assert!(
        errors.contains("status id must not contain `#`"),
        "{errors}"
    );
    assert_eq!(
        store
            .get_item(&format!("CONV#{PHONE}#{CUSTOMER}#x"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_item("MSG#wamid.F1").await.unwrap(), None);
    assert!(store.get_item("MSG#wamid.G1").await.unwrap().is_some());
}
