//! Webhook fields we know, carrying values or shapes we do not: stored with what is known and
//! the raw value, never poison. Meta adds values without notice.

use std::sync::Arc;

use handlers::Store;
use handlers::keys;
use handlers::store::PageRequest;
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

/// Runs one EUM event holding `changes` (with an entry `time`) and returns the answer's data.
async fn run(store: &Arc<dyn Store>, sns_id: &str, changes: Value) -> Value {
    let entry = json!({"id": WABA, "time": 1764238100, "changes": changes});
    let body = json!({
        "context": {
            "MetaWabaIds": [{"wabaId": WABA, "arn": "arn:aws:social-messaging:us-east-1:123456789012:waba/abc"}],
            "MetaPhoneNumberIds": [{"metaPhoneNumberId": PHONE, "arn": "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/def"}]
        },
        "whatsAppWebhookEntry": entry.to_string(),
        "messageId": "eum-1"
    })
    .to_string();
    let ctx = ctx(store.clone());
    let answer = intake::handle(&ctx, sns_event(&[(sns_id, body)]))
        .await
        .unwrap();
    answer["data"].clone()
}

async fn item(store: &Arc<dyn Store>, pk: &str) -> Value {
    store
        .get_item(pk)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {pk}"))
}

async fn kept(store: &Arc<dyn Store>, field: &str) -> Vec<Value> {
    store
        .list_by_item_type(
            &keys::item_type::webhook_field(field),
            &PageRequest {
                limit: 100,
                cursor: None,
            },
        )
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_category_update_with_only_the_new_category_is_stored() {
    let store: Arc<dyn Store> = embedded_store();
    let data = run(
        &store,
        "cat-1",
        json!([{"field": "template_category_update", "value": {
            "message_template_id": 1689556908129832_i64,
            "message_template_name": "order_confirmation",
            "message_template_language": "en_US",
            "new_category": "MARKETING"
        }}]),
    )
    .await;
    assert_eq!(data["poison"], 0, "{data}");
    let t = item(&store, &keys::template(WABA, "order_confirmation", "en_US")).await;
    assert_eq!(t["category"], "MARKETING", "{t}");
}

#[tokio::test]
async fn a_signup_is_an_opt_in_with_its_source_and_signup_id() {
    let store: Arc<dyn Store> = embedded_store();
    let data = run(
        &store,
        "signup-1",
        json!([{"field": "user_preferences", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
            "contacts": [{"profile": {"name": "Kerry"}, "wa_id": CUSTOMER}],
            "user_preferences": [{
                "wa_id": CUSTOMER, "detail": "User signed up for marketing messages",
                "category": "marketing_messages", "value": "signup",
                "signup_id": "signup-link-42", "timestamp": 1764238000
            }]
        }}]),
    )
    .await;
    assert_eq!(data["poison"], 0, "{data}");
    let c = item(&store, &keys::customer(CUSTOMER)).await;
    assert_eq!(c["marketingOptOut"], false, "{c}");
    assert_eq!(c["marketingPreferenceValue"], "signup", "{c}");
    assert_eq!(c["marketingPreferenceSource"], "signup", "{c}");
    assert_eq!(c["marketingSignupId"], "signup-link-42", "{c}");
}

#[tokio::test]
async fn an_unreadable_change_is_kept_whole_and_its_siblings_are_stored() {
    let store: Arc<dyn Store> = embedded_store();
    let now = now_secs();
    let message = text_message("wamid.TOLERANT1", CUSTOMER, now, "hello");
    let mut changes = messages_change(CUSTOMER, json!([message]), json!([]));
    let no_field = json!({"value": {"something": "new"}});
    let misfit = json!({"field": "messages", "value": {"messages": "not a list"}});
    changes.as_array_mut().unwrap().push(no_field.clone());
    changes.as_array_mut().unwrap().push(misfit.clone());
    let data = run(&store, "broken-1", changes).await;
    assert_eq!(data["poison"], 0, "{data}");
    assert!(
        store
            .get_message("wamid.TOLERANT1")
            .await
            .unwrap()
            .is_some(),
        "the good message is stored"
    );
    let unreadable = kept(&store, "unreadable").await;
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert_eq!(unreadable[0]["payload"], no_field);
    let misfits = kept(&store, "messages").await;
    assert_eq!(misfits.len(), 1, "{misfits:?}");
    assert_eq!(misfits[0]["payload"], misfit["value"]);
    assert!(misfits[0]["error"].is_string(), "{}", misfits[0]);
}

#[tokio::test]
async fn a_template_status_keeps_disable_other_and_rejection_info() {
    let store: Arc<dyn Store> = embedded_store();
    let value = json!({
        "event": "FLAGGED", "message_template_id": 806312974732579_i64,
        "message_template_name": "welcome_offer", "message_template_language": "en_US",
        "reason": "NONE", "message_template_category": "MARKETING",
        "disable_info": {"disable_date": "1764838100"},
        "other_info": {"title": "FIRST_PAUSE", "description": "Paused for low quality"},
        "rejection_info": {"reason": "Variables are malformed", "recommendation": "Use {{1}}"}
    });
    let data = run(
        &store,
        "status-1",
        json!([{"field": "message_template_status_update", "value": value}]),
    )
    .await;
    assert_eq!(data["poison"], 0, "{data}");
    let t = item(&store, &keys::template(WABA, "welcome_offer", "en_US")).await;
    assert_eq!(t["status"], "FLAGGED", "{t}");
    assert_eq!(t["disableInfo"], value["disable_info"], "{t}");
    assert_eq!(t["disableDate"], "2025-12-04T08:48:20Z", "{t}");
    assert_eq!(t["otherInfo"], value["other_info"], "{t}");
    assert_eq!(t["rejectionInfo"], value["rejection_info"], "{t}");
}

#[tokio::test]
async fn automatic_events_are_conversions_of_the_customer_of_their_message() {
    let store: Arc<dyn Store> = embedded_store();
    let now = now_secs();
    let first = text_message("wamid.CTWA1", CUSTOMER, now, "I'd like to buy");
    run(
        &store,
        "ctwa-msg",
        messages_change(CUSTOMER, json!([first]), json!([])),
    )
    .await;
    let data = run(
        &store,
        "auto-1",
        json!([{"field": "automatic_events", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
            "automatic_events": [
                {"id": "wamid.CTWA1", "event_name": "Purchase", "timestamp": now + 60,
                 "ctwa_clid": "Aff-clid-1", "custom_data": {"currency": "USD", "value": 25000}},
                {"id": "wamid.CTWA1", "event_name": "LeadSubmitted", "timestamp": now + 30,
                 "ctwa_clid": "Aff-clid-1"}
            ]
        }}]),
    )
    .await;
    assert_eq!(data["poison"], 0, "{data}");
    assert!(kept(&store, "automatic_events").await.is_empty());
    let ctx = ctx(store.clone());
    let customer = action(&ctx, json!({"action": "get_customer", "to": CUSTOMER})).await;
    let history = customer["data"]["referrals"].as_array().unwrap().clone();
    let purchase = history
        .iter()
        .find(|e| e["eventName"] == "Purchase")
        .unwrap_or_else(|| panic!("no Purchase in {customer}"));
    assert_eq!(purchase["ctwaClid"], "Aff-clid-1");
    assert_eq!(purchase["currency"], "USD");
    assert_eq!(purchase["value"], 25.0, "{purchase}");
    assert_eq!(purchase["waMessageId"], "wamid.CTWA1");
    assert!(history.iter().any(|e| e["eventName"] == "LeadSubmitted"));
}

#[tokio::test]
async fn a_components_update_rewrites_the_cached_template_texts() {
    let store: Arc<dyn Store> = embedded_store();
    seed_template(store.as_ref(), "shipping_update", "en_US", 1).await;
    let data = run(
        &store,
        "components-1",
        json!([{"field": "message_template_components_update", "value": {
            "message_template_id": 1689556908129832_i64,
            "message_template_name": "shipping_update",
            "message_template_language": "en_US",
            "message_template_element": "Your order {{1}} is on its way",
            "message_template_title": "Shipping",
            "message_template_footer": "Reply STOP to opt out",
            "message_template_buttons": [{"message_template_button_type": "URL",
                "message_template_button_text": "Track", "message_template_button_url": "https://t.example/{{1}}"}]
        }}]),
    )
    .await;
    assert_eq!(data["poison"], 0, "{data}");
    assert!(
        kept(&store, "message_template_components_update")
            .await
            .is_empty()
    );
    let t = item(&store, &keys::template(WABA, "shipping_update", "en_US")).await;
    let components = t["components"].as_array().unwrap();
    let of = |kind: &str| {
        components
            .iter()
            .find(|c| c["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {t}"))
            .clone()
    };
    assert_eq!(of("BODY")["text"], "Your order {{1}} is on its way");
    assert_eq!(of("HEADER")["text"], "Shipping");
    assert_eq!(of("FOOTER")["text"], "Reply STOP to opt out");
    assert_eq!(
        of("BUTTONS")["buttons"][0]["url"],
        "https://t.example/{{1}}"
    );
    assert_eq!(t["status"], "APPROVED", "the status is kept");
}

#[tokio::test]
async fn a_payment_configuration_update_is_stored_newest_first() {
    let store: Arc<dyn Store> = embedded_store();
    let update = |status: &str, updated: i64| {
        json!([{"field": "payment_configuration_update", "value": {
            "configuration_name": "main-upi", "provider_name": "razorpay",
            "provider_mid": "mid-123", "status": status,
            "created_timestamp": 1764200000, "updated_timestamp": updated
        }}])
    };
    let data = run(&store, "paycfg-2", update("Active", 1764238000)).await;
    assert_eq!(data["poison"], 0, "{data}");
    // an older update arriving late changes nothing
    run(&store, "paycfg-1", update("Needs_Connecting", 1764237000)).await;
    assert!(
        kept(&store, "payment_configuration_update")
            .await
            .is_empty()
    );
    let c = item(&store, &keys::payment_configuration(WABA, "main-upi")).await;
    assert_eq!(c["itemType"], "PAYMENT_CONFIG", "{c}");
    assert_eq!(c["status"], "Active", "{c}");
    assert_eq!(c["providerName"], "razorpay", "{c}");
    assert_eq!(c["providerMid"], "mid-123", "{c}");
    assert_eq!(c["createdTimestamp"], "2025-11-26T23:33:20Z", "{c}");
    assert_eq!(c["statusAt"], "2025-11-27T10:06:40Z", "{c}");
}

#[tokio::test]
async fn a_status_of_a_type_we_do_not_know_is_kept_not_applied_to_a_message() {
    let store: Arc<dyn Store> = embedded_store();
    let mut unknown = status("wamid.NEWTYPE", "delivered", now_secs());
    unknown["type"] = json!("subscription");
    let known = status("wamid.PLAIN", "delivered", now_secs());
    let data = run(
        &store,
        "status-type-1",
        messages_change(CUSTOMER, json!([]), json!([unknown.clone(), known])),
    )
    .await;
    assert_eq!(data["poison"], 0, "{data}");
    assert!(
        store.get_message("wamid.NEWTYPE").await.unwrap().is_none(),
        "no message item for a status that is not a message's"
    );
    assert!(store.get_message("wamid.PLAIN").await.unwrap().is_some());
    let kept = kept(&store, "messages.statuses").await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["payload"], json!([unknown]));
    assert!(kept[0]["error"].is_string(), "{}", kept[0]);
}
