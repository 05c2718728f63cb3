//! `send_cta_url`: a message with one call-to-action URL button.

use serde::Deserialize;
use serde_json::json;

use super::interactive::Frame;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput, check_len, non_empty};
use crate::registry::{ActionSpec, Category, Ctx, Param};

pub const NAME: &str = "send_cta_url";

pub const SPEC: ActionSpec = ActionSpec {
    name: NAME,
    category: Category::Messaging,
    summary: "Sends a message with a call-to-action button that opens a URL.",
    params: super::send_params!(
        Param {
            name: "body",
            required: true,
            doc: "at most 1024 characters"
        },
        Param {
            name: "displayText",
            required: true,
            doc: "the button's text, at most 20 characters"
        },
        Param {
            name: "url",
            required: true,
            doc: "an http(s) URL"
        },
        Param {
            name: "header",
            required: false,
            doc: "text ≤60, or a Meta header object"
        },
        Param {
            name: "footer",
            required: false,
            doc: "at most 60 characters"
        },
    ),
    handler: crate::erase!(run),
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub frame: Frame,
    #[serde(alias = "display_text")]
    pub display_text: String,
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
