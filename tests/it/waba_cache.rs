//! A WABA named by its Meta id (`DEFAULT_WABA_ID`) is looked up in EUM Social's linked accounts
//! once per context, not once per action.

use serde_json::json;

use crate::helpers::embedded_store;
use crate::platform::{EUM_WABA, dispatch, platform_ctx};

#[tokio::test]
async fn the_default_waba_is_resolved_once_per_context() {
    let (ctx, standin) = platform_ctx(embedded_store(), 1).await;
    let lists = || {
        standin
            .seen()
            .iter()
            .filter(|s| s.path == "/v1/whatsapp/waba/list")
            .count()
    };
    let mut after_first = None;
    for request in [
        json!({"action": "create_dataset"}),
        json!({"action": "create_dataset"}),
        json!({"action": "register_webhook", "topicArn": "arn:aws:sns:us-east-1:123456789012:t", "roleArn": "arn:aws:iam::123456789012:role/r"}),
    ] {
        let answer = dispatch(&ctx, request).await;
        assert_eq!(answer["statusCode"], 200, "{answer}");
        after_first.get_or_insert_with(lists);
    }
    // The stand-in answers the list in two pages: one resolution is two requests.
    assert_eq!(after_first, Some(2), "the first action lists every page");
    assert_eq!(
        lists(),
        2,
        "ListLinkedWhatsAppBusinessAccounts calls after three actions"
    );
    assert!(
        standin
            .seen()
            .iter()
            .filter(|s| s.path != "/v1/whatsapp/waba/list")
            .all(|s| s.body.get("id").is_none_or(|id| id == EUM_WABA)),
        "every call names the resolved WABA"
    );
}
