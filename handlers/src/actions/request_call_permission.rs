//! `request_call_permission`: the interactive `call_permission_request` message, asking the
//! customer to let the business call them (a free-form message: the 24-hour window applies).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::params::check_len;
use crate::registry::ActionSpec;

pub const NAME: &str = "request_call_permission";

pub const SPEC: ActionSpec = crate::action_spec!(
    Calling,
    Send,
    "Asks the customer for permission to call them (interactive call_permission_request)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The message body shown above the request (at most 1024 characters).
    #[schemars(length(max = 1024))]
    #[serde(default)]
    pub body: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    let mut interactive = json!({
        "type": "call_permission_request",
        "action": {"name": "call_permission_request"},
    });
    if let Some(body) = p.body.as_deref().filter(|b| !b.is_empty()) {
        check_len("body", body, 1024)?;
        interactive["body"] = json!({"text": body});
    }
    let out = Outgoing {
        kind: "interactive",
        body: interactive,
        free_form: true,
        text: p.body.clone(),
        preview: "[call permission request]".into(),
        media: None,
    };
    outbound::send(ctx, &p.common, out).await
}
