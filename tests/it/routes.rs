//! One routing decision by method and path, for `serve` and API Gateway alike: a request that
//! skips the bearer token (a webhook, the page's files, a media link) never reaches an action,
//! whatever its method; only the webhook routes' own methods reach the webhook handlers.

use serde_json::{Value, json};
use whatsapp_lambda::intake;
use whatsapp_lambda::serve::ServeOptions;

use crate::helpers::*;
use crate::scopes::{answer_of, rig, send_text, v2};
use crate::serve::{messages_in_conversation, request, start, status_of};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const TOKEN: &str = "routes-token-0123456789";

/// What a path of `serve` is, for the answers expected of it.
#[derive(Clone, Copy, Debug)]
enum Open {
    /// `/`: the page for a bodiless GET without a query string, else the actions.
    Root,
    /// A file of the page (or a 404 under `/inbox/`).
    Page(u16),
    /// A media link without a valid signature.
    Media,
    /// `/metrics`, `/live`: GET behind the token.
    Token,
    /// `/events`, `/invoke`: raw events, POST behind the token.
    Events,
    /// A webhook route; `true` for Meta, which also takes GET (its handshake).
    Webhook(bool),
    /// Any other path: the actions.
    Other,
}

const PATHS: [(&str, Open); 17] = [
    ("/", Open::Root),
    ("/inbox", Open::Page(200)),
    ("/inbox/", Open::Page(200)),
    ("/inbox/app.js", Open::Page(200)),
    ("/inbox/nope.js", Open::Page(404)),
    ("/media/uploads/x.png", Open::Media),
    ("/live", Open::Token),
    ("/metrics", Open::Token),
    ("/events", Open::Events),
    ("/invoke", Open::Events),
    ("/favicon.ico", Open::Other),
    ("/webhooks/meta", Open::Webhook(true)),
    ("/prod/webhooks/meta", Open::Webhook(true)),
    ("/webhooks/twilio", Open::Webhook(false)),
    ("/webhooks/twilio/", Open::Webhook(false)),
    ("/webhooks/wix", Open::Webhook(false)),
    ("/x/webhooks/wix", Open::Webhook(false)),
];

/// The answer expected: a status, or whatever the webhook handler says (a refusal here: no
/// webhook secret is configured and nothing is signed).
#[derive(Debug, PartialEq)]
enum Expect {
    Status(u16),
    WebhookRefusal,
}

/// What `serve` answers `method path` (`query`: with `?action=list_inbox_phones`), with or
/// without the token.
fn expected(open: Open, method: &str, query: bool, token: bool) -> Expect {
    let reading = method == "GET" || method == "HEAD";
    let action = Expect::Status(if token { 200 } else { 401 });
    match open {
        Open::Root if reading && !query => Expect::Status(200),
        Open::Root | Open::Other => action,
        Open::Page(found) if reading => Expect::Status(found),
        Open::Media if reading => Expect::Status(403),
        Open::Token if reading => action,
        // an empty body is not a Lambda event
        Open::Events if method == "POST" => Expect::Status(if token { 400 } else { 401 }),
        Open::Webhook(meta) if method == "POST" || (meta && method == "GET") => {
            Expect::WebhookRefusal
        }
        Open::Page(_) | Open::Media | Open::Token | Open::Events | Open::Webhook(_) => {
            Expect::Status(405)
        }
    }
}

#[tokio::test]
async fn serve_runs_no_action_without_its_token_on_any_method_or_path() {
    let (addr, server) = start(ServeOptions {
        token: Some(TOKEN.into()),
        ..Default::default()
    })
    .await;
    let host = format!("Host: localhost:{}\r\n", addr.port());
    let authorized = format!("{host}Authorization: Bearer {TOKEN}\r\n");
    let event = std::fs::read_to_string(format!(
        "{}/events/inbound/text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let raw = request(addr, "POST", "/events", &authorized, &event).await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    let before = messages_in_conversation(addr, &authorized).await;
    let send =
        json!({"action": "send_text", "to": CUSTOMER, "text": "hi", "force": true}).to_string();

    // WHEN every method reaches every open path without the token, asking for a send (body)
    // or a read (query string)
    for (path, open) in PATHS {
        for method in METHODS {
            for (target, body, query) in [
                (path.to_string(), send.as_str(), false),
                (format!("{path}?action=list_inbox_phones"), "", true),
            ] {
                let raw = request(addr, method, &target, &host, body).await;
                let status = status_of(&raw);
                // THEN only the token-free routes answer, and never with an action
                match expected(open, method, query, false) {
                    Expect::Status(want) => {
                        assert_eq!(status, want, "{method} {target}: {raw}");
                    }
                    Expect::WebhookRefusal => assert!(
                        [400, 401, 403].contains(&status),
                        "{method} {target}: {raw}"
                    ),
                }
                assert!(
                    !raw.contains("needs scope") && !raw.contains("\"data\""),
                    "an action answered {method} {target}: {raw}"
                );
                if status == 405 {
                    assert!(raw.contains("\r\nallow: "), "{method} {target}: {raw}");
                }
            }
        }
    }
    assert_eq!(
        messages_in_conversation(addr, &authorized).await,
        before,
        "nothing was sent"
    );

    // With the token the actions answer on every method, and the webhook routes still never
    // run one (/live is a stream that stays open: its token is checked above).
    for (path, open) in PATHS.into_iter().filter(|(p, _)| *p != "/live") {
        for method in METHODS {
            let target = format!("{path}?action=list_inbox_phones");
            let raw = request(addr, method, &target, &authorized, "").await;
            let status = status_of(&raw);
            match expected(open, method, true, true) {
                Expect::Status(want) => assert_eq!(status, want, "{method} {target}: {raw}"),
                Expect::WebhookRefusal => assert!(
                    [400, 401, 403].contains(&status),
                    "{method} {target}: {raw}"
                ),
            }
        }
    }
    server.abort();
}

/// A REST (v1) event for `method path` whose Cognito token grants every scope.
fn rest_v1(method: &str, path: &str, body: &str) -> Value {
    let mut event = load("events/apigw/rest_v1_base64.json");
    event["httpMethod"] = json!(method);
    event["path"] = json!(path);
    event["resource"] = json!(path);
    event["requestContext"]["httpMethod"] = json!(method);
    event["requestContext"]["path"] = json!(format!("/prod{path}"));
    event["requestContext"]["authorizer"]["claims"]["scope"] = json!("whatsapp/admin");
    event["isBase64Encoded"] = json!(false);
    event["body"] = json!(body);
    event
}

/// An HTTP API (v2) event for `method path` whose JWT grants every scope.
fn http_v2(method: &str, path: &str, body: &str) -> Value {
    let mut event = v2(
        body,
        Some(json!({"jwt": {"claims": {"sub": "u-1", "scope": "whatsapp/admin"}, "scopes": null}})),
    );
    event["routeKey"] = json!("$default");
    event["rawPath"] = json!(path);
    event["requestContext"]["routeKey"] = json!("$default");
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event
}

#[tokio::test]
async fn api_gateway_sends_only_a_webhooks_own_methods_to_it_and_no_other_to_an_action() {
    let (ctx, standin) = rig().await;
    let send = send_text();
    for path in [
        "/webhooks/twilio",
        "/webhooks/wix",
        "/webhooks/meta",
        "/prod/webhooks/wix/",
    ] {
        let meta = path.contains("meta");
        for method in METHODS {
            if method == "POST" || (meta && method == "GET") {
                continue;
            }
            for (version, event) in [
                ("v1", rest_v1(method, path, &send)),
                ("v2", http_v2(method, path, &send)),
            ] {
                let response = intake::handle(&ctx, event).await.unwrap();
                let (status, body) = answer_of(&response);
                assert_eq!(status, 405, "{version} {method} {path}: {body}");
                let allow = response["headers"]["allow"].as_str().unwrap_or_default();
                assert_eq!(allow, if meta { "GET, POST" } else { "POST" }, "{response}");
            }
        }
    }
    assert!(standin.seen().is_empty(), "nothing was sent");
    // the actions themselves still answer a caller with scopes
    let response = intake::handle(&ctx, http_v2("PUT", "/", &send))
        .await
        .unwrap();
    assert_eq!(answer_of(&response).0, 200, "{response}");
    assert_eq!(standin.seen().len(), 1);
}
