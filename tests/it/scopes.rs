//! API scopes behind API Gateway: what the authorizer grants decides which actions run, a GET
//! never runs an action with side effects, and a refused action reaches no sender.

use std::sync::Arc;

use handlers::Ctx;
use serde_json::{Value, json};
use whatsapp_lambda::eum::EumSender;
use whatsapp_lambda::intake::{self, ApiAccess};

use crate::helpers::*;
use crate::standin::StandIn;

/// A context whose sends go to the EUM stand-in, with the customer's 24-hour window open, so
/// that a `send_text` that runs reaches the stand-in.
pub(crate) async fn rig() -> (Ctx, StandIn) {
    let standin = StandIn::start(None).await;
    let sender = Arc::new(EumSender::new(standin.client(1).await, "v24.0", None));
    let media = Arc::new(handlers::sandbox::MemoryMedia::default());
    let ctx = Ctx::with(embedded_store(), sender, media, settings());
    let event = text_event("scope-in", "wamid.SCOPEIN", CUSTOMER, now_secs(), "hello");
    intake::handle(&ctx, event).await.unwrap();
    (ctx, standin)
}

pub(crate) fn send_text() -> String {
    json!({"action": "send_text", "to": CUSTOMER, "text": "hi"}).to_string()
}

/// Another send (its own idempotency key), so that a repeat is not answered as a retry.
fn send_text_keyed(key: &str) -> String {
    json!({"action": "send_text", "to": CUSTOMER, "text": "hi", "idempotencyKey": key}).to_string()
}

/// The HTTP API (v2) sample with this body and this `requestContext.authorizer`.
pub(crate) fn v2(body: &str, authorizer: Option<Value>) -> Value {
    let mut event = load("events/apigw/http_api_v2.json");
    event["body"] = json!(body);
    match authorizer {
        Some(a) => event["requestContext"]["authorizer"] = a,
        None => {
            event["requestContext"]
                .as_object_mut()
                .unwrap()
                .remove("authorizer");
        }
    }
    event
}

fn jwt(scope: &str) -> Option<Value> {
    Some(
        json!({"jwt": {"claims": {"sub": "u-1", "scope": scope, "token_use": "access"}, "scopes": null}}),
    )
}

/// The HTTP status and the body's envelope of a proxy response.
pub(crate) fn answer_of(response: &Value) -> (i64, Value) {
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        response["statusCode"], body["statusCode"],
        "HTTP status = envelope status"
    );
    (response["statusCode"].as_i64().unwrap(), body)
}

#[tokio::test]
async fn a_read_token_cannot_send_and_a_send_token_can() {
    let (ctx, standin) = rig().await;
    // GIVEN a JWT whose scopes are read only
    let response = intake::handle(&ctx, v2(&send_text(), jwt("openid whatsapp/read")))
        .await
        .unwrap();
    // THEN send_text is refused, naming the scope it needs, and nothing is sent
    let (status, body) = answer_of(&response);
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("`send_text` needs scope `send`"),
        "{body}"
    );
    assert!(standin.seen().is_empty(), "a refused action sends nothing");
    // Cognito's own `aws.cognito.signin.user.admin` is not the `admin` scope
    let response = intake::handle(&ctx, v2(&send_text(), jwt("aws.cognito.signin.user.admin")))
        .await
        .unwrap();
    assert_eq!(answer_of(&response).0, 403);
    assert!(standin.seen().is_empty());
    // WHEN the token has `send` (as HTTP API lists route scopes in `jwt.scopes`)
    let send = Some(json!({"jwt": {"claims": {"sub": "u-1"}, "scopes": ["whatsapp/send"]}}));
    let response = intake::handle(&ctx, v2(&send_text(), send)).await.unwrap();
    let (status, body) = answer_of(&response);
    assert_eq!(status, 200, "{body}");
    assert_eq!(standin.seen().len(), 1, "the send reached EUM Social");
    // and `admin` may do everything
    let response = intake::handle(&ctx, v2(&send_text_keyed("admin-1"), jwt("whatsapp/admin")))
        .await
        .unwrap();
    assert_eq!(answer_of(&response).0, 200);
    assert_eq!(standin.seen().len(), 2);
}

#[tokio::test]
async fn a_caller_without_scopes_is_refused() {
    let (ctx, standin) = rig().await;
    for authorizer in [None, jwt("openid profile"), Some(json!({"lambda": {}}))] {
        for body in [send_text(), json!({"action": "ping"}).to_string()] {
            let response = intake::handle(&ctx, v2(&body, authorizer.clone()))
                .await
                .unwrap();
            let (status, answer) = answer_of(&response);
            assert_eq!(status, 403, "{authorizer:?} {body}: {answer}");
            assert!(
                answer["error"]
                    .as_str()
                    .unwrap()
                    .contains("the caller has no API scopes"),
                "{answer}"
            );
        }
    }
    assert!(standin.seen().is_empty());
    // a REST (v1) event without an authorizer is refused too
    let mut event = load("events/apigw/rest_v1_base64.json");
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let response = intake::handle(&ctx, event).await.unwrap();
    assert_eq!(answer_of(&response).0, 403);
}

#[tokio::test]
async fn iam_callers_get_the_scopes_iam_scopes_maps_them_to() {
    let (ctx, standin) = rig().await;
    let access = ApiAccess {
        iam: ApiAccess::parse_iam_scopes(
            "arn:aws:iam::123456789012:role/agents/agent=read;arn:aws:iam::123456789012:role/ops=admin",
        )
        .unwrap(),
        scope_prefix: None,
    };
    // a REST (v1) request signed with the agent role's session credentials
    let rest = |arn: &str, body: &str| {
        let mut event = load("events/apigw/rest_v1_base64.json");
        event["requestContext"]
            .as_object_mut()
            .unwrap()
            .remove("authorizer");
        event["requestContext"]["identity"]["userArn"] = json!(arn);
        event["requestContext"]["identity"]["caller"] = json!("AROAEXAMPLE:alice");
        event["requestContext"]["identity"]["accountId"] = json!("123456789012");
        event["isBase64Encoded"] = json!(false);
        event["body"] = json!(body);
        event
    };
    let agent = "arn:aws:sts::123456789012:assumed-role/agent/alice";
    let list = json!({"action": "get_conversations"}).to_string();
    let response = intake::handle_with(&ctx, &access, rest(agent, &list))
        .await
        .unwrap();
    let (status, body) = answer_of(&response);
    assert_eq!(
        (status, body["data"]["count"].clone()),
        (200, json!(1)),
        "{body}"
    );
    let response = intake::handle_with(&ctx, &access, rest(agent, &send_text()))
        .await
        .unwrap();
    let (status, body) = answer_of(&response);
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("needs scope `send`")
    );
    assert!(standin.seen().is_empty());
    // the ops role may send
    let ops = "arn:aws:sts::123456789012:assumed-role/ops/bob";
    let response = intake::handle_with(&ctx, &access, rest(ops, &send_text()))
        .await
        .unwrap();
    assert_eq!(answer_of(&response).0, 200);
    assert_eq!(standin.seen().len(), 1);
    // an IAM caller nobody mapped has no scopes; without the mapping nobody has
    let stranger = "arn:aws:sts::123456789012:assumed-role/intern/eve";
    let response = intake::handle_with(&ctx, &access, rest(stranger, &list))
        .await
        .unwrap();
    assert_eq!(answer_of(&response).0, 403);
    let response = intake::handle(&ctx, rest(ops, &list)).await.unwrap();
    assert_eq!(answer_of(&response).0, 403);
    // HTTP API (v2) IAM callers are read from authorizer.iam
    let iam = Some(
        json!({"iam": {"userArn": ops, "accountId": "123456789012", "callerId": "AROAEXAMPLE:bob"}}),
    );
    let response = intake::handle_with(&ctx, &access, v2(&send_text_keyed("iam-v2"), iam))
        .await
        .unwrap();
    assert_eq!(answer_of(&response).0, 200);
    assert_eq!(standin.seen().len(), 2);
}

/// An HTTP API (v2) GET with this query string.
fn get(query: &[(&str, &str)], authorizer: Option<Value>) -> Value {
    let mut event = v2("", authorizer);
    event["routeKey"] = json!("GET /");
    event["requestContext"]["routeKey"] = json!("GET /");
    event["requestContext"]["http"]["method"] = json!("GET");
    event.as_object_mut().unwrap().remove("body");
    event["rawQueryString"] = json!(
        query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    );
    event["queryStringParameters"] = query
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    event
}

#[tokio::test]
async fn a_get_request_runs_only_read_actions() {
    let (ctx, standin) = rig().await;
    let all = jwt("whatsapp/read whatsapp/send whatsapp/manage");
    // a link that would send is refused before anything runs, however many scopes the caller has
    let response = intake::handle(
        &ctx,
        get(
            &[("action", "send_text"), ("to", CUSTOMER), ("text", "hi")],
            all.clone(),
        ),
    )
    .await
    .unwrap();
    let (status, body) = answer_of(&response);
    assert_eq!(status, 405, "{body}");
    assert_eq!(response["headers"]["allow"], "POST");
    assert!(
        body["error"].as_str().unwrap().contains("send it as POST"),
        "{body}"
    );
    assert!(standin.seen().is_empty(), "a GET sends nothing");
    // a JSON body in a GET does not get around it
    let mut event = get(&[], all.clone());
    event["body"] = json!(send_text());
    let response = intake::handle(&ctx, event).await.unwrap();
    assert_eq!(answer_of(&response).0, 405);
    assert!(standin.seen().is_empty());
    // reads work from a query string
    let response = intake::handle(&ctx, get(&[("action", "get_conversations")], jwt("read")))
        .await
        .unwrap();
    let (status, body) = answer_of(&response);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["count"], 1);
}

#[tokio::test]
async fn help_and_list_actions_show_each_actions_scope() {
    let ctx = ctx(embedded_store());
    let help = action(&ctx, json!({"action": "help", "topic": "send_text"})).await;
    assert_eq!(help["data"]["actions"][0]["scope"], "send", "{help}");
    let list = action(&ctx, json!({"action": "list_actions"})).await;
    let scopes = &list["data"]["scopes"];
    assert!(
        scopes["read"]
            .as_array()
            .unwrap()
            .contains(&json!("get_conversations"))
    );
    assert!(
        scopes["send"]
            .as_array()
            .unwrap()
            .contains(&json!("send_text"))
    );
    let listed: usize = scopes
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_array().unwrap().len())
        .sum();
    assert_eq!(json!(listed), list["data"]["count"]);
}

#[tokio::test]
async fn the_scope_table_in_operations_md_is_the_registry() {
    let ctx = ctx(embedded_store());
    let list = action(&ctx, json!({"action": "list_actions"})).await;
    let doc = std::fs::read_to_string(format!("{}/docs/operations.md", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let section = doc
        .split("## API scopes")
        .nth(1)
        .expect("docs/operations.md has an `## API scopes` section");
    for scope in ["read", "send", "manage", "admin"] {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{scope}` |")))
            .unwrap_or_else(|| panic!("no table row for `{scope}`"));
        let documented: Vec<String> = row
            .split('|')
            .nth(2)
            .unwrap()
            .split(", ")
            .filter_map(|name| {
                let name = name.trim();
                (name.starts_with('`') && name.ends_with('`'))
                    .then(|| name.trim_matches('`').to_string())
            })
            .collect();
        let registered: Vec<String> = list["data"]["scopes"][scope]
            .as_array()
            .map(|names| {
                names
                    .iter()
                    .map(|n| n.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            documented, registered,
            "docs/operations.md row for `{scope}`"
        );
    }
}
