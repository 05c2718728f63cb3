//! `send_flow`: the interactive flow message that opens a WhatsApp Flow (flow id or name,
//! token, CTA, first screen and its data). The sent message is remembered with its flow, so
//! the customer's completed-flow reply (`nfm_reply`) is linked to it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::interactive::Frame;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::params::ids::MetaId;
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, flows};

pub const NAME: &str = "send_flow";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends an interactive flow message: a button that opens a flow at its first screen with data."
);

/// What the flow does when opened.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowAction {
    /// Open `screen` with `data` (default).
    #[default]
    Navigate,
    /// Ask the flow's endpoint for the first screen.
    DataExchange,
}

/// Which version of the flow opens.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowMode {
    #[default]
    Published,
    /// The DRAFT version (for testing).
    Draft,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub frame: Frame,
    /// Meta's flow id (or give `flowName`).
    #[serde(default, alias = "flow_id")]
    pub flow_id: Option<MetaId>,
    /// The flow's name (instead of `flowId`).
    #[serde(default, alias = "flow_name")]
    pub flow_name: Option<String>,
    /// The token the flow's replies and endpoint calls carry (default: generated).
    #[schemars(length(max = crate::params::bounds::TOKEN))]
    #[serde(default, alias = "flow_token")]
    pub flow_token: Option<String>,
    /// The button's text, at most 30 characters.
    #[schemars(length(max = crate::params::bounds::FLOW_CTA))]
    #[serde(alias = "flow_cta", alias = "flowCta")]
    pub cta: String,
    /// `navigate` (default) or `data_exchange`.
    #[serde(default, alias = "flow_action")]
    pub flow_action: FlowAction,
    /// The first screen (required with `navigate`).
    #[serde(default)]
    pub screen: Option<String>,
    /// Data for the first screen (an object).
    #[serde(default)]
    pub data: Option<Value>,
    /// `published` (default) or `draft`.
    #[serde(default)]
    pub mode: FlowMode,
    /// The flow's WABA, to link replies to its `FLOW#…` item (default `DEFAULT_WABA_ID`).
    #[serde(flatten)]
    pub waba: WabaRef,
    #[serde(flatten)]
    pub common: SendCommon,
}

/// Meta's `action` of a flow message.
fn action(p: &Params, token: &str) -> Result<Value, HandlerError> {
    non_empty("cta", &p.cta)?;
    check_len("cta", &p.cta, 30)?;
    let mut parameters = Map::new();
    parameters.insert("flow_message_version".into(), json!("3"));
    parameters.insert("flow_token".into(), json!(token));
    match (&p.flow_id, &p.flow_name) {
        (Some(id), None) if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) => {
            parameters.insert("flow_id".into(), json!(id));
        }
        (Some(_), None) => {
            return Err(HandlerError::invalid(
                "flowId",
                "must be Meta's numeric flow id",
            ));
        }
        (None, Some(name)) => {
            non_empty("flowName", name)?;
            parameters.insert("flow_name".into(), json!(name));
        }
        _ => {
            return Err(HandlerError::MissingParam(
                "flowId or flowName (one of them)".into(),
            ));
        }
    }
    parameters.insert("flow_cta".into(), json!(p.cta));
    if let FlowMode::Draft = p.mode {
        parameters.insert("mode".into(), json!("draft"));
    }
    match p.flow_action {
        FlowAction::Navigate => {
            let screen = p
                .screen
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    HandlerError::MissingParam(
                        "screen (the flow's first screen, for navigate)".into(),
                    )
                })?;
            let mut payload = json!({"screen": screen});
            match &p.data {
                None => {}
                Some(data @ Value::Object(o)) if !o.is_empty() => payload["data"] = data.clone(),
                Some(Value::Object(_)) => {}
                Some(_) => return Err(HandlerError::invalid("data", "must be an object")),
            }
            parameters.insert("flow_action".into(), json!("navigate"));
            parameters.insert("flow_action_payload".into(), payload);
        }
        FlowAction::DataExchange => {
            parameters.insert("flow_action".into(), json!("data_exchange"));
        }
    }
    Ok(json!({"name": "flow", "parameters": parameters}))
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    let token = p
        .flow_token
        .clone()
        .unwrap_or_else(|| format!("flowtoken-{}", uuid::Uuid::now_v7().simple()));
    let out = p.frame.outgoing("flow", action(&p, &token)?)?;
    let waba = match p.waba.resolve(ctx).await {
        Ok(w) => Some(w),
        Err(HandlerError::MissingParam(_)) => None,
        Err(e) => return Err(e),
    };
    let sent = outbound::send(ctx, &p.common, out).await?;
    if let (Some(waba), Some(flow_id)) = (waba, &p.flow_id)
        && !sent.replayed
    {
        let now = crate::time::now_iso();
        flows::remember_sent(
            ctx.store(),
            &waba.meta_id,
            &sent.wa_message_id,
            flow_id,
            Some(&token),
            &now,
        )
        .await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};

    #[tokio::test]
    async fn sends_meta_flow_message() {
        let p = params(send_request(
            json!({"body": "Book your visit", "flowId": "1234567890",
            "flowToken": "tok-1", "cta": "Book", "screen": "WELCOME", "data": {"name": "Kerry"}, "mode": "draft"}),
        ));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["interactive"],
            json!({"type": "flow", "body": {"text": "Book your visit"}, "action": {"name": "flow", "parameters": {
                "flow_message_version": "3", "flow_token": "tok-1", "flow_id": "1234567890", "flow_cta": "Book",
                "mode": "draft", "flow_action": "navigate",
                "flow_action_payload": {"screen": "WELCOME", "data": {"name": "Kerry"}}}}})
        );
    }

    #[tokio::test]
    async fn what_is_missing_is_named() {
        for (extra, expected) in [
            (json!({"cta": "Go", "screen": "A"}), "flowId or flowName"),
            (json!({"flowId": "12", "cta": "Go"}), "screen"),
            (
                json!({"flowId": "x1", "cta": "Go", "screen": "A"}),
                "`flowId`",
            ),
            (
                json!({"flowId": "12", "cta": "x".repeat(31), "screen": "A"}),
                "`cta`",
            ),
        ] {
            let mut request = send_request(json!({"body": "b"}));
            request
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            // A flow id that is not Meta's is refused as the registry decodes it.
            let err = match crate::params::parse_request::<Params>(request) {
                Ok(p) => run(&ctx(), p).await.unwrap_err(),
                Err(e) => e,
            };
            assert!(err.to_string().contains(expected), "{expected}: {err}");
        }
    }
}
