//! The browser scenarios past the main one: the message model's attributes and escaping, the
//! page behind `SERVE_TOKEN`, and other channels than WhatsApp.

use serde_json::json;
use whatsapp_lambda::serve::ServeOptions;

use super::{post, start_serve, start_serve_with};
use crate::webdriver::Browser;

/// The message attributes of edits, deletions and reactions, and escaping: stored text is
/// never parsed as HTML.
pub(super) fn message_model_scenario(browser: &Browser) {
    let rendered = browser.run_async(
        r#"const done = arguments[arguments.length - 1];
        import('/inbox/message.js').then(({ messageView }) => {
          const ctx = { byId: () => undefined, onReply() {}, onQuote() {}, mediaUrl: async () => '' };
          const edited = messageView({ waMessageId: 'wamid.E', direction: 'INBOUND', type: 'text',
            text: '<img src=x onerror="window.pwned=1"> *now*', receivedAt: '2026-11-20T10:00:00Z',
            editedAt: '2026-11-20T10:05:00Z', edits: [{ text: 'first version', editedAt: '2026-11-20T10:01:00Z' }],
            reactions: { '16505551234': { emoji: '👍', at: '2026-11-20T10:06:00Z' }, 'business': { emoji: '🎉' } } }, ctx);
          const deleted = messageView({ waMessageId: 'wamid.D', direction: 'OUTBOUND', type: 'text', text: 'secret plan',
            status: 'read', receivedAt: '2026-11-20T10:00:00Z', deletedAt: '2026-11-20T10:02:00Z', deletedBy: 'business' }, ctx);
          document.getElementById('messages').append(edited, deleted);
          done({
            images: edited.querySelectorAll('img').length,
            text: edited.querySelector('.text').textContent,
            bold: edited.querySelector('.text strong')?.textContent,
            edited: edited.querySelector('.edited')?.textContent,
            earlier: edited.querySelector('.edits').textContent.includes('first version'),
            reactions: [...edited.querySelectorAll('.reactions li')].map((r) => r.textContent),
            deleted: deleted.textContent.includes('This message was deleted'),
            leaked: deleted.textContent.includes('secret plan'),
          });
        });"#,
        json!([]),
    );
    assert_eq!(
        rendered,
        json!({
            "images": 0,
            "text": "<img src=x onerror=\"window.pwned=1\"> now",
            "bold": "now",
            "edited": "edited",
            "earlier": true,
            "reactions": ["👍", "🎉"],
            "deleted": true,
            "leaked": false,
        })
    );
    assert_eq!(
        browser.run("return window.pwned === undefined", json!([])),
        json!(true)
    );
}

/// With SERVE_TOKEN the page loads, asks for the token, and works once given `#token=`.
pub(super) fn token_scenario(browser: &Browser) {
    let token = "browser-test-token-0123456789";
    let addr = start_serve(ServeOptions {
        token: Some(token.into()),
        ..Default::default()
    });
    browser.resize(1280, 800);
    browser.goto(&format!("http://127.0.0.1:{}/", addr.port()));
    browser.wait(
        "the token prompt",
        "return document.getElementById('token-dialog').open",
        json!([]),
    );
    browser.goto(&format!("http://127.0.0.1:{}/#token={token}", addr.port()));
    browser.run("location.reload()", json!([]));
    browser.wait(
        "the conversations behind the token",
        "return document.querySelectorAll('.conversation').length === 3 && document.getElementById('live').dataset.state === 'live'",
        json!([]),
    );
    assert_eq!(
        browser.run(
            "return [location.hash, document.getElementById('token-dialog').open]",
            json!([])
        ),
        json!(["", false]),
        "the token leaves the address bar"
    );
}

/// An Instagram conversation (a signed Meta webhook) shows under its account with its channel,
/// and the channel filter, which appears once such a conversation does, narrows the list.
pub(super) fn channel_scenario(browser: &Browser) {
    use crate::webhooks::{IG, SECRET, keys};
    let addr = start_serve_with(ServeOptions::default(), Some(keys(&[SECRET], None)));
    let event = crate::helpers::load("events/webhooks/instagram-text.json");
    let answer = post(addr, "/events", &event);
    assert_eq!(answer["statusCode"], 200, "{answer}");
    browser.resize(1280, 800);
    browser.goto(&format!("http://127.0.0.1:{}/", addr.port()));
    browser.wait(
        "the Instagram account in the phone picker",
        "return !document.getElementById('phone-picker').hidden && [...document.getElementById('phone').options].some(o => o.value === arguments[0])",
        json!([IG]),
    );
    browser.run(
        "const s = document.getElementById('phone'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))",
        json!([IG]),
    );
    browser.wait(
        "the Instagram conversation with its channel, and the channel filter",
        "const c = document.querySelectorAll('.conversation'); return c.length === 1 && c[0].querySelector('.channel')?.textContent === 'Instagram' && !document.getElementById('channel-picker').hidden",
        json!([]),
    );
    let choose = "const s = document.getElementById('channel'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))";
    browser.run(choose, json!(["messenger"]));
    browser.wait(
        "no Messenger conversation",
        "return document.querySelectorAll('.conversation').length === 0 && document.getElementById('list-status').textContent !== ''",
        json!([]),
    );
    browser.run(choose, json!(["instagram"]));
    browser.wait(
        "the Instagram conversation again",
        "return document.querySelectorAll('.conversation').length === 1",
        json!([]),
    );
    browser.click(".conversation");
    browser.wait(
        "the Instagram message in the thread",
        "return [...document.querySelectorAll('#messages li.msg')].some(m => m.textContent.includes('Do you ship to Lisbon?'))",
        json!([]),
    );
}
