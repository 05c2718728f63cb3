//! `send_text`: a text message (with link preview on request).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::params;
use crate::params::lenient;
use crate::registry::ActionSpec;

pub const NAME: &str = "send_text";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a text message (at most 4096 characters) inside the 24-hour window."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The message, at most 4096 characters.
    #[schemars(length(max = crate::params::bounds::TEXT))]
    #[serde(alias = "body", alias = "message")]
    pub text: String,
    /// True renders a preview of the first URL.
    #[serde(default, alias = "preview_url", deserialize_with = "lenient::bool")]
    pub preview_url: bool,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    params::non_empty("text", &p.text)?;
    params::check_len("text", &p.text, 4096)?;
    let out = Outgoing {
        kind: "text",
        body: json!({"preview_url": p.preview_url, "body": p.text}),
        free_form: true,
        preview: p.text.clone(),
        text: Some(p.text),
        media: None,
    };
    outbound::send(ctx, &p.common, out).await
}
