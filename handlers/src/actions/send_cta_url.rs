//! `send_cta_url`: a message with one call-to-action URL button.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::interactive::Frame;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_cta_url";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a message with a call-to-action button that opens a URL."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub frame: Frame,
    /// The button's text, at most 20 characters.
    #[schemars(length(max = crate::params::bounds::BUTTON_TEXT))]
    #[serde(alias = "display_text")]
    pub display_text: String,
    /// An http(s) URL.
    #[schemars(length(max = crate::params::bounds::LINK))]
    pub url: String,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    non_empty("displayText", &p.display_text)?;
    check_len("displayText", &p.display_text, 20)?;
    if !(p.url.starts_with("https://") || p.url.starts_with("http://")) {
        return Err(HandlerError::invalid("url", "must be an http(s) URL"));
    }
    let action =
        json!({"name": "cta_url", "parameters": {"display_text": p.display_text, "url": p.url}});
    let out = p.frame.outgoing("cta_url", action)?;
    outbound::send(ctx, &p.common, out).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};
    use serde_json::json;

    #[tokio::test]
    async fn sends_the_cta_url_action() {
        let p = params(send_request(
            json!({"body": "Track it", "displayText": "Track", "url": "https://example.com/t/1"}),
        ));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["interactive"]["action"],
            json!({"name": "cta_url", "parameters": {"display_text": "Track", "url": "https://example.com/t/1"}})
        );
    }

    #[tokio::test]
    async fn the_url_is_http() {
        let p = params(send_request(
            json!({"body": "b", "displayText": "Go", "url": "ftp://x"}),
        ));
        let err = run(&ctx(), p).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `url`: must be an http(s) URL"
        );
    }
}
