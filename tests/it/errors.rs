//! Error bodies carry what failed in product terms, never SDK internals (role names, request
//! ids, ARNs, endpoints): those go to the log.

use std::sync::Arc;

use handlers::Ctx;
use serde_json::json;
use whatsapp_lambda::eum::EumSender;

use crate::helpers::*;
use crate::standin::{Failure, StandIn};

#[tokio::test]
async fn an_unreachable_store_is_answered_in_product_terms() {
    let ctx = ctx(dead_dynamo_store().await);
    let answer = action(
        &ctx,
        json!({"action": "get_message", "waMessageId": "wamid.1"}),
    )
    .await;
    assert_eq!(answer["statusCode"], 503, "{answer}");
    assert_eq!(
        answer["error"], "the store is unavailable (GetItem); retry later",
        "{answer}"
    );
    assert!(answer["errorId"].is_string(), "{answer}");
    let health = action(&ctx, json!({"action": "health"})).await;
    for body in [answer, health] {
        let text = body.to_string();
        for internal in ["dispatch failure", "127.0.0.1", "connection", "os error"] {
            assert!(!text.contains(internal), "`{internal}` leaked: {text}");
        }
    }
}

#[tokio::test]
async fn eum_access_denied_does_not_name_the_role_or_the_account() {
    let standin = StandIn::start(None).await;
    let sender = Arc::new(EumSender::new(standin.client(1).await, "v24.0", None));
    let media = Arc::new(handlers::sandbox::MemoryMedia::default());
    let ctx = Ctx::with(embedded_store(), sender, media, settings());
    standin.fail_next(&[Failure {
        status: 403,
        kind: "AccessDeniedException",
        message: "User: arn:aws:sts::123456789012:assumed-role/wa-prod-role/wa-fn is not authorized to perform: social-messaging:SendWhatsAppMessage on resource: arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/abc (Request ID: 9f1c2a4e-1b2c-4d5e-8f90-123456789abc)",
    }]);
    let answer = action(
        &ctx,
        json!({"action": "send_text", "to": CUSTOMER, "text": "hi", "force": true}),
    )
    .await;
    assert_eq!(answer["statusCode"], 403, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(
        error
            .starts_with("access denied by EUM Social or Meta: User: [redacted] is not authorized"),
        "{error}"
    );
    for internal in ["arn:", "wa-prod-role", "123456789012", "9f1c2a4e"] {
        assert!(!error.contains(internal), "`{internal}` leaked: {error}");
    }
}
