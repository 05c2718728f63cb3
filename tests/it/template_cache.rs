//! The template cache on both stores: the template webhooks (status with a numeric id,
//! quality, category impending and completed), `sync_templates` and the check `send_template`
//! makes before sending.

use std::sync::Arc;

use handlers::store::Store;
use serde_json::{Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;
use crate::templates::{EUM_WABA, requests, rig};

/// An SNS event with one template webhook change at Meta's `time`.
fn template_event(sns_id: &str, time: i64, field: &str, value: Value) -> Value {
    let entry = json!({"id": WABA, "time": time, "changes": [{"field": field, "value": value}]});
    let body = json!({
        "context": {"MetaWabaIds": [{"wabaId": WABA, "arn": "arn:aws:social-messaging:us-east-1:123456789012:waba/abc"}]},
        "whatsAppWebhookEntry": entry.to_string(),
        "messageId": sns_id
    });
    sns_event(&[(sns_id, body.to_string())])
}

const PK: &str = "TEMPLATE#102290129340398#order_confirmation#en_US";

fn status(event: &str) -> Value {
    json!({"event": event, "message_template_id": 1689556908129832_i64, "message_template_name": "order_confirmation",
           "message_template_language": "en_US", "reason": if event == "REJECTED" { "INVALID_FORMAT" } else { "NONE" },
           "message_template_category": "UTILITY"})
}

#[tokio::test]
async fn template_webhooks_update_the_cached_item_on_both_stores() {
    for store in [embedded_store() as Arc<dyn Store>, dynamo_store().await] {
        let ctx = ctx(store.clone());
        let run = |event| {
            let ctx = ctx.clone();
            async move { intake::handle(&ctx, event).await.unwrap() }
        };
        let name = store.describe();
        run(template_event(
            "s1",
            1_763_633_000,
            "message_template_status_update",
            status("PENDING"),
        ))
        .await;
        run(template_event(
            "s2",
            1_763_633_200,
            "message_template_status_update",
            status("APPROVED"),
        ))
        .await;
        // an older status arriving late changes nothing
        let late = run(template_event(
            "s3",
            1_763_633_100,
            "message_template_status_update",
            status("REJECTED"),
        ))
        .await;
        assert_eq!(late["data"]["poison"], 0, "{late}");
        run(template_event("s4", 1_763_633_300, "message_template_quality_update", json!({
            "previous_quality_score": "GREEN", "new_quality_score": "YELLOW", "message_template_id": 1689556908129832_i64,
            "message_template_name": "order_confirmation", "message_template_language": "en_US"}))).await;
        run(template_event("s5", 1_763_633_400, "template_category_update", json!({
            "message_template_id": 1689556908129832_i64, "message_template_name": "order_confirmation",
            "message_template_language": "en_US", "correct_category": "MARKETING", "new_category": "UTILITY",
            "category_update_timestamp": 1_764_238_000}))).await;
        let item = store.get_item(PK).await.unwrap().unwrap();
        assert_eq!(
            item["templateId"], "1689556908129832",
            "{name}: the numeric id is kept as text"
        );
        assert_eq!(item["status"], "APPROVED", "{name}: {item}");
        assert!(item.get("reason").is_none(), "{name}: {item}");
        assert_eq!(
            (&item["qualityScore"], &item["previousQualityScore"]),
            (&json!("YELLOW"), &json!("GREEN"))
        );
        assert_eq!(
            (&item["correctCategory"], &item["categoryUpdateAt"]),
            (&json!("MARKETING"), &json!("2025-11-27T10:06:40Z")),
            "{name}: {item}"
        );
        run(template_event("s6", 1_764_238_100, "template_category_update", json!({
            "message_template_id": 1689556908129832_i64, "message_template_name": "order_confirmation",
            "message_template_language": "en_US", "previous_category": "UTILITY", "new_category": "MARKETING"}))).await;
        let item = store.get_item(PK).await.unwrap().unwrap();
        assert_eq!(
            (&item["category"], &item["previousCategory"]),
            (&json!("MARKETING"), &json!("UTILITY")),
            "{name}"
        );
        assert!(
            item.get("correctCategory").is_none() && item.get("categoryUpdateAt").is_none(),
            "{name}: {item}"
        );
        assert_eq!(
            item["qualityScore"], "YELLOW",
            "{name}: kept across other updates"
        );
        // a change without a name is poison, named
        let poison = run(template_event(
            "s7",
            1_764_238_200,
            "message_template_quality_update",
            json!({"new_quality_score": "RED"}),
        ))
        .await;
        assert_eq!(poison["data"]["poison"], 1, "{name}: {poison}");
    }
}

#[tokio::test]
async fn sync_refreshes_every_template_and_marks_the_deleted_on_both_stores() {
    for store in [embedded_store() as Arc<dyn Store>, dynamo_store().await] {
        let name = store.describe();
        let rig = rig(store.clone()).await;
        // a missed approval webhook left order_confirmation PENDING; old_promo was deleted at Meta
        intake::handle(
            &rig.ctx,
            template_event(
                "p",
                1_763_633_000,
                "message_template_status_update",
                status("PENDING"),
            ),
        )
        .await
        .unwrap();
        seed_template(store.as_ref(), "old_promo", "en_US", 0).await;
        rig.standin.answer_next("GET", "/v1/whatsapp/template/list", json!({"templates": [
            {"templateName": "order_confirmation", "metaTemplateId": "1689556908129832", "templateStatus": "APPROVED",
             "templateLanguage": "en_US", "templateCategory": "UTILITY"},
            {"templateName": "new_one", "metaTemplateId": "1689556908129899", "templateStatus": "PENDING",
             "templateLanguage": "en_US", "templateCategory": "MARKETING"}]}));
        let out = action(&rig.ctx, json!({"action": "sync_templates"})).await;
        assert_eq!(out["statusCode"], 200, "{name}: {out}");
        assert_eq!(
            out["data"],
            json!({"wabaId": WABA, "templates": 2, "added": ["new_one (en_US)"],
                   "changed": ["order_confirmation (en_US): PENDING → APPROVED"],
                   "markedDeleted": ["old_promo (en_US)"], "pending": ["new_one (en_US)"],
                   "componentsChanged": []}),
            "{name}"
        );
        let old = store
            .get_item("TEMPLATE#102290129340398#old_promo#en_US")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(old["status"], "DELETED", "{name}");
        assert!(old["deletedAt"].is_string(), "{name}: {old}");
        let fresh = store.get_item(PK).await.unwrap().unwrap();
        assert_eq!(fresh["status"], "APPROVED", "{name}");
    }
}

#[tokio::test]
async fn send_template_checks_the_cached_template_and_fetches_it_once() {
    let rig = rig(embedded_store()).await;
    intake::handle(
        &rig.ctx,
        text_event("open", "wamid.OPEN", CUSTOMER, now_secs(), "hi"),
    )
    .await
    .unwrap();
    let meta = json!({"id": "1689556908129832", "name": "order_confirmation", "language": "en_US",
        "status": "APPROVED", "category": "UTILITY", "parameter_format": "POSITIONAL",
        "components": [{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1"]}},
                       {"type": "BODY", "text": "Hi {{1}}, it ships {{2}}.", "example": {"body_text": [["Kerry", "today"]]}}]});
    rig.standin.answer_next(
        "GET",
        "/v1/whatsapp/template",
        json!({"template": meta.to_string()}),
    );
    let send = |extra: Value| {
        let mut request =
            json!({"action": "send_template", "to": CUSTOMER, "name": "order_confirmation"});
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        request
    };
    // not cached: fetched once, cached, then checked
    let short = action(
        &rig.ctx,
        send(json!({"header": ["#1234"], "body": ["Kerry"]})),
    )
    .await;
    assert_eq!(short["statusCode"], 400);
    assert_eq!(
        short["error"],
        "invalid parameter `body`: template `order_confirmation` (en_US) expects 2 body parameters; 1 given"
    );
    assert_eq!(
        requests(&rig.standin),
        [
            format!("GET /v1/whatsapp/waba/details?id={EUM_WABA}"),
            format!(
                "GET /v1/whatsapp/template?id={EUM_WABA}&templateName=order_confirmation&templateLanguageCode=en_US"
            )
        ]
    );
    let ok = action(
        &rig.ctx,
        send(json!({"header": ["#1234"], "body": ["Kerry", "today"]})),
    )
    .await;
    assert_eq!(ok["statusCode"], 200, "{ok}");
    assert_eq!(
        rig.standin.seen().len(),
        3,
        "the cached copy is used: one fetch only"
    );
    let no_header = action(&rig.ctx, send(json!({"body": ["Kerry", "today"]}))).await;
    assert!(
        no_header["error"]
            .as_str()
            .unwrap()
            .contains("expects 1 header parameter; 0 given"),
        "{no_header}"
    );

    // a template paused by Meta is refused with its reason; skipTemplateCheck sends anyway
    intake::handle(&rig.ctx, template_event("pause", now_secs(), "message_template_status_update", json!({
        "event": "PAUSED", "message_template_id": 1689556908129832_i64, "message_template_name": "order_confirmation",
        "message_template_language": "en_US", "reason": "LOW_QUALITY"}))).await.unwrap();
    let paused = action(
        &rig.ctx,
        send(json!({"header": ["#1234"], "body": ["Kerry", "today"]})),
    )
    .await;
    assert_eq!(
        paused["error"],
        "invalid parameter `name`: template `order_confirmation` (en_US) is PAUSED (LOW_QUALITY): only APPROVED templates can be sent"
    );
    let skipped = action(
        &rig.ctx,
        send(json!({"body": ["x"], "skipTemplateCheck": true})),
    )
    .await;
    assert_eq!(skipped["statusCode"], 200, "{skipped}");

    // a template Meta does not have is a clear 400
    rig.standin.fail_next(&[crate::standin::NOT_FOUND]);
    let missing = action(
        &rig.ctx,
        json!({"action": "send_template", "to": CUSTOMER, "name": "nope"}),
    )
    .await;
    assert_eq!(missing["statusCode"], 400);
    assert_eq!(
        missing["error"],
        "invalid parameter `name`: template `nope` (en_US) does not exist in WABA 102290129340398"
    );
}
