//! `send_contacts`: one or more contact cards, in Meta's contact format.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_contacts";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends contact cards (Meta's contacts objects: name.formatted_name required, phones, emails, ...)."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    /// A list of Meta contact objects.
    pub contacts: Vec<Value>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    if p.contacts.is_empty() {
        return Err(HandlerError::invalid(
            "contacts",
            "must hold at least one contact",
        ));
    }
    for (i, contact) in p.contacts.iter().enumerate() {
        let name = contact
            .pointer("/name/formatted_name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if name.trim().is_empty() {
            return Err(HandlerError::MissingParam(format!(
                "contacts[{i}].name.formatted_name"
            )));
        }
    }
    let first = p.contacts[0]
        .pointer("/name/formatted_name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let out = Outgoing {
        kind: "contacts",
        body: Value::Array(p.contacts.clone()),
        free_form: true,
        text: None,
        preview: format!("[contacts] {first}"),
        media: None,
    };
    outbound::send(ctx, &p.common, out).await
}
