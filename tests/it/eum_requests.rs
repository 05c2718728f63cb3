//! Every EUM Social request the product builds, checked against the service model: each action
//! that calls EUM runs against the stand-in (which refuses, as the service does, what the model
//! refuses: `eum_model.rs`) with realistic parameters, and every operation the code calls must
//! have been exercised.

use std::collections::BTreeSet;
use std::sync::Arc;

use handlers::Ctx;
use handlers::ctx::Platform;
use serde_json::{Value, json};
use whatsapp_lambda::eum::{EumAccount, EumSender, EumTemplates};
use whatsapp_lambda::intake;
use whatsapp_lambda::media::S3Media;

use crate::helpers::*;
use crate::platform_standin::{EUM_WABA, PHONE2_EUM};
use crate::standin::StandIn;

/// A context whose sender, templates and account ports are the real SDK against one
/// stand-in, with media in a moto bucket.
async fn rig() -> (Ctx, StandIn) {
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique_table().to_lowercase();
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket in moto (source /work/env.sh or run tests/run.sh)");
    let standin = StandIn::start(Some((s3.clone(), bucket.clone()))).await;
    let client = standin.client(1).await;
    let store = embedded_store();
    seed_template(store.as_ref(), "order_update", "en_US", 2).await;
    let mut settings = settings();
    settings.default_waba_id = Some(EUM_WABA.into());
    let ctx = Ctx::with(
        store,
        Arc::new(EumSender::new(
            client.clone(),
            "v24.0",
            Some(bucket.clone()),
        )),
        Arc::new(S3Media::new(s3, bucket.clone())),
        settings,
    )
    .with_templates(Arc::new(EumTemplates::new(client.clone(), Some(bucket))))
    .with_platform(Platform {
        account: Arc::new(EumAccount::new(client)),
        default_waba_id: Some(EUM_WABA.into()),
        ..Default::default()
    });
    (ctx, standin)
}

/// The model's operations that `src/` calls (`.send_whats_app_message()`, ...).
fn operations_called() -> BTreeSet<String> {
    let mut source = String::new();
    let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                source.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    crate::eum_model::model()
        .operations
        .iter()
        .map(|op| op.name.clone())
        .filter(|name| {
            let mut snake = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            source.contains(&format!(".{snake}()"))
        })
        .collect()
}

/// An answer queued on the stand-in before a step: method, path, body.
type Answer = (&'static str, &'static str, Value);

const FLOW: &str = "1234567890123456";

fn flow(status: &str) -> Value {
    json!({"flowId": FLOW, "flowName": "Appointment booking", "flowStatus": status,
           "categories": ["APPOINTMENT_BOOKING"], "validationErrors": [], "jsonVersion": "7.2"})
}

#[tokio::test]
async fn every_request_to_eum_satisfies_the_service_model() {
    let (ctx, standin) = rig().await;
    // The customer wrote (their video is copied through GetWhatsAppMessageMedia): the 24-hour
    // window is open.
    intake::handle(
        &ctx,
        text_event("open", "wamid.OPEN", CUSTOMER, now_secs(), "hi"),
    )
    .await
    .unwrap();
    let video = intake::handle(&ctx, load("events/inbound/video.json"))
        .await
        .unwrap();
    let video_id = video["data"]["reports"][0]["messageIds"][0].clone();
    let referral = load("events/inbound/referral.json");
    intake::handle(&ctx, referral).await.unwrap();
    let flow_json = json!({"version": "7.2", "screens": [{"id": "WELCOME", "terminal": true,
        "layout": {"type": "SingleColumnLayout", "children": []}}]});
    let components = json!([{"type": "BODY", "text": "Delivered, {{1}}!", "example": {"body_text": [["Kerry"]]}}]);
    let template = json!({"template": json!({"id": "1689556908129840", "name": "delivery_update",
        "language": "en_US", "status": "APPROVED", "category": "UTILITY", "components": components}).to_string()});
    let steps: Vec<(Value, Vec<Answer>)> = vec![
        // messages
        (
            json!({"action": "send_text", "to": CUSTOMER, "body": "Your order #1234 has shipped."}),
            vec![],
        ),
        (
            json!({"action": "send_image", "to": CUSTOMER, "link": "https://example.com/images/order-1234.jpg", "caption": "Packed"}),
            vec![],
        ),
        (
            json!({"action": "send_template", "to": CUSTOMER, "name": "order_update", "body": ["Kerry", "#1234"]}),
            vec![],
        ),
        (
            json!({"action": "send_reaction", "to": CUSTOMER, "messageId": "wamid.OPEN", "emoji": "👍"}),
            vec![],
        ),
        (
            json!({"action": "mark_read", "messageId": "wamid.OPEN", "typingIndicator": true}),
            vec![],
        ),
        // media
        (
            json!({"action": "upload_media", "data": "aGVsbG8=", "filename": "hi.txt", "mimeType": "text/plain"}),
            vec![],
        ),
        (
            json!({"action": "download_media", "waMessageId": video_id}),
            vec![],
        ),
        // templates
        (json!({"action": "get_templates"}), vec![]),
        (json!({"action": "sync_templates"}), vec![]),
        (
            json!({"action": "get_template", "metaTemplateId": "1689556908129840"}),
            vec![("GET", "/v1/whatsapp/template", template.clone())],
        ),
        (
            json!({"action": "create_template", "template": {"name": "spring_sale", "language": "en_US", "category": "MARKETING",
            "components": [{"type": "HEADER", "format": "IMAGE"},
                           {"type": "BODY", "text": "Hi {{1}}, 20% off this week.", "example": {"body_text": [["Kerry"]]}}]},
            "headerS3Key": "uploads/2026-11-23/sale.jpg"}),
            vec![],
        ),
        (
            json!({"action": "create_template", "template": {"name": "login_code", "language": "en_US", "category": "AUTHENTICATION",
            "components": [{"type": "BODY", "add_security_recommendation": true},
                           {"type": "FOOTER", "code_expiration_minutes": 10},
                           {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}]}}),
            vec![],
        ),
        (
            json!({"action": "list_template_library", "filters": {"searchKey": "delivery"}}),
            vec![],
        ),
        (
            json!({"action": "create_template_from_library", "templateName": "delivery_update", "libraryTemplateName": "delivery_update_1",
            "templateCategory": "UTILITY", "templateLanguage": "en_US", "libraryTemplateBodyInputs": {"addContactNumber": true}}),
            vec![],
        ),
        (
            json!({"action": "update_template", "name": "delivery_update", "language": "en_US", "components": components}),
            vec![("GET", "/v1/whatsapp/template", template.clone())],
        ),
        (
            json!({"action": "delete_template", "name": "delivery_update", "language": "en_US"}),
            vec![],
        ),
        // flows
        (
            json!({"action": "create_flow", "name": "Appointment booking", "categories": ["APPOINTMENT_BOOKING"],
            "flowJson": flow_json.to_string()}),
            vec![],
        ),
        (
            json!({"action": "update_flow", "flowId": FLOW, "name": "Appointments", "categories": ["APPOINTMENT_BOOKING", "OTHER"]}),
            vec![("GET", "/v1/whatsapp/flow", flow("DRAFT"))],
        ),
        (
            json!({"action": "update_flow_assets", "flowId": FLOW, "flowJson": flow_json}),
            vec![("GET", "/v1/whatsapp/flow", flow("DRAFT"))],
        ),
        (
            json!({"action": "get_flow", "flowId": FLOW}),
            vec![("GET", "/v1/whatsapp/flow", flow("DRAFT"))],
        ),
        (json!({"action": "list_flows"}), vec![]),
        (
            json!({"action": "list_flow_assets", "flowId": FLOW}),
            vec![],
        ),
        (
            json!({"action": "get_flow_preview", "flowId": FLOW, "invalidate": true}),
            vec![],
        ),
        (
            json!({"action": "publish_flow", "flowId": FLOW}),
            vec![("GET", "/v1/whatsapp/flow", flow("DRAFT"))],
        ),
        (
            json!({"action": "deprecate_flow", "flowId": FLOW}),
            vec![("GET", "/v1/whatsapp/flow", flow("PUBLISHED"))],
        ),
        (
            json!({"action": "delete_flow", "flowId": "1234567890123457"}),
            vec![("GET", "/v1/whatsapp/flow", flow("DRAFT"))],
        ),
        // the account, calls and conversions
        (json!({"action": "get_config"}), vec![]),
        (
            json!({"action": "get_phone_number", "phoneNumberId": PHONE2_EUM}),
            vec![],
        ),
        (
            json!({"action": "register_webhook", "topicArn": "arn:aws:sns:us-east-1:123456789012:whatsapp-events",
            "roleArn": "arn:aws:iam::123456789012:role/eum-publish"}),
            vec![],
        ),
        (
            json!({"action": "update_call_settings", "phoneNumberId": PHONE2_EUM, "callSettings": {"callEnabled": true,
            "callIconVisibility": "DEFAULT", "callbackPermissionStatus": "ENABLED",
            "callHours": {"enabled": true, "timezone": "Europe/London", "weeklyOperatingHours": [
                {"dayOfWeek": "MONDAY", "openTime": {"hours": 9, "minutes": 0}, "closeTime": {"hours": 18, "minutes": 0}}],
                "holidaySchedule": [{"date": "2026-12-25", "startTime": {"hours": 0, "minutes": 0}, "endTime": {"hours": 23, "minutes": 59}}]}}}),
            vec![],
        ),
        (
            json!({"action": "get_call_permission", "to": "+1 650 555 1234"}),
            vec![],
        ),
        (
            json!({"action": "request_call_permission", "to": CUSTOMER, "body": "May we call you?"}),
            vec![],
        ),
        (
            json!({"action": "send_call_event", "callEvent": {"to": CUSTOMER, "action": "connect",
            "session": {"sdp_type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}}),
            vec![],
        ),
        (json!({"action": "create_dataset"}), vec![]),
        // without datasetId: the WABA's own dataset
        (
            json!({"action": "send_conversion_event", "to": CUSTOMER,
            "event": {"event_name": "Purchase", "event_time": 1763640000, "custom_data": {"currency": "USD", "value": 42.5}}}),
            vec![],
        ),
        (
            json!({"action": "send_conversion_event", "to": CUSTOMER, "datasetId": "1234567890123456",
            "event": {"event_name": "LeadSubmitted"}}),
            vec![],
        ),
    ];
    let mut failed = Vec::new();
    for (request, answers) in steps {
        for (method, path, body) in answers {
            standin.answer_next(method, path, body);
        }
        let answer = intake::handle(&ctx, request.clone()).await.unwrap();
        if answer["statusCode"] != 200 {
            failed.push(format!("{request} → {answer}"));
        }
    }
    // the uploaded media, deleted again
    let uploaded = standin
        .seen()
        .iter()
        .filter(|s| s.operation == "PostWhatsAppMessageMedia")
        .count();
    assert_eq!(uploaded, 1);
    let deleted = intake::handle(
        &ctx,
        json!({"action": "delete_media", "mediaId": "770000001", "originationPhoneNumberId": ORIGINATION}),
    )
    .await
    .unwrap();
    if deleted["statusCode"] != 200 {
        failed.push(format!("delete_media → {deleted}"));
    }

    assert_eq!(
        standin.refused(),
        Vec::<(String, String)>::new(),
        "EUM Social would refuse these"
    );
    assert!(
        failed.is_empty(),
        "actions that failed:\n{}",
        failed.join("\n")
    );
    let seen: BTreeSet<String> = standin.seen().into_iter().map(|s| s.operation).collect();
    let missing: Vec<String> = operations_called().difference(&seen).cloned().collect();
    assert!(
        missing.is_empty(),
        "operations the code calls that this test does not exercise: {missing:?}"
    );
}
