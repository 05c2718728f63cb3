//! `serve` over real HTTP on loopback: actions as API Gateway events, raw events on /events,
//! and the guards that make it safe to leave running (token, Host/Origin, GET, size, time).

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use whatsapp_lambda::serve::{ServeError, ServeOptions, serve_with};

use crate::helpers::*;

async fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr.port(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").unwrap().1;
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {raw}")),
    )
}

#[tokio::test]
async fn serve_answers_actions_and_raw_events() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(whatsapp_lambda::serve::serve(
        ctx(embedded_store()),
        listener,
    ));

    let event = std::fs::read_to_string(format!(
        "{}/events/inbound/text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (status, answer) = post(addr, "/events", &event).await;
    assert_eq!(
        (status, answer["data"]["messages"].clone()),
        (200, 1.into()),
        "{answer}"
    );

    let (status, answer) = post(addr, "/", r#"{"action":"get_conversations"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["count"], 1, "{answer}");

    let (status, answer) = post(addr, "/", r#"{"action":"get_message"}"#).await;
    assert_eq!(status, 400, "the HTTP status is the body's statusCode");
    assert_eq!(answer["error"], "missing required parameter `waMessageId`");
    // a query string works too, numbers and booleans included
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET /?action=get_conversations&limit=5&archived=false HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", addr.port()).as_bytes())
        .await
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains(r#""count":1"#), "{raw}");
    server.abort();
}

pub(crate) async fn raw_request(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

#[tokio::test]
async fn serve_answers_as_api_gateway_would() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(whatsapp_lambda::serve::serve(
        ctx(embedded_store()),
        listener,
    ));
    // a body that is not UTF-8 reaches the action path base64-encoded, and is refused there
    let port = addr.port();
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    request.extend_from_slice(&[0xff, 0xfe]);
    let raw = raw_request(addr, &request).await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(raw.contains("content-type: application/json"), "{raw}");
    assert!(raw.contains("the body is not UTF-8 text"), "{raw}");
    // a percent-encoded query value is decoded before the action sees it
    let raw = raw_request(
        addr,
        format!("GET /?action=get_conversations&limit=%35 HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    let raw = raw_request(
        addr,
        format!("GET /?action=get_conversations&limit=5%20x HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(
        raw.contains(r#"\"5 x\""#),
        "the decoded value is named: {raw}"
    );
    server.abort();
}

/// Starts `serve_with` on an ephemeral loopback port.
pub(crate) async fn start(
    options: ServeOptions,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        serve_with(ctx(embedded_store()), listener, options)
            .await
            .unwrap();
    });
    (addr, server)
}

/// A request with these extra header lines and this body; the raw answer.
pub(crate) async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    headers: &str,
    body: &str,
) -> String {
    let request = format!(
        "{method} {target} HTTP/1.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_request(addr, request.as_bytes()).await
}

pub(crate) fn status_of(raw: &str) -> u16 {
    raw.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {raw:?}"))
}

/// How many messages the conversation with CUSTOMER holds, asked over HTTP.
pub(crate) async fn messages_in_conversation(addr: std::net::SocketAddr, headers: &str) -> usize {
    let raw = request(
        addr,
        "POST",
        "/",
        headers,
        &json!({"action": "get_messages", "conversationPk": format!("CONV#{PHONE}#{CUSTOMER}")})
            .to_string(),
    )
    .await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    let body: Value = serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap();
    body["data"]["messages"]
        .as_array()
        .or_else(|| body["data"]["items"].as_array())
        .unwrap_or_else(|| panic!("{body}"))
        .len()
}

#[tokio::test]
async fn serve_refuses_a_non_loopback_address_without_a_token() {
    let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
    // Bounded only so that a server which (wrongly) starts fails the test instead of hanging it.
    let outcome = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        serve_with(ctx(embedded_store()), listener, ServeOptions::default()),
    )
    .await
    .expect("the server must refuse to start, not serve");
    let error = outcome.unwrap_err();
    assert!(matches!(error, ServeError::NoToken(_)), "{error}");
    assert!(error.to_string().contains("SERVE_TOKEN"), "{error}");
}

#[tokio::test]
async fn serve_with_a_token_needs_it_on_every_request() {
    let token = "t0ken-t0ken-t0ken-t0ken";
    let (addr, server) = start(ServeOptions {
        token: Some(token.into()),
        ..Default::default()
    })
    .await;
    let host = format!("Host: localhost:{}\r\n", addr.port());
    let ping = r#"{"action":"ping"}"#;
    for auth in [
        String::new(),
        "Authorization: Bearer wrong-wrong-wrong-wrong\r\n".to_string(),
        format!("Authorization: Basic {token}\r\n"),
        format!("Authorization: Bearer {token}x\r\n"),
    ] {
        let raw = request(addr, "POST", "/", &format!("{host}{auth}"), ping).await;
        assert_eq!(status_of(&raw), 401, "{auth:?}: {raw}");
        assert!(raw.contains("www-authenticate: Bearer"), "{raw}");
        // raw events too
        let raw = request(addr, "POST", "/events", &format!("{host}{auth}"), "{}").await;
        assert_eq!(status_of(&raw), 401, "{raw}");
    }
    let raw = request(
        addr,
        "POST",
        "/",
        &format!("{host}Authorization: Bearer {token}\r\n"),
        ping,
    )
    .await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    server.abort();
}

#[tokio::test]
async fn serve_refuses_other_hosts_and_cross_site_origins() {
    let (addr, server) = start(ServeOptions::default()).await;
    let port = addr.port();
    let event = std::fs::read_to_string(format!(
        "{}/events/inbound/text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let local = format!("Host: 127.0.0.1:{port}\r\n");
    assert_eq!(
        status_of(&request(addr, "POST", "/events", &local, &event).await),
        200
    );
    let before = messages_in_conversation(addr, &local).await;
    let send =
        json!({"action": "send_text", "to": CUSTOMER, "text": "hi", "force": true}).to_string();
    for headers in [
        // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1
        format!("Host: evil.example:{port}\r\n"),
        format!("Host: localhost:{}\r\n", port.wrapping_add(1)),
        // a cross-site form or fetch from a page elsewhere
        format!("Host: localhost:{port}\r\nOrigin: http://evil.example\r\n"),
        format!("Host: localhost:{port}\r\nOrigin: null\r\n"),
        format!(
            "Host: localhost:{port}\r\nOrigin: http://localhost:{}\r\n",
            port.wrapping_add(1)
        ),
        String::new(),
    ] {
        let raw = request(addr, "POST", "/", &headers, &send).await;
        assert_eq!(status_of(&raw), 403, "{headers:?}: {raw}");
    }
    assert_eq!(
        messages_in_conversation(addr, &local).await,
        before,
        "nothing was sent"
    );
    // the same origin works (an inbox page served from this server)
    let raw = request(
        addr,
        "POST",
        "/",
        &format!("Host: localhost:{port}\r\nOrigin: http://localhost:{port}\r\n"),
        &send,
    )
    .await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    assert_eq!(messages_in_conversation(addr, &local).await, before + 1);
    server.abort();

    // a configured public host (behind a TLS proxy) is accepted with its https origin
    let (addr, server) = start(ServeOptions {
        public_hosts: vec!["inbox.example.com".into()],
        ..Default::default()
    })
    .await;
    let raw = request(
        addr,
        "POST",
        "/",
        "Host: inbox.example.com\r\nOrigin: https://inbox.example.com\r\n",
        r#"{"action":"ping"}"#,
    )
    .await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    server.abort();
}

#[tokio::test]
async fn serve_never_sends_from_a_get() {
    let (addr, server) = start(ServeOptions::default()).await;
    let port = addr.port();
    let local = format!("Host: localhost:{port}\r\n");
    let event = std::fs::read_to_string(format!(
        "{}/events/inbound/text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    request(addr, "POST", "/events", &local, &event).await;
    let before = messages_in_conversation(addr, &local).await;
    let raw = request(
        addr,
        "GET",
        &format!("/?action=send_text&to={CUSTOMER}&text=hi"),
        &local,
        "",
    )
    .await;
    assert_eq!(status_of(&raw), 405, "{raw}");
    assert!(raw.contains("allow: POST"), "{raw}");
    assert_eq!(messages_in_conversation(addr, &local).await, before);
    let raw = request(addr, "GET", "/?action=get_conversations", &local, "").await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    server.abort();
}

#[tokio::test]
async fn serve_scopes_limit_what_its_callers_may_do() {
    let (addr, server) = start(ServeOptions {
        scopes: whatsapp_lambda::intake::Scopes::parse_list("read").unwrap(),
        ..Default::default()
    })
    .await;
    let local = format!("Host: localhost:{}\r\n", addr.port());
    let send =
        json!({"action": "send_text", "to": CUSTOMER, "text": "hi", "force": true}).to_string();
    let raw = request(addr, "POST", "/", &local, &send).await;
    assert_eq!(status_of(&raw), 403, "{raw}");
    assert!(raw.contains("needs scope `send`"), "{raw}");
    // a raw event would get around the scopes: it needs admin
    let raw = request(addr, "POST", "/events", &local, r#"{"action":"send_text"}"#).await;
    assert_eq!(status_of(&raw), 403, "{raw}");
    server.abort();
}

#[tokio::test]
async fn serve_limits_the_body_size() {
    let (addr, server) = start(ServeOptions {
        max_body_bytes: 64,
        ..Default::default()
    })
    .await;
    let host = format!("Host: localhost:{}\r\n", addr.port());
    let big = format!(r#"{{"action":"ping","pad":"{}"}}"#, "x".repeat(100));
    // declared too large: refused before the body is read
    let raw = request(addr, "POST", "/", &host, &big).await;
    assert_eq!(status_of(&raw), 413, "{raw}");
    // chunked, no length declared: refused once the limit is passed
    let chunked = format!(
        "POST / HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let raw = raw_request(addr, chunked.as_bytes()).await;
    assert_eq!(status_of(&raw), 413, "{raw}");
    // a small body is fine
    let raw = request(addr, "POST", "/", &host, r#"{"action":"ping"}"#).await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    server.abort();
}

/// Reads until the server closes the connection. The bound only turns a server that never
/// closes into a failure instead of a hung test; nothing is decided by elapsed time.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        stream.read_to_end(&mut raw),
    )
    .await
    .expect("the server must close a connection that stalls")
    .unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

#[tokio::test]
async fn serve_closes_connections_that_stall() {
    let (addr, server) = start(ServeOptions {
        header_timeout: std::time::Duration::from_millis(50),
        body_timeout: std::time::Duration::from_millis(50),
        ..Default::default()
    })
    .await;
    // slowloris: headers that never end
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST / HTTP/1.1\r\nHost: localhost:{}\r\nX-Slow: 1\r\n",
                addr.port()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let raw = read_until_closed(&mut stream).await;
    assert!(raw.is_empty() || raw.starts_with("HTTP/1.1 408"), "{raw}");
    // a body that never arrives in full
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST / HTTP/1.1\r\nHost: localhost:{}\r\nContent-Length: 100\r\n\r\n{{\"action\"",
                addr.port()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let raw = read_until_closed(&mut stream).await;
    assert_eq!(status_of(&raw), 408, "{raw}");
    server.abort();
}

/// Reads from `stream` until `needle` has arrived (bounded: fails only when it never does).
async fn read_until(stream: &mut TcpStream, seen: &mut String, needle: &str) {
    let wait = async {
        while !seen.contains(needle) {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the stream ended before `{needle}`: {seen}");
            seen.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("`{needle}` never arrived: {seen}"));
}

#[tokio::test]
async fn live_pages_hear_of_webhooks_and_changing_actions() {
    let (addr, server) = start(ServeOptions::default()).await;
    let port = addr.port();
    let mut live = TcpStream::connect(addr).await.unwrap();
    live.write_all(format!("GET /live HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut seen = String::new();
    read_until(&mut live, &mut seen, "event: ready").await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.contains("content-type: text/event-stream"), "{seen}");

    // a webhook on /events
    let event = std::fs::read_to_string(format!(
        "{}/events/inbound/text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (status, _) = post(addr, "/events", &event).await;
    assert_eq!(status, 200);
    read_until(&mut live, &mut seen, r#"data: {"source":"events"}"#).await;

    // a read action says nothing; an action that changes the inbox does
    let (status, _) = post(addr, "/", r#"{"action":"get_conversations"}"#).await;
    assert_eq!(status, 200);
    let (status, answer) = post(
        addr,
        "/",
        r#"{"action":"mark_conversation_read","customerId":"16505551234"}"#,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    read_until(&mut live, &mut seen, "mark_conversation_read").await;
    assert!(!seen.contains("get_conversations"), "{seen}");
    server.abort();
}

#[tokio::test]
async fn the_page_needs_no_token_but_its_data_and_live_stream_do() {
    let (addr, server) = start(ServeOptions {
        token: Some("page-token-0123456789".into()),
        ..Default::default()
    })
    .await;
    let port = addr.port();
    let local = format!("Host: localhost:{port}\r\n");
    // the page and its files: no data, no token needed
    for path in ["/", "/inbox/app.js", "/inbox/app.css"] {
        let raw = request(addr, "GET", path, &local, "").await;
        assert!(raw.starts_with("HTTP/1.1 200"), "{path}: {raw}");
        assert!(
            raw.contains("content-security-policy: default-src 'none'"),
            "{raw}"
        );
    }
    // ... still only from this server's address and origin
    let raw = request(addr, "GET", "/", "Host: evil.example\r\n", "").await;
    assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
    let cross = format!("{local}Origin: http://evil.example\r\n");
    let raw = request(addr, "GET", "/inbox/app.js", &cross, "").await;
    assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
    // the live stream and the actions need the token
    for (method, path, body) in [
        ("GET", "/live", ""),
        ("GET", "/?action=list_inbox_phones", ""),
        ("POST", "/", r#"{"action":"list_inbox_phones"}"#),
    ] {
        let raw = request(addr, method, path, &local, body).await;
        assert!(raw.starts_with("HTTP/1.1 401"), "{method} {path}: {raw}");
    }
    let authorized = format!("{local}Authorization: Bearer page-token-0123456789\r\n");
    let raw = request(
        addr,
        "POST",
        "/",
        &authorized,
        r#"{"action":"list_inbox_phones"}"#,
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    server.abort();
}

/// The JSON body of a raw HTTP answer.
fn body_of(raw: &str) -> Value {
    serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1)
        .unwrap_or_else(|e| panic!("{e}: {raw}"))
}

#[tokio::test]
async fn media_links_open_in_the_page_without_the_token_until_tampered_with() {
    let (addr, server) = start(ServeOptions {
        token: Some("media-token-0123456789".into()),
        ..Default::default()
    })
    .await;
    let port = addr.port();
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    let authorized = format!("{host}Authorization: Bearer media-token-0123456789\r\n");
    let action = |body: Value| {
        let authorized = authorized.clone();
        async move {
            let raw = request(addr, "POST", "/", &authorized, &body.to_string()).await;
            assert_eq!(status_of(&raw), 200, "{raw}");
            body_of(&raw)["data"].clone()
        }
    };
    // The page uploads a picture and sends it by media id, naming the stored copy.
    let png = b"\x89PNG\r\n\x1a\n fake but bytes";
    let uploaded = action(json!({
        "action": "upload_media", "data": base64_of(png), "filename": "dot.png",
        "mimeType": "image/png", "phoneNumberId": PHONE,
    }))
    .await;
    let sent = action(json!({
        "action": "send_image", "phoneNumberId": PHONE, "to": format!("+{CUSTOMER}"),
        "force": true, "mediaId": uploaded["mediaId"], "s3Key": uploaded["key"],
    }))
    .await;
    let wamid = sent["waMessageId"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"));
    let link = action(json!({"action": "get_media_url", "waMessageId": wamid})).await;
    let url = link["url"].as_str().unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    let target = url
        .strip_prefix(&origin)
        .unwrap_or_else(|| panic!("a link to this server: {url}"));
    assert!(target.starts_with("/media/uploads/"), "{target}");

    // An <img> sends no token: the signature is the key.
    let raw = request(addr, "GET", target, &host, "").await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    let head = raw.split_once("\r\n\r\n").unwrap().0.to_ascii_lowercase();
    assert!(head.contains("content-type: image/png"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert!(
        head.contains("content-security-policy: default-src 'none'; sandbox"),
        "{head}"
    );
    assert!(raw.ends_with(" fake but bytes"), "{raw}");
    // a media element seeking: one byte range, 206
    let ranged = format!("{host}Range: bytes=8-11\r\n");
    let raw = request(addr, "GET", target, &ranged, "").await;
    assert_eq!(status_of(&raw), 206, "{raw}");
    assert!(
        raw.to_ascii_lowercase()
            .contains("content-range: bytes 8-11/23"),
        "{raw}"
    );
    assert!(raw.ends_with("\r\n\r\n fak"), "{raw}");

    // Another key, a longer life, a wrong signature: refused.
    let tampered = [
        target.replace("dot.png", "dot2.png"),
        target.replace("expires=", "expires=9"),
        format!("{}x", &target[..target.len() - 1]),
        target.split('?').next().unwrap().to_string(),
    ];
    for bad in &tampered {
        let raw = request(addr, "GET", bad, &host, "").await;
        assert_eq!(status_of(&raw), 403, "{bad}: {raw}");
    }
    // Still only on this server's address.
    let raw = request(addr, "GET", target, "Host: evil.example\r\n", "").await;
    assert_eq!(status_of(&raw), 403, "{raw}");

    // Anything but a picture, a sound or a video is a download, never a page of this origin.
    let page = action(json!({
        "action": "upload_media", "data": base64_of(b"<script>alert(1)</script>"),
        "filename": "x.html", "mimeType": "text/html", "phoneNumberId": PHONE,
    }))
    .await;
    let link = action(json!({"action": "get_media_url", "key": page["key"]})).await;
    let target = link["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&origin)
        .unwrap()
        .to_string();
    let raw = request(addr, "GET", &target, &host, "").await;
    let head = raw.split_once("\r\n\r\n").unwrap().0.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/octet-stream"),
        "{head}"
    );
    assert!(head.contains("content-disposition: attachment"), "{head}");

    // The page may load those links; /inbox is the page too, and unknown files are 404s.
    let raw = request(addr, "GET", "/inbox", &host, "").await;
    assert_eq!(status_of(&raw), 200, "{raw}");
    assert!(
        raw.contains(&format!("img-src 'self' https: data: blob: {origin};")),
        "{raw}"
    );
    let raw = request(addr, "GET", "/inbox/nope.js", &host, "").await;
    assert_eq!(status_of(&raw), 404, "{raw}");
    server.abort();
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
