//! Authentication templates sent with their one-time code (Meta's body and OTP button, the
//! code twice), and `sync_templates` bringing a template's changed components into the cache:
//! the real SDK against the EUM stand-in, the exact requests asserted.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::templates::{EUM_WABA, requests, rig};

const CODE: &str = "482913";

/// What Meta's "Sending authentication templates" asks for: the code twice.
fn with_code(code: &str) -> Value {
    json!([{"type": "body", "parameters": [{"type": "text", "text": code}]},
           {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": code}]}])
}

fn send(extra: Value) -> Value {
    let mut request = json!({"action": "send_template", "to": CUSTOMER, "name": "login_code", "language": "en_US"});
    for (k, v) in extra.as_object().unwrap() {
        request[k] = v.clone();
    }
    request
}

#[tokio::test]
async fn an_authentication_template_created_here_is_sent_with_its_code_twice() {
    let rig = rig(embedded_store()).await;
    // GIVEN an authentication template created through the action (Meta writes its body)
    let created = action(&rig.ctx, json!({"action": "create_template", "template": {
        "name": "login_code", "language": "en_US", "category": "AUTHENTICATION",
        "components": [{"type": "BODY", "add_security_recommendation": true},
                       {"type": "FOOTER", "code_expiration_minutes": 10},
                       {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}]}})).await;
    assert_eq!(created["statusCode"], 200, "{created}");
    // and approved by Meta's webhook (which carries no components)
    let now = handlers::time::now_iso();
    handlers::templates::webhook::apply(
        rig.ctx.store(),
        "message_template_status_update",
        &json!({"event": "APPROVED", "message_template_id": created["data"]["metaTemplateId"],
                "message_template_name": "login_code", "message_template_language": "en_US", "reason": "NONE"}),
        WABA,
        &now,
        &now,
    )
    .await
    .unwrap()
    .unwrap();
    rig.standin.clear();

    // WHEN it is sent with the code as the body parameter and the button's parameter
    let sent = action(
        &rig.ctx,
        send(json!({"body": [CODE], "buttons": [{"index": 0, "subType": "url", "parameters": [CODE]}]})),
    )
    .await;

    // THEN it is accepted, and EUM Social is sent exactly Meta's payload: the code twice
    assert_eq!(sent["statusCode"], 200, "{sent}");
    assert_eq!(requests(&rig.standin), ["POST /v1/whatsapp/send"]);
    assert_eq!(
        rig.standin.last().message()["template"],
        json!({"name": "login_code", "language": {"code": "en_US"}, "components": with_code(CODE)})
    );
    // Meta's components as they are pass too
    let raw = action(&rig.ctx, send(json!({"components": with_code("J$FpnYnP")}))).await;
    assert_eq!(raw["statusCode"], 200, "{raw}");

    // without the code, or with it once, or two different codes: refused, nothing sent
    rig.standin.clear();
    for (extra, field) in [
        (json!({}), "body"),
        (json!({"body": [CODE]}), "buttons"),
        (
            json!({"buttons": [{"index": 0, "subType": "url", "parameters": [CODE]}]}),
            "body",
        ),
        (
            json!({"body": [CODE], "buttons": [{"index": 0, "subType": "url", "parameters": ["000000"]}]}),
            "buttons",
        ),
        (
            json!({"body": ["1234567890123456"], "buttons": [{"index": 0, "subType": "url", "parameters": ["1234567890123456"]}]}),
            "body",
        ),
    ] {
        let refused = action(&rig.ctx, send(extra.clone())).await;
        assert_eq!(refused["statusCode"], 400, "{extra}: {refused}");
        let error = refused["error"].as_str().unwrap();
        assert!(
            error.starts_with(&format!("invalid parameter `{field}`")),
            "{extra}: {error}"
        );
        assert!(error.contains("code"), "{extra}: {error}");
    }
    let none = action(&rig.ctx, send(json!({}))).await;
    assert!(
        none["error"]
            .as_str()
            .unwrap()
            .contains("the one-time code is needed"),
        "{none}"
    );
    assert!(rig.standin.seen().is_empty(), "nothing reached EUM Social");
}

#[tokio::test]
async fn an_authentication_template_as_meta_returns_it_is_checked_the_same_way() {
    let rig = rig(embedded_store()).await;
    // GIVEN the template only at Meta: GetWhatsAppMessageTemplate returns Meta's body and the
    // OTP button turned into a URL button
    let meta = json!({"id": "1689556908129877", "name": "login_code", "language": "en_US",
        "status": "APPROVED", "category": "AUTHENTICATION", "components": [
            {"type": "BODY", "text": "*{{1}}* is your verification code. For your security, do not share this code.",
             "add_security_recommendation": true},
            {"type": "FOOTER", "text": "This code expires in 10 minutes.", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Copy code",
             "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}"}]}]});
    let answer = json!({"template": meta.to_string()});
    rig.standin
        .answer_next("GET", "/v1/whatsapp/template", answer.clone());
    // WHEN it is sent with the body parameter only: refused, the button's code is needed
    let once = action(&rig.ctx, send(json!({"body": [CODE]}))).await;
    assert_eq!(once["statusCode"], 400, "{once}");
    assert!(
        once["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid parameter `buttons`"),
        "{once}"
    );
    // THEN with the code twice it is sent (from the cache it was read into)
    rig.standin.clear();
    let sent = action(&rig.ctx, send(json!({"components": with_code(CODE)}))).await;
    assert_eq!(sent["statusCode"], 200, "{sent}");
    assert_eq!(requests(&rig.standin), ["POST /v1/whatsapp/send"]);
    assert_eq!(
        rig.standin.last().message()["template"]["components"],
        with_code(CODE)
    );
}

#[tokio::test]
async fn sync_templates_brings_changed_components_into_the_cache() {
    let rig = rig(embedded_store()).await;
    // GIVEN a cached template whose body takes two parameters
    seed_template(rig.ctx.store(), "order_update", "en_US", 2).await;
    // and at Meta it now has a text header with a parameter, and another body
    let components = json!([
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1234"]}},
        {"type": "BODY", "text": "Hi {{1}}, your order is on its way.", "example": {"body_text": [["Kerry"]]}}]);
    rig.standin.answer_next("GET", "/v1/whatsapp/template/list", json!({"templates": [
        {"templateName": "order_update", "metaTemplateId": "1689556908129832", "templateStatus": "APPROVED",
         "templateQualityScore": "GREEN", "templateLanguage": "en_US", "templateCategory": "UTILITY"}]}));
    rig.standin.answer_next(
        "GET",
        "/v1/whatsapp/template",
        json!({"template": json!({
        "id": "1689556908129832", "name": "order_update", "language": "en_US", "status": "APPROVED",
        "category": "UTILITY", "components": components}).to_string()}),
    );
    rig.standin.clear();

    // WHEN the cache is synced
    let synced = action(&rig.ctx, json!({"action": "sync_templates"})).await;

    // THEN the definition was read by Meta's id and the cached components are Meta's
    assert_eq!(synced["statusCode"], 200, "{synced}");
    assert_eq!(
        synced["data"]["componentsChanged"],
        json!(["order_update (en_US)"]),
        "{synced}"
    );
    let templates: Vec<String> = requests(&rig.standin)
        .into_iter()
        .filter(|r| r.starts_with("GET /v1/whatsapp/template"))
        .collect();
    assert_eq!(
        templates,
        [
            format!("GET /v1/whatsapp/template/list?id={EUM_WABA}"),
            format!("GET /v1/whatsapp/template?metaTemplateId=1689556908129832&id={EUM_WABA}")
        ]
    );
    let item = rig
        .ctx
        .store()
        .get_item(&format!("TEMPLATE#{WABA}#order_update#en_US"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item["components"], components);
    assert_eq!(item["templateId"], "1689556908129832");
    // and a send is checked against them: the old two body parameters are refused
    let old = action(
        &rig.ctx,
        json!({"action": "send_template", "to": CUSTOMER,
        "name": "order_update", "body": ["Kerry", "#1234"]}),
    )
    .await;
    assert_eq!(old["statusCode"], 400, "{old}");
    assert!(
        old["error"]
            .as_str()
            .unwrap()
            .contains("expects 1 header parameter"),
        "{old}"
    );
}
