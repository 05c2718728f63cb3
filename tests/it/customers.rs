//! Customers and groups: marketing preferences merged by time (both stores), MARKETING
//! templates refused to opted-out customers, click-to-WhatsApp referrals feeding conversion
//! events (exact request to the stand-in), and group items with their participants.

use std::sync::Arc;

use handlers::Store;
use serde_json::{Value, json};

use crate::helpers::{CUSTOMER, PHONE, WABA, embedded_store, load};
use crate::platform::{EUM_WABA, blob, change_event, dispatch, ingest, platform_ctx};

macro_rules! both_stores {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::embedded_store()).await; })*
        }
        mod dynamodb {
            $(#[tokio::test] async fn $case() { super::$case(crate::helpers::dynamo_store().await).await; })*
        }
    };
}

both_stores!(
    the_newest_preference_wins_and_marketing_templates_are_refused,
    groups_keep_their_state_and_participants
);

fn preference(value: &str, at: i64) -> Value {
    json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "contacts": [{"profile": {"name": "Kerry"}, "wa_id": CUSTOMER}],
        "user_preferences": [{"wa_id": CUSTOMER, "detail": format!("User requested to {value} marketing messages"),
            "category": "marketing_messages", "value": value, "timestamp": at}]})
}

async fn template(store: &dyn Store, name: &str, category: &str) {
    store
        .put_record(&json!({"pk": handlers::keys::template(WABA, name, "en_US"), "itemType": "TEMPLATE",
            "itemTypePk": "TEMPLATE", "wabaId": WABA, "name": name, "language": "en_US", "status": "APPROVED",
            "category": category, "statusAt": "2026-01-01T00:00:00Z", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}))
        .await
        .unwrap();
}

async fn the_newest_preference_wins_and_marketing_templates_are_refused<S: Store + 'static>(
    store: Arc<S>,
) {
    let ctx = crate::helpers::ctx(store.clone());
    template(store.as_ref(), "summer_sale", "MARKETING").await;
    template(store.as_ref(), "order_update", "UTILITY").await;
    let t = 1_763_633_400;
    // GIVEN a stop, then an older resume delivered late
    ingest(
        &ctx,
        change_event("p-stop", "user_preferences", preference("stop", t)),
    )
    .await;
    ingest(
        &ctx,
        change_event(
            "p-old-resume",
            "user_preferences",
            preference("resume", t - 60),
        ),
    )
    .await;
    let customer = dispatch(
        &ctx,
        json!({"action": "get_customer", "to": format!("+{CUSTOMER}")}),
    )
    .await;
    assert_eq!(customer["data"]["marketingOptOut"], true, "{customer}");
    assert_eq!(
        customer["data"]["preferences"]["marketingPreferenceSource"],
        "user_preferences"
    );
    assert_eq!(
        customer["data"]["preferences"]["marketingPreferenceAt"],
        "2025-11-20T10:10:00Z"
    );
    // THEN a MARKETING template is refused, saying why; a UTILITY one goes out
    let refused = dispatch(
        &ctx,
        json!({"action": "send_template", "to": CUSTOMER, "name": "summer_sale"}),
    )
    .await;
    assert_eq!(refused["statusCode"], 400, "{refused}");
    let why = refused["error"].as_str().unwrap();
    assert!(
        why.contains("MARKETING")
            && why.contains("stopped marketing messages")
            && why.contains("2025-11-20T10:10:00Z"),
        "{why}"
    );
    let sent = dispatch(
        &ctx,
        json!({"action": "send_template", "to": CUSTOMER, "name": "order_update"}),
    )
    .await;
    assert_eq!(sent["statusCode"], 200, "{sent}");
    // WHEN the customer resumes later
    ingest(
        &ctx,
        change_event("p-resume", "user_preferences", preference("resume", t + 60)),
    )
    .await;
    let sent = dispatch(
        &ctx,
        json!({"action": "send_template", "to": CUSTOMER, "name": "summer_sale"}),
    )
    .await;
    assert_eq!(sent["statusCode"], 200, "{sent}");
    // AND a manual opt-out (now) is newer than any webhook
    let set = dispatch(&ctx, json!({"action": "set_customer_preferences", "to": CUSTOMER, "marketingOptOut": true, "reason": "replied STOP"})).await;
    assert_eq!(set["statusCode"], 200, "{set}");
    assert_eq!(set["data"]["applied"], true);
    assert_eq!(
        set["data"]["preferences"]["marketingPreferenceSource"],
        "manual"
    );
    assert_eq!(
        set["data"]["preferences"]["marketingPreferenceDetail"],
        "replied STOP"
    );
    let refused = dispatch(
        &ctx,
        json!({"action": "send_template", "to": CUSTOMER, "name": "summer_sale"}),
    )
    .await;
    assert_eq!(refused["statusCode"], 400, "{refused}");
    let redelivered = ingest(
        &ctx,
        change_event(
            "p-resume-again",
            "user_preferences",
            preference("resume", t + 60),
        ),
    )
    .await;
    assert_eq!(redelivered["data"]["poison"], 0);
    let customer = dispatch(&ctx, json!({"action": "get_customer", "to": CUSTOMER})).await;
    assert_eq!(
        customer["data"]["marketingOptOut"], true,
        "an older webhook does not undo it: {customer}"
    );
}

fn groups(field: &str, group: Value) -> Value {
    let id = format!(
        "{field}-{}-{}",
        group["type"].as_str().unwrap(),
        group["timestamp"].as_str().unwrap()
    );
    let value = json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE}, "groups": [group]});
    change_event(&id, field, value)
}

async fn groups_keep_their_state_and_participants<S: Store + 'static>(store: Arc<S>) {
    let ctx = crate::helpers::ctx(store.clone());
    let g = "Y2FwaV9ncm91cDoxNjUwNTU1MTIzNDoxMjAzNjMzOTQ0";
    let t = 1_763_633_400;
    let at = |d: i64| (t + d).to_string();
    ingest(&ctx, groups("group_lifecycle_update", json!({"timestamp": at(0), "group_id": g, "type": "group_create", "subject": "VIPs", "invite_link": "https://chat.whatsapp.com/X"}))).await;
    ingest(&ctx, groups("group_participants_update", json!({"timestamp": at(10), "group_id": g, "type": "group_participants_add", "added_participants": [{"wa_id": "16505550001"}, {"wa_id": "16505550002"}]}))).await;
    ingest(&ctx, groups("group_participants_update", json!({"timestamp": at(20), "group_id": g, "type": "group_participants_remove", "initiated_by": "participant", "removed_participants": [{"wa_id": "16505550002"}]}))).await;
    // the add delivered again, late: the participant who left stays gone
    ingest(&ctx, change_event("late-add", "group_participants_update", json!({"messaging_product": "whatsapp",
        "metadata": {"phone_number_id": PHONE}, "groups": [{"timestamp": at(10), "group_id": g, "type": "group_participants_add", "added_participants": [{"wa_id": "16505550002"}]}]}))).await;
    ingest(&ctx, groups("group_settings_update", json!({"timestamp": at(30), "group_id": g, "type": "group_settings_update",
        "group_subject": {"text": "VIP club", "update_successful": true}, "group_description": {"text": "ignored", "update_successful": false}}))).await;
    ingest(
        &ctx,
        groups(
            "group_status_update",
            json!({"timestamp": at(40), "group_id": g, "type": "group_suspend"}),
        ),
    )
    .await;
    let item = store
        .get_item(&handlers::keys::group(g))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item["lifecycle"], "ACTIVE", "{item}");
    assert_eq!(item["subject"], "VIP club");
    assert!(
        item.get("description").is_none(),
        "a failed update is not applied: {item}"
    );
    assert_eq!(item["status"], "SUSPENDED");
    assert_eq!(item["inviteLink"], "https://chat.whatsapp.com/X");
    let members = store
        .list_by_item_type(
            &handlers::keys::item_type::group_members(g),
            &handlers::store::PageRequest {
                limit: 10,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let mut states: Vec<(String, String)> = members
        .items
        .iter()
        .map(|m| {
            (
                m["participant"].as_str().unwrap().into(),
                m["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            ("16505550001".into(), "JOINED".into()),
            ("16505550002".into(), "LEFT".into())
        ]
    );
}

#[tokio::test]
async fn a_referral_is_kept_and_feeds_the_conversion_event() {
    let (ctx, standin) = platform_ctx(embedded_store(), 1).await;
    // GIVEN a customer who came from a click-to-WhatsApp ad
    let event = load("events/inbound/referral.json");
    ingest(&ctx, event.clone()).await;
    ingest(&ctx, event).await; // redelivered: one referral
    let customer = dispatch(&ctx, json!({"action": "get_customer", "to": CUSTOMER})).await;
    let referrals = customer["data"]["referrals"].as_array().unwrap();
    assert_eq!(referrals.len(), 1, "{customer}");
    let clid = referrals[0]["ctwaClid"].as_str().unwrap().to_string();
    assert!(clid.starts_with("Aff-"), "{customer}");
    assert_eq!(referrals[0]["sourceId"], "120226305854810726");
    // WHEN a purchase is reported without a click id
    let answer = dispatch(&ctx, json!({"action": "send_conversion_event", "to": CUSTOMER, "wabaId": EUM_WABA,
        "event": {"event_name": "Purchase", "event_time": 1763640000, "custom_data": {"currency": "USD", "value": 42.5}}})).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    // THEN the customer's latest click id goes to EUM Social, exactly so
    let seen = standin.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v1/whatsapp/waba/dataset/events")
    );
    assert_eq!(seen.body["id"], EUM_WABA);
    // EUM requires the dataset: the WABA's own, read from GetLinkedWhatsAppBusinessAccount
    assert_eq!(
        seen.body["datasetId"], "1234567890123456",
        "the WABA's own dataset"
    );
    assert_eq!(
        blob(&seen.body["eventData"]),
        json!({"data": [{"event_name": "Purchase", "event_time": 1763640000,
        "custom_data": {"currency": "USD", "value": 42.5}, "action_source": "business_messaging",
        "messaging_channel": "whatsapp", "user_data": {"ctwa_clid": clid}}]})
    );
    assert_eq!(
        answer["data"]["requestId"],
        "4f6c1d2e-8a9b-4c3d-9e0f-1a2b3c4d5e6f"
    );
    // a WABA without a dataset is told to create one, and nothing is sent
    standin.clear();
    let no_dataset = dispatch(
        &ctx,
        json!({"action": "send_conversion_event", "ctwaClid": clid,
        "wabaId": "waba-0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "event": {"event_name": "Purchase"}}),
    )
    .await;
    assert_eq!(no_dataset["statusCode"], 400, "{no_dataset}");
    assert!(
        no_dataset["error"]
            .as_str()
            .unwrap()
            .contains("`datasetId`")
            && no_dataset["error"]
                .as_str()
                .unwrap()
                .contains("create_dataset"),
        "{no_dataset}"
    );
    assert!(
        standin
            .seen()
            .iter()
            .all(|s| s.path != "/v1/whatsapp/waba/dataset/events"),
        "nothing sent without a dataset"
    );
    // a customer without a referral is told what to give
    let none = dispatch(&ctx, json!({"action": "send_conversion_event", "to": "16505559999", "event": {"event_name": "Purchase"}})).await;
    assert_eq!(none["statusCode"], 400, "{none}");
    assert!(
        none["error"].as_str().unwrap().contains("ctwaClid"),
        "{none}"
    );
}
