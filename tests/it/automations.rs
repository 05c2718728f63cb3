//! Automations against the EUM Social stand-in, on both stores: a rule fires once under
//! redelivery and respects its cooldown; opt-out keywords set the opt-out and confirm it; a
//! failing rule never fails the inbound record.

use std::sync::Arc;

use handlers::Ctx;
use handlers::store::{Store, StoreError};
use serde_json::{Value, json};
use whatsapp_lambda::eum::EumSender;
use whatsapp_lambda::intake;

use crate::doubles::{HookedStore, Hooks};
use crate::helpers::*;
use crate::standin::StandIn;

async fn rig(store: Arc<dyn Store>) -> (Ctx, StandIn) {
    let standin = StandIn::start(None).await;
    let sender = Arc::new(EumSender::new(standin.client(1).await, "v24.0", None));
    let media = Arc::new(handlers::sandbox::MemoryMedia::default());
    (Ctx::with(store, sender, media, settings()), standin)
}

fn sends(standin: &StandIn) -> Vec<Value> {
    standin
        .seen()
        .into_iter()
        .filter(|s| s.path == "/v1/whatsapp/send")
        .map(|s| s.message())
        .collect()
}

async fn create(ctx: &Ctx, rule: Value) -> String {
    let mut request = rule;
    request["action"] = json!("create_automation");
    let answer = action(ctx, request).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    answer["data"]["id"].as_str().unwrap().to_string()
}

fn stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    vec![("embedded", embedded_store() as Arc<dyn Store>)]
}

async fn both() -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut all = stores();
    all.push(("dynamodb", dynamo_store().await as Arc<dyn Store>));
    all
}

#[tokio::test]
async fn a_keyword_rule_fires_once_under_redelivery_and_respects_its_cooldown() {
    for (name, store) in both().await {
        let (ctx, standin) = rig(store.clone()).await;
        create(
            &ctx,
            json!({"name": "hours", "kind": "keyword", "matchMode": "exact", "keywords": ["Hours"],
                   "reply": {"text": "9 to 5"}, "cooldownSeconds": 3600}),
        )
        .await;
        let t = now_secs();
        // GIVEN the same message delivered three times (two SNS ids) and once more concurrently
        let event = |sns: &str| text_event(sns, "wamid.K1", CUSTOMER, t, " hours ");
        intake::handle(&ctx, event("sns-1")).await.unwrap();
        intake::handle(&ctx, event("sns-1")).await.unwrap();
        let (a, b) = tokio::join!(
            intake::handle(&ctx, event("sns-2")),
            intake::handle(&ctx, event("sns-3"))
        );
        a.unwrap();
        b.unwrap();
        // THEN one reply, to the customer, with the rule's text
        let sent = sends(&standin);
        assert_eq!(sent.len(), 1, "{name}: {sent:?}");
        assert_eq!(sent[0]["to"], CUSTOMER);
        assert_eq!(sent[0]["text"]["body"], "9 to 5");
        // WHEN another matching message arrives within the cooldown THEN no reply
        intake::handle(
            &ctx,
            text_event("sns-4", "wamid.K2", CUSTOMER, t + 1, "HOURS"),
        )
        .await
        .unwrap();
        assert_eq!(sends(&standin).len(), 1, "{name}: cooldown");
        // a message that matches nothing is not answered either
        intake::handle(
            &ctx,
            text_event("sns-5", "wamid.K3", CUSTOMER, t + 2, "hours please"),
        )
        .await
        .unwrap();
        assert_eq!(sends(&standin).len(), 1, "{name}: exact match only");
        // test_automation says the same, without sending
        let tested = action(
            &ctx,
            json!({"action": "test_automation", "text": "hours", "customerId": CUSTOMER}),
        )
        .await;
        assert_eq!(tested["data"]["fires"], true, "{tested}");
        assert_eq!(tested["data"]["wouldSend"], false, "{tested}");
        assert!(
            tested["data"]["notes"][0]
                .as_str()
                .unwrap()
                .contains("cooldown"),
            "{tested}"
        );
        assert_eq!(sends(&standin).len(), 1);
    }
}

#[tokio::test]
async fn stop_sets_the_opt_out_and_confirms_it_once() {
    for (name, store) in both().await {
        let (ctx, standin) = rig(store.clone()).await;
        create(
            &ctx,
            json!({"name": "stop", "kind": "optOut", "keywords": ["ARRET"], "reply": {"text": "You will not get offers any more."}}),
        )
        .await;
        create(
            &ctx,
            json!({"name": "any", "kind": "keyword", "matchMode": "regex", "pattern": "^s.o.$", "reply": {"text": "regex"}}),
        )
        .await;
        let t = now_secs();
        for sns in ["s1", "s2"] {
            intake::handle(&ctx, text_event(sns, "wamid.STOP1", CUSTOMER, t, "stop"))
                .await
                .unwrap();
        }
        let sent = sends(&standin);
        assert_eq!(sent.len(), 1, "{name}: {sent:?}");
        assert_eq!(sent[0]["text"]["body"], "You will not get offers any more.");
        let customer = action(&ctx, json!({"action": "get_customer", "to": CUSTOMER})).await;
        assert_eq!(
            customer["data"]["preferences"]["marketingOptOut"], true,
            "{name}: {customer}"
        );
        // a configured word works too, for another customer
        intake::handle(
            &ctx,
            text_event("s3", "wamid.STOP2", "16505550000", t, "arret"),
        )
        .await
        .unwrap();
        assert_eq!(sends(&standin).len(), 2, "{name}");
    }
}

#[tokio::test]
async fn welcome_on_the_first_message_and_on_request_welcome() {
    for (name, store) in both().await {
        let (ctx, standin) = rig(store.clone()).await;
        create(
            &ctx,
            json!({"name": "hi", "kind": "welcome", "reply": {"text": "Welcome!"}, "cooldownSeconds": 1}),
        )
        .await;
        let t = now_secs();
        intake::handle(&ctx, text_event("w1", "wamid.W1", CUSTOMER, t, "hello"))
            .await
            .unwrap();
        intake::handle(&ctx, text_event("w2", "wamid.W2", CUSTOMER, t + 5, "again"))
            .await
            .unwrap();
        assert_eq!(
            sends(&standin).len(),
            1,
            "{name}: the second message is not the first"
        );
        let open = sns_event(&[(
            "w3",
            envelope(messages_change(
                "16505550001",
                json!([{"from": "16505550001", "id": "wamid.RW1", "timestamp": t.to_string(), "type": "request_welcome"}]),
                json!([]),
            )),
        )]);
        intake::handle(&ctx, open.clone()).await.unwrap();
        intake::handle(&ctx, open).await.unwrap();
        let sent = sends(&standin);
        assert_eq!(sent.len(), 2, "{name}: {sent:?}");
        assert_eq!(sent[1]["to"], "16505550001");
    }
}

/// Fails every cooldown claim as if the store were throttling.
struct ThrottledLeases;

impl Hooks for ThrottledLeases {
    fn write(&self, method: &'static str, _: &[&str]) -> Result<(), StoreError> {
        if method == "claim_lease" {
            return Err(StoreError::Unavailable {
                operation: "PutItem(lease)",
                source: "throttled".into(),
            });
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_rule_never_fails_the_inbound_record() {
    for (name, inner) in both().await {
        // a template reply that cannot be sent (no such template, no WABA to fetch it from)
        let (ctx, standin) = rig(inner.clone()).await;
        create(
            &ctx,
            json!({"name": "t", "kind": "keyword", "matchMode": "contains", "keywords": ["price"],
                   "reply": {"template": {"name": "no_such_template"}}}),
        )
        .await;
        let answer = intake::handle(
            &ctx,
            text_event("f1", "wamid.F1", CUSTOMER, now_secs(), "price?"),
        )
        .await
        .unwrap();
        let report = &answer["data"]["reports"][0];
        assert_eq!(report["outcome"], "processed", "{name}: {answer}");
        assert_eq!(
            report["counts"]["automationFailures"], 1,
            "{name}: {answer}"
        );
        assert!(
            inner.get_message("wamid.F1").await.unwrap().is_some(),
            "{name}"
        );
        assert!(sends(&standin).is_empty(), "{name}");
        // a store that cannot claim the cooldown: the record is still processed, not retried
        let hooked: Arc<dyn Store> = Arc::new(HookedStore::new(inner.clone(), ThrottledLeases));
        let (ctx, standin) = rig(hooked).await;
        create(
            &ctx,
            json!({"name": "x", "kind": "keyword", "matchMode": "contains", "keywords": ["hello"], "reply": {"text": "hi"}}),
        )
        .await;
        let answer = intake::handle(
            &ctx,
            text_event("f2", "wamid.F2", CUSTOMER, now_secs(), "hello"),
        )
        .await
        .unwrap();
        let report = &answer["data"]["reports"][0];
        assert_eq!(report["outcome"], "processed", "{name}: {answer}");
        assert_eq!(
            report["counts"]["automationFailures"], 1,
            "{name}: {answer}"
        );
        assert!(
            inner.get_message("wamid.F2").await.unwrap().is_some(),
            "{name}"
        );
        assert!(sends(&standin).is_empty(), "{name}");
    }
}

#[tokio::test]
async fn rules_are_checked_and_managed() {
    let (ctx, _standin) = rig(embedded_store()).await;
    let bad = [
        (
            json!({"name": "r", "kind": "keyword", "matchMode": "regex", "pattern": "(a+)+{1000}", "reply": {"text": "x"}}),
            "pattern",
        ),
        (
            json!({"name": "r", "kind": "keyword", "matchMode": "regex", "pattern": "a".repeat(201), "reply": {"text": "x"}}),
            "pattern",
        ),
        (
            json!({"name": "r", "kind": "keyword", "matchMode": "exact", "reply": {"text": "x"}}),
            "keywords",
        ),
        (
            json!({"name": "r", "kind": "away", "timeZone": "Mars/Base", "hours": {}, "reply": {"text": "x"}}),
            "timeZone",
        ),
        (
            json!({"name": "r", "kind": "away", "timeZone": "Europe/Paris", "hours": {"mon": ["18:00-09:00"]}, "reply": {"text": "x"}}),
            "hours",
        ),
        (
            json!({"name": "r", "kind": "welcome", "reply": {}}),
            "reply",
        ),
        (
            json!({"name": "r", "kind": "welcome", "reply": {"text": "x"}, "cooldownSeconds": 0}),
            "cooldownSeconds",
        ),
    ];
    for (mut rule, field) in bad {
        rule["action"] = json!("create_automation");
        let answer = action(&ctx, rule).await;
        assert_eq!(answer["statusCode"], 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(field),
            "{field}: {answer}"
        );
    }
    let id = create(
        &ctx,
        json!({"name": "away", "kind": "away", "timeZone": "Europe/Paris",
               "hours": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]},
               "reply": {"template": {"name": "closed_now", "language": "fr"}}}),
    )
    .await;
    // Monday 2026-11-23 08:30 UTC is 09:30 in Paris: open; 17:00 UTC is 18:00: closed
    let at = |t: &str| json!({"action": "test_automation", "text": "hi", "receivedAt": t});
    let open = action(&ctx, at("2026-11-23T08:30:00Z")).await;
    assert_eq!(open["data"]["fires"], false, "{open}");
    let closed = action(&ctx, at("2026-11-23T17:00:00Z")).await;
    assert_eq!(closed["data"]["fires"], true, "{closed}");
    assert_eq!(closed["data"]["reply"]["template"]["name"], "closed_now");
    // a text reply to a message older than 24 hours: only templates can be sent
    let updated = action(
        &ctx,
        json!({"action": "update_automation", "id": id, "reply": {"text": "closed"}}),
    )
    .await;
    assert_eq!(updated["statusCode"], 200, "{updated}");
    assert_eq!(updated["data"]["kind"], "away");
    let late = action(&ctx, at("2020-01-04T23:00:00Z")).await;
    assert_eq!(late["data"]["fires"], true, "{late}");
    assert_eq!(late["data"]["windowOpen"], false);
    assert_eq!(late["data"]["wouldSend"], false);
    assert!(
        late["data"]["notes"][0]
            .as_str()
            .unwrap()
            .contains("only templates"),
        "{late}"
    );
    // listed, disabled, deleted
    let list = action(&ctx, json!({"action": "list_automations"})).await;
    assert_eq!(list["data"]["count"], 1);
    let off = action(
        &ctx,
        json!({"action": "update_automation", "id": id, "enabled": false}),
    )
    .await;
    assert_eq!(off["data"]["enabled"], false);
    assert_eq!(
        action(&ctx, at("2026-11-23T17:00:00Z")).await["data"]["fires"],
        false
    );
    let gone = action(&ctx, json!({"action": "delete_automation", "id": id})).await;
    assert_eq!(gone["statusCode"], 200, "{gone}");
    let again = action(&ctx, json!({"action": "delete_automation", "id": id})).await;
    assert_eq!(again["statusCode"], 404);
    let missing = action(
        &ctx,
        json!({"action": "update_automation", "id": id, "enabled": true}),
    )
    .await;
    assert_eq!(missing["statusCode"], 404);
}
