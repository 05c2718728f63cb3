//! The browser scenarios past the main one: the message model's attributes and escaping, and
//! the page behind `SERVE_TOKEN`.

use serde_json::json;
use whatsapp_lambda::serve::ServeOptions;

use super::start_serve;
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
