//! Template actions against the EUM stand-in (the real SDK, the exact requests asserted), the
//! template cache on both stores, and EUM's errors.

use std::sync::Arc;

use base64::Engine;
use handlers::Ctx;
use handlers::store::Store;
use serde_json::{Value, json};
use whatsapp_lambda::eum::{EumSender, EumTemplates};

use crate::helpers::*;
use crate::standin::{self, Failure, StandIn};

/// EUM's id of the [`WABA`] the stand-in links.
pub const EUM_WABA: &str = "waba-fb2594b8a7974770b128a409e2a1c0d3";
pub const BUCKET: &str = "media-bucket";

pub struct Rig {
    pub standin: StandIn,
    pub ctx: Ctx,
}

/// A context whose sender and templates port are EUM Social through the stand-in, with
/// `DEFAULT_WABA_ID` set to EUM's id of the WABA.
pub async fn rig(store: Arc<dyn Store>) -> Rig {
    let standin = StandIn::start(None).await;
    let client = standin.client(1).await;
    let sender = Arc::new(EumSender::new(client.clone(), "v24.0", Some(BUCKET.into())));
    let media = Arc::new(handlers::sandbox::MemoryMedia::default());
    let mut settings = settings();
    settings.default_waba_id = Some(EUM_WABA.into());
    let ctx = Ctx::with(store, sender, media, settings)
        .with_templates(Arc::new(EumTemplates::new(client, Some(BUCKET.into()))));
    Rig { standin, ctx }
}

/// `METHOD /path?query` of every request the stand-in saw.
pub fn requests(standin: &StandIn) -> Vec<String> {
    standin
        .seen()
        .iter()
        .map(|s| match s.query.as_str() {
            "" => format!("{} {}", s.method, s.path),
            q => format!("{} {}?{q}", s.method, s.path),
        })
        .collect()
}

/// A JSON blob of a request body (EUM's `Blob` fields are base64).
pub fn blob(body: &Value, key: &str) -> Value {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body[key].as_str().expect("a blob"))
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn summary(name: &str, id: &str, status: &str, language: &str, category: &str) -> Value {
    json!({"templateName": name, "metaTemplateId": id, "templateStatus": status,
           "templateQualityScore": "GREEN", "templateLanguage": language, "templateCategory": category})
}

const LIST: &str = "/v1/whatsapp/template/list";

#[tokio::test]
async fn get_templates_reads_every_page_caches_each_and_filters() {
    for store in [embedded_store() as Arc<dyn Store>, dynamo_store().await] {
        let rig = rig(store.clone()).await;
        rig.standin.answer_next(
            "GET",
            LIST,
            json!({"templates": [
            summary("order_update", "1689556908129832", "APPROVED", "en_US", "UTILITY"),
            summary("spring_sale", "1689556908129833", "PENDING", "en_US", "MARKETING")],
            "nextToken": "page-2"}),
        );
        rig.standin.answer_next(
            "GET",
            LIST,
            json!({"templates": [
            summary("order_update", "1689556908129834", "REJECTED", "de", "UTILITY")]}),
        );

        let out = action(
            &rig.ctx,
            json!({"action": "get_templates", "status": "APPROVED"}),
        )
        .await;
        assert_eq!(out["statusCode"], 200, "{out}");
        assert_eq!(out["data"]["wabaId"], WABA);
        assert_eq!(out["data"]["count"], 1);
        let t = &out["data"]["templates"][0];
        assert_eq!(
            (&t["pk"], &t["templateId"], &t["qualityScore"]),
            (
                &json!("TEMPLATE#102290129340398#order_update#en_US"),
                &json!("1689556908129832"),
                &json!("GREEN")
            )
        );
        assert_eq!(
            requests(&rig.standin),
            [
                format!("GET /v1/whatsapp/waba/details?id={EUM_WABA}"),
                format!("GET {LIST}?id={EUM_WABA}"),
                format!("GET {LIST}?id={EUM_WABA}&nextToken=page-2"),
            ]
        );
        // every listed template is cached, whatever the filter
        let cached = action(
            &rig.ctx,
            json!({"action": "get_templates", "fromCache": true, "language": "de"}),
        )
        .await;
        assert_eq!(cached["data"]["source"], "cache");
        assert_eq!(
            cached["data"]["templates"][0]["status"], "REJECTED",
            "{cached}"
        );
        let all = action(
            &rig.ctx,
            json!({"action": "get_templates", "fromCache": true}),
        )
        .await;
        assert_eq!(all["data"]["count"], 3, "{}", store.describe());
        assert_eq!(
            rig.standin.seen().len(),
            3,
            "the cache is read without EUM Social"
        );
    }
}

#[tokio::test]
async fn create_template_checks_meta_rules_uploads_header_media_then_creates() {
    let rig = rig(embedded_store()).await;
    // a rule broken: nothing reaches EUM Social
    let bad = action(&rig.ctx, json!({"action": "create_template", "template": {
        "name": "spring_sale", "language": "en_US", "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Hi {{1}}, {{3}}", "example": {"body_text": [["a", "b"]]}}]}})).await;
    assert_eq!(bad["statusCode"], 400);
    assert_eq!(
        bad["error"],
        "invalid parameter `template.body.text`: parameters must be numbered {{1}} to {{2}} with none missing; {{2}} is missing"
    );
    assert!(rig.standin.seen().is_empty());

    let definition = json!({"name": "spring_sale", "language": "en_US", "category": "MARKETING",
        "components": [{"type": "HEADER", "format": "IMAGE"},
                       {"type": "BODY", "text": "Hi {{1}}, 20% off this week.", "example": {"body_text": [["Kerry"]]}}]});
    let out = action(
        &rig.ctx,
        json!({"action": "create_template", "template": definition,
        "headerS3Key": "uploads/2026-11-23/sale.jpg"}),
    )
    .await;
    assert_eq!(out["statusCode"], 200, "{out}");
    let seen = rig.standin.seen();
    assert_eq!(
        requests(&rig.standin)[1..],
        [
            "POST /v1/whatsapp/template/media",
            "POST /v1/whatsapp/template/put"
        ]
    );
    assert_eq!(
        seen[1].body,
        json!({"id": EUM_WABA, "sourceS3File": {"bucketName": BUCKET, "key": "uploads/2026-11-23/sale.jpg"}})
    );
    let handle = out["data"]["headerHandle"].as_str().unwrap();
    assert!(handle.starts_with("4::"), "{out}");
    let mut sent = definition.clone();
    sent["components"][0]["example"] = json!({"header_handle": [handle]});
    assert_eq!(seen[2].body["id"], EUM_WABA);
    assert_eq!(blob(&seen[2].body, "templateDefinition"), sent);
    // cached as EUM answered: PENDING (Meta reviews it), with the components sent
    let item = rig
        .ctx
        .store()
        .get_item("TEMPLATE#102290129340398#spring_sale#en_US")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&item["status"], &item["templateId"]),
        (&json!("PENDING"), &out["data"]["metaTemplateId"])
    );
    assert_eq!(item["components"], sent["components"]);
}

#[tokio::test]
async fn library_update_and_delete_send_exactly_what_eum_takes() {
    let rig = rig(embedded_store()).await;
    rig.standin.answer_next("POST", "/v1/whatsapp/template/library", json!({"metaLibraryTemplates": [
        {"templateName": "delivery_update_1", "templateLanguage": "en_US", "templateCategory": "UTILITY",
         "templateBody": "Good news {{1}}! Your order {{2}} was delivered.", "templateBodyExampleParams": ["Kerry", "#1234"]}],
        "nextToken": "more"}));
    let library = action(
        &rig.ctx,
        json!({"action": "list_template_library", "filters": {"searchKey": "delivery"}}),
    )
    .await;
    assert_eq!(
        library["data"]["templates"][0]["templateBodyExampleParams"],
        json!(["Kerry", "#1234"]),
        "{library}"
    );
    assert_eq!(library["data"]["nextToken"], "more");
    let seen = rig.standin.last();
    assert_eq!(
        (seen.query.as_str(), &seen.body),
        (
            format!("id={EUM_WABA}").as_str(),
            &json!({"filters": {"searchKey": "delivery"}})
        )
    );

    let from_library = action(
        &rig.ctx,
        json!({"action": "create_template_from_library",
        "templateName": "delivery_update", "libraryTemplateName": "delivery_update_1",
        "templateCategory": "UTILITY", "templateLanguage": "en_US",
        "libraryTemplateBodyInputs": {"addContactNumber": true}}),
    )
    .await;
    assert_eq!(from_library["statusCode"], 200, "{from_library}");
    assert_eq!(
        rig.standin.last().body,
        json!({"id": EUM_WABA, "metaLibraryTemplate": {
        "templateName": "delivery_update", "libraryTemplateName": "delivery_update_1",
        "templateCategory": "UTILITY", "templateLanguage": "en_US",
        "libraryTemplateBodyInputs": {"addContactNumber": true}}})
    );

    // an update is read back, so the cache holds what Meta now has
    let components = json!([{"type": "BODY", "text": "Delivered, {{1}}!", "example": {"body_text": [["Kerry"]]}}]);
    rig.standin.answer_next("GET", "/v1/whatsapp/template", json!({"template": json!({
        "id": "1689556908129840", "name": "delivery_update", "language": "en_US", "status": "PENDING",
        "category": "UTILITY", "components": components}).to_string()}));
    rig.standin.clear();
    let updated = action(
        &rig.ctx,
        json!({"action": "update_template", "name": "delivery_update",
        "language": "en_US", "components": components}),
    )
    .await;
    assert_eq!(updated["data"]["components"], components, "{updated}");
    assert_eq!(
        requests(&rig.standin),
        [
            "POST /v1/whatsapp/template".to_string(),
            format!(
                "GET /v1/whatsapp/template?id={EUM_WABA}&templateName=delivery_update&templateLanguageCode=en_US"
            )
        ]
    );
    let update = &rig.standin.seen()[0].body;
    assert_eq!(blob(update, "templateComponents"), components);
    assert_eq!(
        (&update["templateName"], &update["templateLanguageCode"]),
        (&json!("delivery_update"), &json!("en_US"))
    );

    // one language by its cached Meta id; then every language by name
    rig.standin.clear();
    let one = action(
        &rig.ctx,
        json!({"action": "delete_template", "name": "delivery_update", "language": "en_US"}),
    )
    .await;
    assert_eq!(
        (&one["data"]["scope"], &one["data"]["markedDeleted"]),
        (&json!("one"), &json!(["en_US"])),
        "{one}"
    );
    let all = action(
        &rig.ctx,
        json!({"action": "delete_template", "name": "delivery_update"}),
    )
    .await;
    assert_eq!(all["data"]["scope"], "all");
    assert_eq!(
        requests(&rig.standin),
        [
            format!(
                "DELETE /v1/whatsapp/template?metaTemplateId=1689556908129840&id={EUM_WABA}&templateName=delivery_update"
            ),
            format!(
                "DELETE /v1/whatsapp/template?deleteAllTemplates=true&id={EUM_WABA}&templateName=delivery_update"
            )
        ]
    );
    let item = rig
        .ctx
        .store()
        .get_item("TEMPLATE#102290129340398#delivery_update#en_US")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item["status"], "DELETED");
}

#[tokio::test]
async fn eum_errors_answer_the_same_statuses_as_sends() {
    let rig = rig(embedded_store()).await;
    let dependency = Failure {
        status: 502,
        kind: "DependencyException",
        message: "Meta is unavailable",
    };
    let by_meta = Failure {
        status: 403,
        kind: "AccessDeniedByMetaException",
        message: "Meta refused",
    };
    // the default WABA is resolved first, so each failure is the template operation's
    assert_eq!(
        action(&rig.ctx, json!({"action": "get_templates"})).await["statusCode"],
        200
    );
    for (failure, status) in [
        (standin::THROTTLED, 429),
        (standin::INVALID, 400),
        (standin::NOT_FOUND, 404),
        (standin::DENIED, 403),
        (by_meta, 403),
        (dependency, 502),
    ] {
        rig.standin.fail_next(std::slice::from_ref(&failure));
        let out = action(
            &rig.ctx,
            json!({"action": "get_template", "metaTemplateId": "1689556908129832"}),
        )
        .await;
        assert_eq!(out["statusCode"], status, "{failure:?}: {out}");
        assert_eq!(rig.standin.last().path, "/v1/whatsapp/template");
    }
    // a WABA named by Meta's id is found among the linked accounts
    let by_meta_id = action(
        &rig.ctx,
        json!({"action": "sync_templates", "wabaId": WABA}),
    )
    .await;
    assert_eq!(by_meta_id["statusCode"], 200, "{by_meta_id}");
    assert!(requests(&rig.standin).contains(&"GET /v1/whatsapp/waba/list".to_string()));
    let unknown = action(
        &rig.ctx,
        json!({"action": "get_templates", "wabaId": "999"}),
    )
    .await;
    assert_eq!(unknown["statusCode"], 404, "{unknown}");
}
