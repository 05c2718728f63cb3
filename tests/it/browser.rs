//! The inbox in a real browser: Chromium driven over WebDriver against `serve` seeded from
//! `events/inbound/`. `tests/run.sh` installs `chromium` and `chromium-driver` and sets
//! `BROWSER_TESTS=require`; without them (and without that variable) the test says it is
//! skipped. `SCREENSHOTS_DIR=docs/img` saves the desktop and phone-width screenshots.
//!
//! One browser for the whole suite; every wait is bounded and fails only when what it waits
//! for never comes.

use std::net::SocketAddr;
use std::path::Path;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use whatsapp_lambda::serve::{ServeOptions, serve_with};

use crate::helpers::*;
use crate::webdriver::{Browser, installed};

mod scenarios;
use scenarios::{channel_scenario, message_model_scenario, token_scenario};

const CONV: &str = "CONV#106540352242922#16505551234";

/// A 96×64 PNG the composer uploads.
const PICTURE: &str = "iVBORw0KGgoAAAANSUhEUgAAAGAAAABACAIAAABqVuVZAAAAh0lEQVR42u3aMQ0AIAwEwGrAA9aQgQLcYagaOlIu+fmT3vhpjLNLmXeV8np/AAIECBAgQIAAAQIECBAgQIAANQP67eBqPyBAgAABAgQIECBAgAABAgQIUDcgg5lFERAgQIAAAQIECBAgQIAAAQLkP8hgZlEEBAgQIECAAAECBAgQIECAALUFShdSubTO4p6GAAAAAElFTkSuQmCC";

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// A seeded `serve` on its own thread and runtime (the WebDriver calls block).
pub(super) fn start_serve(options: ServeOptions) -> SocketAddr {
    start_serve_with(options, None)
}

/// [`start_serve`], taking Meta's signed webhooks with `keys`.
pub(super) fn start_serve_with(
    options: ServeOptions,
    keys: Option<handlers::webhooks::MetaWebhookKeys>,
) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let ctx = match keys {
                Some(keys) => crate::webhooks::webhook_ctx(embedded_store(), keys),
                None => ctx(embedded_store()),
            };
            let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("events/inbound");
            let seeded = whatsapp_lambda::serve::seed(&ctx, &events).await.unwrap();
            assert!(seeded.unwrap_or(0) > 20, "seeded {seeded:?}");
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            serve_with(ctx, listener, options).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// A blocking POST (a webhook to /events, an action to /), answered JSON.
pub(super) fn post(addr: SocketAddr, path: &str, body: &Value) -> Value {
    use std::io::{Read, Write};
    let body = body.to_string();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr.port(),
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap()
}

fn save(browser: &Browser, name: &str) {
    let Ok(dir) = std::env::var("SCREENSHOTS_DIR") else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), browser.screenshot()).unwrap();
}

#[test]
fn the_inbox_works_in_a_real_browser() {
    let Some((driver, chromium)) = installed() else {
        assert!(
            std::env::var("BROWSER_TESTS").as_deref() != Ok("require"),
            "BROWSER_TESTS=require but chromium / chromedriver are not installed"
        );
        eprintln!(
            "SKIPPED: chromium and chromedriver are not installed (tests/run.sh installs them)"
        );
        return;
    };
    let browser = Browser::start(&driver, &chromium);
    inbox_scenario(&browser);
    message_model_scenario(&browser);
    token_scenario(&browser);
    channel_scenario(&browser);
}

fn inbox_scenario(browser: &Browser) {
    let addr = start_serve(ServeOptions::default());
    browser.resize(1280, 800);
    browser.goto(&format!("http://127.0.0.1:{}/", addr.port()));

    // the seeded conversations, with their unread badges
    browser.wait(
        "the three seeded conversations",
        "return document.querySelectorAll('.conversation').length === 3",
        json!([]),
    );
    let names = browser.run(
        "return [...document.querySelectorAll('.conversation .name')].map(n => n.textContent)",
        json!([]),
    );
    // the third opened the chat (request_welcome) and has written nothing yet
    assert_eq!(names, json!(["Kerry Fisher", "Kerry Fisher", "Ana Souza"]));
    let badge = browser.run(
        "return document.querySelector(`.conversation[data-pk='${arguments[0]}'] .badge`)?.textContent",
        json!([CONV]),
    );
    assert!(
        badge
            .as_str()
            .is_some_and(|b| b.parse::<u32>().unwrap() > 20),
        "{badge}"
    );
    // the phone picker stays hidden with one phone
    assert_eq!(
        browser.run(
            "return document.getElementById('phone-picker').hidden",
            json!([])
        ),
        json!(true)
    );

    // open it: every stored kind is rendered, and it is marked read
    browser.click(&format!(".conversation[data-pk='{CONV}']"));
    browser.wait(
        "the thread",
        "return document.querySelectorAll('#messages li.msg').length >= 25",
        json!([]),
    );
    for kind in [
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "order",
        "system",
        "unsupported",
    ] {
        let found = browser.run(
            "return document.querySelectorAll(`li.msg[data-kind='${arguments[0]}']`).length",
            json!([kind]),
        );
        assert!(found.as_u64().unwrap() > 0, "no {kind} message rendered");
    }
    let text_of = |css: &str| {
        browser.run(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent).join(' | ')",
            json!([css]),
        )
    };
    let location = text_of("li.msg[data-kind='location']").to_string();
    assert!(
        location.contains("Philz Coffee") && location.contains("37.44221"),
        "{location}"
    );
    let map = browser.run(
        "return document.querySelector(\"li.msg[data-kind='location'] a\").href",
        json!([]),
    );
    assert!(
        map.as_str()
            .unwrap()
            .starts_with("https://www.openstreetmap.org/"),
        "{map}"
    );
    assert!(
        text_of("li.msg[data-kind='contacts']")
            .to_string()
            .contains("Oliver")
    );
    assert!(
        text_of("li.msg[data-kind='order']")
            .to_string()
            .contains("Total 85.50 USD")
    );
    assert!(
        text_of("li.msg[data-kind='unsupported']")
            .to_string()
            .contains("Unsupported message")
    );
    assert!(
        text_of("li.msg[data-kind='interactive']")
            .to_string()
            .contains("Priority Mail Express")
    );
    assert!(
        text_of("li.msg[data-kind='button']")
            .to_string()
            .contains("Track order")
    );
    assert!(
        text_of("li.msg.system")
            .to_string()
            .contains("changed from")
    );
    let failed = text_of("li.msg.out[data-status='failed']").to_string();
    assert!(
        failed.contains("Not delivered: Re-engagement message") && failed.contains("131047"),
        "{failed}"
    );
    assert!(
        text_of(".tick-read")
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        text_of(".quote").as_str().is_some_and(|t| !t.is_empty()),
        "reply quotes"
    );
    browser.wait(
        "the conversation marked read",
        "return !document.querySelector(`.conversation[data-pk='${arguments[0]}'] .badge`)",
        json!([CONV]),
    );
    // the window closed in 2025: only templates are offered
    assert_eq!(
        browser.run(
            "return document.getElementById('free-form').hidden",
            json!([])
        ),
        json!(true)
    );

    // an inbound webhook appears live, without a reload, formatted
    browser.run("window.notReloaded = true", json!([]));
    let now = chrono::Utc::now().timestamp();
    let event = text_event(
        "sns-browser-live",
        "wamid.BROWSER-LIVE-1",
        CUSTOMER,
        now,
        "Still *there*? _Order_ ~7781~ ```mono```",
    );
    let processed = post(addr, "/events", &event);
    assert_eq!(processed["data"]["messages"], 1, "{processed}");
    browser.wait(
        "the live message",
        "return document.querySelector(\"li.msg[data-id='wamid.BROWSER-LIVE-1'] strong\")?.textContent === 'there'",
        json!([]),
    );
    assert_eq!(
        browser.run("return window.notReloaded === true", json!([])),
        json!(true)
    );
    let formatted = browser.run(
        "const m = document.querySelector(\"li.msg[data-id='wamid.BROWSER-LIVE-1']\"); return [m.querySelector('em')?.textContent, m.querySelector('s')?.textContent, m.querySelector('code.mono')?.textContent]",
        json!([]),
    );
    assert_eq!(formatted, json!(["Order", "7781", "mono"]));
    // it arrived in the open thread: the page marks it read
    crate::webdriver::wait_for(
        "the live message marked read",
        std::time::Duration::from_secs(30),
        || {
            let c = post(
                addr,
                "/",
                &json!({"action": "get_conversation", "conversationPk": CONV}),
            );
            (c["data"]["unreadCount"] == 0 && c["data"]["lastMessageId"] == "wamid.BROWSER-LIVE-1")
                .then_some(())
        },
    );

    // the window is open now: send a text, see it with its tick
    browser.wait(
        "the composer's free-form row",
        "return !document.getElementById('free-form').hidden",
        json!([]),
    );
    browser.type_into("#text", "On its way, arriving tomorrow");
    browser.click("#send");
    let sent = browser.wait(
        "the sent text with its tick",
        "const m = [...document.querySelectorAll('li.msg.out')].find(m => m.textContent.includes('arriving tomorrow')); return m && m.querySelector('.tick') && m.dataset.id",
        json!([]),
    );

    // simulate_status plays sent, delivered, read: the tick turns to read, live
    let played = post(
        addr,
        "/",
        &json!({"action": "simulate_status", "waMessageId": sent}),
    );
    assert_eq!(played["statusCode"], 200, "{played}");
    browser.wait(
        "the read tick",
        "return document.querySelector(`li.msg[data-id='${arguments[0]}'] .tick`)?.dataset.status === 'read'",
        json!([sent]),
    );
    // a picture from the composer: uploaded, sent, and shown from the local media store
    let picture = std::env::temp_dir().join(format!("inbox-{}.png", std::process::id()));
    std::fs::write(&picture, base64_decode(PICTURE)).unwrap();
    browser.type_into("#file", picture.to_str().unwrap());
    browser.type_into("#text", "The parcel, as packed");
    browser.click("#send");
    browser.wait(
        "the sent picture, loaded through its media link",
        "const m = [...document.querySelectorAll(\"li.msg.out[data-kind='image']\")].find(m => m.textContent.includes('as packed')); const i = m && m.querySelector('img'); return i && i.complete && i.naturalWidth === 96",
        json!([]),
    );
    std::fs::remove_file(&picture).ok();
    // the seeded pictures the sandbox could not fetch show its placeholder picture
    browser.wait(
        "a seeded picture's placeholder",
        "const i = document.querySelector(\"li.msg.in[data-kind='image'] img\"); return i && i.complete && i.naturalWidth === 320",
        json!([]),
    );
    browser.run(
        "const l = document.getElementById('messages'); l.scrollTop = l.scrollHeight",
        json!([]),
    );
    save(browser, "inbox-desktop.png");
    browser.run(
        "document.querySelector(\"li.msg.in[data-kind='image']\").scrollIntoView({block: 'start'})",
        json!([]),
    );
    save(browser, "inbox-kinds.png");
    browser.run(
        "const l = document.getElementById('messages'); l.scrollTop = l.scrollHeight",
        json!([]),
    );

    // phone width: one column, the thread or the list, nothing wider than the screen
    browser.resize(390, 844);
    browser.wait(
        "the phone-width layout",
        "return window.innerWidth <= 420 && getComputedStyle(document.querySelector('.sidebar')).display === 'none'",
        json!([]),
    );
    let overflow = "return document.documentElement.scrollWidth <= window.innerWidth";
    assert_eq!(browser.run(overflow, json!([])), json!(true));
    assert_eq!(
        browser.run(
            "return getComputedStyle(document.getElementById('back')).display !== 'none'",
            json!([])
        ),
        json!(true)
    );
    browser.run(
        "const l = document.getElementById('messages'); l.scrollTop = l.scrollHeight; document.activeElement?.blur()",
        json!([]),
    );
    save(browser, "inbox-phone.png");
    browser.click("#back");
    browser.wait(
        "the list at phone width",
        "return getComputedStyle(document.querySelector('.thread')).display === 'none' && document.querySelector('.conversation').offsetWidth > 300",
        json!([]),
    );
    assert_eq!(browser.run(overflow, json!([])), json!(true));

    // search by name, then by number
    let shown = "return [...document.querySelectorAll('.conversation')].map(c => c.dataset.pk)";
    browser.type_into("#search", "souza");
    browser.wait(
        "the search by name",
        "return document.querySelectorAll('.conversation').length === 1",
        json!([]),
    );
    assert_eq!(
        browser.run(shown, json!([])),
        json!(["CONV#106540352242922#447700900123"])
    );
    browser.clear("#search");
    browser.type_into("#search", "+1 650 555");
    browser.wait(
        "the search by number",
        "return document.querySelectorAll('.conversation').length === 1",
        json!([]),
    );
    assert_eq!(browser.run(shown, json!([])), json!([CONV]));
    browser.clear("#search");
    browser.wait(
        "the search cleared",
        "return document.querySelectorAll('.conversation').length === 3",
        json!([]),
    );

    // keyboard: Enter on a conversation opens it; archive it, find it under Archived
    browser.resize(1280, 800);
    browser.type_into(&format!(".conversation[data-pk='{CONV}']"), "\u{E007}");
    browser.wait(
        "the thread opened from the keyboard",
        "return document.getElementById('thread-title').textContent === 'Kerry' && !document.getElementById('archive').hidden",
        json!([]),
    );
    browser.click("#archive");
    browser.wait(
        "the archived conversation gone from Open",
        "return document.querySelectorAll('.conversation').length === 2",
        json!([]),
    );
    browser.click("#show-archived");
    browser.wait(
        "the archived conversation under Archived",
        "return document.querySelector(`.conversation[data-pk='${arguments[0]}']`)",
        json!([CONV]),
    );
}
