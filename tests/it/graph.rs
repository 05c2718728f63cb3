//! The Graph API sender against a local stand-in: the exact requests (WhatsApp Cloud API and
//! the Messenger/Instagram Send API), the error mapping, and the secrets read from Secrets
//! Manager and SSM (moto).

use std::sync::Arc;

use handlers::ports::MediaStore;
use handlers::{Ctx, Settings};
use serde_json::{Value, json};
use whatsapp_lambda::graph::GraphSender;
use whatsapp_lambda::intake;

use crate::graph_standin::GraphStandIn;
use crate::helpers::*;
use crate::webhooks::{IG, IGSID, SECRET, keys};

fn graph_ctx(standin: &GraphStandIn) -> Ctx {
    let media: Arc<dyn MediaStore> = Arc::new(handlers::sandbox::MemoryMedia::default());
    let sender = GraphSender::new(
        &standin.url,
        "v24.0",
        Some("EAAG-test-token".into()),
        media.clone(),
    )
    .unwrap();
    Ctx::with(
        embedded_store(),
        Arc::new(sender),
        media,
        Settings {
            default_phone_number_id: Some(PHONE.into()),
            // no EUM origination: the Graph sender sends from the Meta phone number id
            origination_phone_number_id: None,
            meta_webhooks: keys(&[SECRET], None),
            ..Default::default()
        },
    )
}

#[tokio::test]
async fn whatsapp_sends_post_the_cloud_api_json() {
    let standin = GraphStandIn::start().await;
    let ctx = graph_ctx(&standin);
    let answer = intake::handle(
        &ctx,
        json!({"action": "send_text", "to": "+1 650 555 1234", "text": "Olá 👋", "force": true}),
    )
    .await
    .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["data"]["waMessageId"], "wamid.GRAPH1");
    let seen = standin.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, format!("/v24.0/{PHONE}/messages"));
    assert_eq!(
        seen.authorization.as_deref(),
        Some("Bearer EAAG-test-token")
    );
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    // the same JSON the EUM sender wraps, with the idempotency tag it carries there too
    let mut body = seen.body.clone();
    let tag = body
        .as_object_mut()
        .unwrap()
        .remove("biz_opaque_callback_data")
        .unwrap();
    assert!(tag.as_str().unwrap().starts_with("wl1:"), "{tag}");
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER, "type": "text", "text": {"preview_url": false, "body": "Olá 👋"}})
    );
}

#[tokio::test]
async fn graph_errors_map_to_send_error_kinds() {
    let standin = GraphStandIn::start().await;
    let ctx = graph_ctx(&standin);
    let path = format!("/v24.0/{PHONE}/messages");
    let cases: [(u16, Value, i64); 4] = [
        (
            400,
            json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429, "fbtrace_id": "A"}}),
            429,
        ),
        (
            400,
            json!({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047, "error_data": {"details": "more than 24 hours"}}}),
            400,
        ),
        (
            401,
            json!({"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190, "error_subcode": 463}}),
            403,
        ),
        (
            500,
            json!({"error": {"message": "Something went wrong", "code": 131000}}),
            502,
        ),
    ];
    for (n, (status, body, expected)) in cases.into_iter().enumerate() {
        standin.answer_next("POST", &path, status, body);
        let answer = intake::handle(
            &ctx,
            json!({"action": "send_text", "to": CUSTOMER, "text": format!("try {n}"), "force": true}),
        )
        .await
        .unwrap();
        assert_eq!(answer["statusCode"], expected, "{answer}");
    }
}

#[tokio::test]
async fn instagram_replies_go_to_the_send_api() {
    let standin = GraphStandIn::start().await;
    let ctx = graph_ctx(&standin);
    // the person wrote (the conversation exists, with its channel and open window)
    let mut event = load("events/webhooks/instagram-text.json");
    let raw = event["body"]
        .as_str()
        .unwrap()
        .replace("1795168800001", &format!("{}001", now_secs()));
    event["body"] = json!(raw);
    event["headers"]["x-hub-signature-256"] =
        json!(handlers::webhooks::sign(SECRET, raw.as_bytes()));
    let answer = intake::handle(&ctx, event).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let answer = intake::handle(
        &ctx,
        json!({"action": "send_text", "phoneNumberId": IG, "recipient": IGSID, "text": "Yes! 🇵🇹"}),
    )
    .await
    .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = standin.last();
    assert_eq!(seen.path, "/v24.0/me/messages");
    assert_eq!(
        seen.body,
        json!({"recipient": {"id": IGSID}, "messaging_type": "RESPONSE", "message": {"text": "Yes! 🇵🇹"}})
    );
    let mid = answer["data"]["waMessageId"].as_str().unwrap();
    let stored = ctx.store().get_message(mid).await.unwrap().unwrap();
    assert_eq!(stored.channel.as_deref(), Some("instagram"));
    // a WhatsApp-only message is refused before anything is sent
    let before = standin.seen().len();
    let refused = intake::handle(
        &ctx,
        json!({"action": "send_location", "phoneNumberId": IG, "recipient": IGSID, "latitude": 1.0, "longitude": 2.0}),
    )
    .await
    .unwrap();
    assert_eq!(refused["statusCode"], 400, "{refused}");
    assert_eq!(standin.seen().len(), before);
}

#[tokio::test]
async fn media_is_fetched_through_the_graph_api() {
    let standin = GraphStandIn::start().await;
    let ctx = graph_ctx(&standin);
    standin.answer_next(
        "GET",
        "/v24.0/1013859600285441",
        200,
        json!({"url": format!("{}/media-bytes/1013859600285441", standin.url), "mime_type": "image/jpeg", "id": "1013859600285441"}),
    );
    standin.answer_next(
        "GET",
        "/media-bytes/1013859600285441",
        200,
        json!("JPEGDATA"),
    );
    let fetched = ctx
        .sender()
        .fetch_media(PHONE, "1013859600285441", "media/p/2026-11-20/")
        .await
        .unwrap();
    assert_eq!(fetched.mime_type.as_deref(), Some("image/jpeg"));
    let object = ctx
        .media()
        .find("media/p/2026-11-20/1013859600285441")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(object.key, "media/p/2026-11-20/1013859600285441.jpg");
    let seen = standin.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some("Bearer EAAG-test-token"))
    );
    // an upload posts the object as multipart/form-data to /{phone}/media
    ctx.media()
        .put(
            "uploads/2026-11-20/menu.png",
            b"PNGBYTES".to_vec(),
            "image/png",
        )
        .await
        .unwrap();
    standin.answer_next(
        "POST",
        &format!("/v24.0/{PHONE}/media"),
        200,
        json!({"id": "4490709327384033"}),
    );
    let id = ctx
        .sender()
        .upload_media(PHONE, "uploads/2026-11-20/menu.png")
        .await
        .unwrap();
    assert_eq!(id, "4490709327384033");
    let upload = standin.last();
    assert!(
        upload
            .content_type
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    let raw = String::from_utf8(upload.raw).unwrap();
    assert!(
        raw.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"),
        "{raw}"
    );
    assert!(
        raw.contains("filename=\"menu.png\"\r\nContent-Type: image/png\r\n\r\nPNGBYTES\r\n"),
        "{raw}"
    );
}

/// Secrets Manager and SSM clients on moto.
async fn secret_stores() -> (aws_sdk_secretsmanager::Client, aws_sdk_ssm::Client) {
    let moto =
        std::env::var("AWS_ENDPOINT_URL_SQS").unwrap_or_else(|_| "http://127.0.0.1:8766".into());
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sm = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&shared)
            .endpoint_url(&moto)
            .build(),
    );
    let ssm = aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::config::Builder::from(&shared)
            .endpoint_url(&moto)
            .build(),
    );
    (sm, ssm)
}

#[tokio::test]
async fn secrets_are_read_from_secrets_manager_and_ssm() {
    let (sm, ssm) = secret_stores().await;
    let name = unique_table();
    let secret = sm
        .create_secret()
        .name(format!("{name}-app"))
        .secret_string("new-secret,old-secret")
        .send()
        .await
        .unwrap();
    ssm.put_parameter()
        .name(format!("/{name}/verify"))
        .value("verify-from-ssm")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let parameter = ssm
        .get_parameter()
        .name(format!("/{name}/verify"))
        .send()
        .await
        .unwrap();
    let parameter_arn = parameter.parameter.unwrap().arn.unwrap();
    let meta = whatsapp_lambda::config::MetaConfig {
        app_secret: secret.arn,
        verify_token: Some(parameter_arn),
        graph_token: Some("EAAG-plain".into()),
        ..Default::default()
    };
    assert!(whatsapp_lambda::secrets::needs_aws(&meta));
    let clients = whatsapp_lambda::secrets::SecretClients {
        secrets_manager: sm,
        ssm,
    };
    let resolved = whatsapp_lambda::secrets::resolve(&meta, Some(&clients))
        .await
        .unwrap();
    assert_eq!(
        resolved.meta_webhooks.app_secrets,
        vec!["new-secret", "old-secret"]
    );
    assert_eq!(
        resolved.meta_webhooks.verify_token.as_deref(),
        Some("verify-from-ssm")
    );
    assert_eq!(resolved.graph_token.as_deref(), Some("EAAG-plain"));
    // a secret that does not exist stops the start-up, naming the setting and the ARN
    let missing = whatsapp_lambda::config::MetaConfig {
        app_secret: Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf".into()),
        ..Default::default()
    };
    let err = whatsapp_lambda::secrets::resolve(&missing, Some(&clients))
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with("META_APP_SECRET: arn:aws:secretsmanager"),
        "{err}"
    );
}

/// Twilio's auth tokens and Wix's public key may be named by ARN too: read once at start-up,
/// never kept in the environment.
#[tokio::test]
async fn twilio_and_wix_secrets_are_read_by_arn() {
    let (sm, ssm) = secret_stores().await;
    let name = unique_table();
    let tokens = sm
        .create_secret()
        .name(format!("{name}-twilio"))
        .secret_string("tok-new, tok-old")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    ssm.put_parameter()
        .name(format!("/{name}/wix"))
        .value("-----BEGIN PUBLIC KEY-----\nAAAA\nBBBB\n-----END PUBLIC KEY-----\n")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let wix = ssm
        .get_parameter()
        .name(format!("/{name}/wix"))
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap()
        .arn
        .unwrap();
    let env = |key: &str| match key {
        "TWILIO_ACCOUNT_SID" => Some("AC123".to_string()),
        "TWILIO_AUTH_TOKEN" => Some(tokens.clone()),
        "WIX_PUBLIC_KEY" => Some(wix.clone()),
        _ => None,
    };
    let config = whatsapp_lambda::ingress::IngressConfig::from_lookup(&env).unwrap();
    assert!(config.has_secret_arns());
    // Until read, nothing of the ARN passes for a token or a key.
    assert!(config.settings.twilio_auth_tokens.is_empty());
    assert!(config.settings.wix_public_keys.is_empty());
    let clients = whatsapp_lambda::secrets::SecretClients {
        secrets_manager: sm,
        ssm,
    };
    let resolved = whatsapp_lambda::secrets::resolve_ingress(&config, Some(&clients))
        .await
        .unwrap();
    assert_eq!(
        resolved.settings.twilio_auth_tokens,
        vec!["tok-new", "tok-old"]
    );
    assert_eq!(resolved.twilio.unwrap().auth_token, "tok-new");
    assert_eq!(resolved.settings.wix_public_keys, vec!["AAAABBBB"]);
    // A secret that is not there stops the start-up, naming the setting.
    let missing = |key: &str| match key {
        "TWILIO_AUTH_TOKEN" => {
            Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf".to_string())
        }
        _ => None,
    };
    let config = whatsapp_lambda::ingress::IngressConfig::from_lookup(&missing).unwrap();
    let err = whatsapp_lambda::secrets::resolve_ingress(&config, Some(&clients))
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with("TWILIO_AUTH_TOKEN: arn:aws:secretsmanager"),
        "{err}"
    );
}
