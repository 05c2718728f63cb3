//! `serve` over real HTTP on loopback: actions as API Gateway events, raw events on /events.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

async fn raw_request(addr: std::net::SocketAddr, request: &[u8]) -> String {
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
