//! Deployed live updates: a ticket from `create_live_ticket` opens one WebSocket connection
//! through the `$connect` authorizer, the connection is an item, and a processed record is
//! pushed with `PostToConnection` (the real aws-sdk-apigatewaymanagement client, pointed at a
//! local stand-in that records each push) to the connections of its phone; a gone (410)
//! connection is deleted, and a push that cannot be made fails nothing.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use handlers::{Ctx, Store};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use whatsapp_lambda::intake;
use whatsapp_lambda::live::Pusher;

use crate::helpers::{self, PHONE};

/// The connection-management API of one WebSocket stage: records each push, answers 410 for
/// the connections it is told are gone.
#[derive(Clone, Default)]
struct Management {
    pushes: Arc<Mutex<Vec<(String, Value)>>>,
    gone: Arc<Mutex<HashSet<String>>>,
}

impl Management {
    async fn start(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/live", listener.local_addr().unwrap());
        let me = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| me.clone().answer(req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        url
    }

    async fn answer(self, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        let (parts, body) = req.into_parts();
        let bytes = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let path = parts.uri.path().to_string();
        let id = path
            .strip_prefix("/live/%40connections/")
            .or_else(|| path.strip_prefix("/live/@connections/"))
            .map(|id| id.replace("%3D", "="))
            .unwrap_or_else(|| format!("unexpected {} {path}", parts.method));
        let gone = self.gone.lock().unwrap().contains(&id);
        let note = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        self.pushes.lock().unwrap().push((id, note));
        let response = if gone {
            Response::builder()
                .status(410)
                .header("x-amzn-ErrorType", "GoneException")
                .body(Full::from(r#"{"message":"Gone"}"#))
        } else {
            Response::builder().status(200).body(Full::from(""))
        };
        Ok(response.unwrap())
    }

    fn pushed_to(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .pushes
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }

    fn clear(&self) {
        self.pushes.lock().unwrap().clear();
    }
}

async fn management_client(endpoint: &str) -> aws_sdk_apigatewaymanagement::Client {
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let config = aws_sdk_apigatewaymanagement::config::Builder::from(&shared)
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    aws_sdk_apigatewaymanagement::Client::from_conf(config)
}

async fn live_ctx(store: Arc<dyn Store>, endpoint: &str) -> Ctx {
    let pusher = Pusher::new(
        management_client(endpoint).await,
        store.clone(),
        "wss://abc123.execute-api.us-east-1.amazonaws.com/live".into(),
    );
    helpers::ctx(store).with_live(Arc::new(pusher))
}

fn authorizer_event(ticket: &str) -> Value {
    json!({
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect",
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "queryStringParameters": {"ticket": ticket},
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "pending=", "apiId": "abc123", "stage": "live"},
    })
}

fn socket_event(event_type: &str, connection_id: &str, phone: Option<&str>) -> Value {
    let mut context = json!({
        "routeKey": if event_type == "CONNECT" { "$connect" } else { "$disconnect" },
        "eventType": event_type,
        "connectionId": connection_id,
        "apiId": "abc123",
        "stage": "live",
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
    });
    if let Some(phone) = phone {
        context["authorizer"] = json!({"principalId": "live-ticket", "phoneNumberId": phone});
    }
    json!({"requestContext": context, "isBase64Encoded": false})
}

/// An HTTP API (v2) request with this body from a caller whose JWT grants every scope.
fn http_api(body: Value) -> Value {
    let mut event = helpers::load("events/apigw/http_api_v2.json");
    event["body"] = json!(body.to_string());
    event["requestContext"]["authorizer"] = json!({"jwt": {"claims": {"sub": "u-1", "scope": "whatsapp/read whatsapp/send"}, "scopes": null}});
    event
}

async fn ticket(ctx: &Ctx, phone: Option<&str>) -> String {
    let mut request = json!({"action": "create_live_ticket"});
    if let Some(phone) = phone {
        request["phoneNumberId"] = json!(phone);
    }
    let answer = helpers::action(ctx, request).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let url = answer["data"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("wss://abc123.execute-api.us-east-1.amazonaws.com/live?ticket="),
        "{url}"
    );
    url.rsplit_once("ticket=").unwrap().1.to_string()
}

/// Opens a connection as API Gateway would: the authorizer with the ticket, then `$connect`
/// with the context the authorizer returned.
async fn connect(ctx: &Ctx, ticket: &str, connection_id: &str) -> Value {
    let policy = intake::handle(ctx, authorizer_event(ticket)).await.unwrap();
    let effect = policy["policyDocument"]["Statement"][0]["Effect"].clone();
    if effect == "Allow" {
        let phone = policy["context"]["phoneNumberId"]
            .as_str()
            .unwrap()
            .to_string();
        let answer = intake::handle(ctx, socket_event("CONNECT", connection_id, Some(&phone)))
            .await
            .unwrap();
        assert_eq!(answer["statusCode"], 200);
    }
    policy
}

async fn live_updates(store: Arc<dyn Store>) {
    let management = Management::default();
    let endpoint = management.start().await;
    let ctx = live_ctx(store.clone(), &endpoint).await;

    // A ticket opens one connection, once.
    let mine = ticket(&ctx, Some(PHONE)).await;
    let policy = connect(&ctx, &mine, "mine=").await;
    assert_eq!(
        policy["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{policy}"
    );
    assert_eq!(
        policy["policyDocument"]["Statement"][0]["Resource"],
        authorizer_event("")["methodArn"]
    );
    assert_eq!(policy["context"]["phoneNumberId"], PHONE);
    let again = connect(&ctx, &mine, "again=").await;
    assert_eq!(
        again["policyDocument"]["Statement"][0]["Effect"], "Deny",
        "a ticket is used once"
    );
    for bad in ["", "not a ticket", "0123456789abcdef0123456789abcdef"] {
        let refused = connect(&ctx, bad, "bad=").await;
        assert_eq!(
            refused["policyDocument"]["Statement"][0]["Effect"], "Deny",
            "{bad:?}"
        );
    }
    // An expired ticket is refused.
    let old = chrono::Utc::now() - chrono::Duration::seconds(120);
    store
        .put_record(&handlers::live::ticket_item("expired0", PHONE, old))
        .await
        .unwrap();
    let expired = connect(&ctx, "expired0", "late=").await;
    assert_eq!(expired["policyDocument"]["Statement"][0]["Effect"], "Deny");
    // `$connect` without the authorizer's context keeps nothing.
    let bare = intake::handle(&ctx, socket_event("CONNECT", "bare=", None))
        .await
        .unwrap();
    assert_eq!(bare["statusCode"], 403);

    // Followers of every phone, of another phone, and one connection that is gone.
    let everything = ticket(&ctx, None).await;
    connect(&ctx, &everything, "all=").await;
    let other = ticket(&ctx, Some("999000")).await;
    connect(&ctx, &other, "other=").await;
    let stale = ticket(&ctx, Some(PHONE)).await;
    connect(&ctx, &stale, "gone=").await;
    management.gone.lock().unwrap().insert("gone=".into());
    assert!(store.get_item("LIVE_CONN#gone=").await.unwrap().is_some());

    // A record of PHONE is pushed to PHONE's followers and every phone's, not to the other.
    let now = helpers::now_secs();
    let event = helpers::text_event("sns-live-1", "wamid.LIVE1", "15550001111", now, "hello");
    intake::handle(&ctx, event.clone()).await.unwrap();
    assert_eq!(management.pushed_to(), ["all=", "gone=", "mine="]);
    let note = management.pushes.lock().unwrap()[0].1.clone();
    assert_eq!(note["source"], "events");
    assert_eq!(note["phones"], json!([PHONE]));
    // The gone connection was deleted; the others are kept.
    assert!(store.get_item("LIVE_CONN#gone=").await.unwrap().is_none());
    assert!(store.get_item("LIVE_CONN#mine=").await.unwrap().is_some());

    // A duplicate changes nothing: nothing is pushed.
    management.clear();
    intake::handle(&ctx, event).await.unwrap();
    assert!(
        management.pushed_to().is_empty(),
        "{:?}",
        management.pushed_to()
    );

    // An action through the HTTP API that changes something is pushed to its phone's
    // followers; a read is not.
    let read = http_api(json!({"action": "get_conversations"}));
    let response = intake::handle(&ctx, read).await.unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    assert!(management.pushed_to().is_empty());
    let change = http_api(json!({"action": "mark_conversation_read", "customerId": "15550001111"}));
    let response = intake::handle(&ctx, change).await.unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(management.pushed_to(), ["all=", "mine="]);
    let note = management.pushes.lock().unwrap()[0].1.clone();
    assert_eq!(
        note,
        json!({"source": "action", "action": "mark_conversation_read"})
    );

    // `$disconnect` forgets the connection.
    let bye = intake::handle(&ctx, socket_event("DISCONNECT", "mine=", Some(PHONE)))
        .await
        .unwrap();
    assert_eq!(bye["statusCode"], 200);
    assert!(store.get_item("LIVE_CONN#mine=").await.unwrap().is_none());
    management.clear();
    let event = helpers::text_event("sns-live-2", "wamid.LIVE2", "15550001111", now + 1, "again");
    intake::handle(&ctx, event).await.unwrap();
    assert_eq!(management.pushed_to(), ["all="]);
}

#[tokio::test]
async fn live_updates_on_dynamodb() {
    live_updates(helpers::dynamo_store().await).await;
}

#[tokio::test]
async fn live_updates_on_the_embedded_store() {
    live_updates(helpers::embedded_store()).await;
}

/// A management endpoint that does not answer fails nothing: the record is stored and
/// answered for.
#[tokio::test]
async fn a_push_that_cannot_be_made_fails_nothing() {
    let store: Arc<dyn Store> = helpers::embedded_store();
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/live", closed.local_addr().unwrap());
    drop(closed);
    let ctx = live_ctx(store.clone(), &endpoint).await;
    let t = ticket(&ctx, None).await;
    connect(&ctx, &t, "c1=").await;
    let now = helpers::now_secs();
    let event = helpers::text_event("sns-live-3", "wamid.LIVE3", "15550002222", now, "hi");
    let answer = intake::handle(&ctx, event).await.unwrap();
    assert_eq!(answer["data"]["messages"], 1, "{answer}");
    assert!(store.get_message("wamid.LIVE3").await.unwrap().is_some());
}

/// Without `LIVE_SOCKET_URL` there are no tickets, and the answer says where live updates are.
#[tokio::test]
async fn without_a_socket_url_there_are_no_tickets() {
    let ctx = helpers::ctx(helpers::embedded_store());
    let answer = helpers::action(&ctx, json!({"action": "create_live_ticket"})).await;
    assert_eq!(answer["statusCode"], 404);
    assert!(
        answer["error"].as_str().unwrap().contains("GET /live"),
        "{answer}"
    );
}

/// Deployed, the HTTP API serves the page on routes without an authorizer (`GET /inbox`,
/// `GET /inbox/{file}`); its policy lets it open the live WebSocket API, and nothing but the
/// embedded files is answered there.
#[tokio::test]
async fn the_deployed_page_is_served_by_the_http_api_and_may_reach_the_socket() {
    let store: Arc<dyn Store> = helpers::embedded_store();
    let ctx = live_ctx(store, "http://127.0.0.1:9/live").await;
    let page = helpers::load("events/apigw/inbox_page_v2.json");
    let answer = intake::handle(&ctx, page.clone()).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(
        answer["headers"]["content-type"],
        "text/html; charset=utf-8"
    );
    let csp = answer["headers"]["content-security-policy"]
        .as_str()
        .unwrap();
    assert!(
        csp.contains("connect-src 'self' wss://abc123.execute-api.us-east-1.amazonaws.com;"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let html = answer["body"].as_str().unwrap();
    assert!(
        html.contains(r#"<script type="module" src="/inbox/app.js">"#),
        "{html}"
    );

    let file = |path: &str| {
        let mut event = page.clone();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["routeKey"] = json!("GET /inbox/{file}");
        event
    };
    let answer = intake::handle(&ctx, file("/inbox/api.js")).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert!(
        answer["body"]
            .as_str()
            .unwrap()
            .contains("create_live_ticket")
    );
    for path in ["/inbox/nope.js", "/inbox/%2e%2e%2fCargo.toml"] {
        let answer = intake::handle(&ctx, file(path)).await.unwrap();
        assert_eq!(answer["statusCode"], 404, "{path}: {answer}");
    }
    // The actions on the same API still need the caller's scopes.
    let mut read = page.clone();
    read["rawPath"] = json!("/");
    read["requestContext"]["http"]["path"] = json!("/");
    read["rawQueryString"] = json!("action=list_inbox_phones");
    read["queryStringParameters"] = json!({"action": "list_inbox_phones"});
    let answer = intake::handle(&ctx, read).await.unwrap();
    assert_eq!(answer["statusCode"], 403, "{answer}");

    // A REST API (v1) proxy event gets the same page.
    let v1 = json!({
        "resource": "/inbox", "path": "/inbox", "httpMethod": "GET",
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {"resourcePath": "/inbox", "httpMethod": "GET", "path": "/prod/inbox",
            "stage": "prod", "requestId": "r1", "accountId": "123456789012", "apiId": "abc123",
            "identity": {"sourceIp": "203.0.113.10"}},
        "body": null, "isBase64Encoded": false,
    });
    let answer = intake::handle(&ctx, v1).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert!(
        answer["body"]
            .as_str()
            .unwrap()
            .starts_with("<!doctype html>")
    );
}
