//! What the flow actions share (not an action): the flow a request names, its state check,
//! and the state transitions (publish, deprecate, delete).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::FlowItem;
use crate::params::ids::MetaId;
use crate::ports::templates::{FlowDetail, Waba};
use crate::templates::{WabaRef, flows};

/// A flow of a WABA.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlowRef {
    #[serde(flatten)]
    pub waba: WabaRef,
    /// Meta's flow id.
    #[serde(alias = "flow_id")]
    pub flow_id: MetaId,
}

impl FlowRef {
    /// The WABA and the flow id (digits only).
    pub async fn resolve(&self, ctx: &Ctx) -> Result<(Waba, String), HandlerError> {
        let id = self.flow_id.trim();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(HandlerError::invalid(
                "flowId",
                "must be Meta's numeric flow id",
            ));
        }
        Ok((self.waba.resolve(ctx).await?, id.to_string()))
    }
}

/// The flow as EUM Social has it now, with its cached item refreshed.
pub async fn current(ctx: &Ctx, waba: &Waba, flow_id: &str) -> Result<FlowDetail, HandlerError> {
    let detail = ctx.templates().get_flow(&waba.eum_id, flow_id).await?;
    let now = crate::time::now_iso();
    flows::refresh(ctx.store(), &waba.meta_id, &detail.summary, &now).await?;
    Ok(detail)
}

/// 400 unless the flow's status is one of `allowed`.
pub fn require(detail: &FlowDetail, allowed: &[&str], doing: &str) -> Result<(), HandlerError> {
    let status = detail.summary.status.as_str();
    if allowed.contains(&status) {
        return Ok(());
    }
    Err(HandlerError::invalid(
        "flowId",
        format!(
            "flow {} is {status}: only a {} flow can be {doing}",
            detail.summary.flow_id,
            allowed.join(" or ")
        ),
    ))
}

/// A state change: publish, deprecate or delete.
#[derive(Debug, Clone, Copy)]
pub enum Transition {
    Publish,
    Deprecate,
    Delete,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitionOutput {
    pub waba_id: String,
    pub flow_id: String,
    pub previous_status: String,
    pub status: String,
    /// The cached `FLOW#…` item.
    pub flow: FlowItem,
}

/// Checks the flow's state, makes the change and records the new status.
pub async fn transition(
    ctx: &Ctx,
    flow: &FlowRef,
    t: Transition,
) -> Result<TransitionOutput, HandlerError> {
    let (waba, flow_id) = flow.resolve(ctx).await?;
    let detail = current(ctx, &waba, &flow_id).await?;
    let api = ctx.templates();
    let status = match t {
        Transition::Publish => {
            require(&detail, &["DRAFT"], "published")?;
            api.publish_flow(&waba.eum_id, &flow_id).await?;
            "PUBLISHED"
        }
        Transition::Deprecate => {
            require(&detail, &["PUBLISHED"], "deprecated")?;
            api.deprecate_flow(&waba.eum_id, &flow_id).await?;
            "DEPRECATED"
        }
        Transition::Delete => {
            require(&detail, &["DRAFT"], "deleted")?;
            api.delete_flow(&waba.eum_id, &flow_id).await?;
            "DELETED"
        }
    };
    let now = crate::time::now_iso();
    let item = flows::update(ctx.store(), &waba.meta_id, &flow_id, &now, |item| {
        item.status = Some(status.into());
    })
    .await?;
    Ok(TransitionOutput {
        waba_id: waba.meta_id,
        flow_id,
        previous_status: detail.summary.status,
        status: status.into(),
        flow: item,
    })
}

/// Meta's flow categories.
pub const CATEGORIES: [&str; 9] = [
    "SIGN_UP",
    "SIGN_IN",
    "APPOINTMENT_BOOKING",
    "LEAD_GENERATION",
    "CONTACT_US",
    "CUSTOMER_SUPPORT",
    "SURVEY",
    "SHOPPING",
    "OTHER",
];

/// 400 unless every category is one of Meta's, and there is at least one.
pub fn check_categories(list: &[String]) -> Result<(), HandlerError> {
    if list.is_empty() {
        return Err(HandlerError::invalid(
            "categories",
            "needs at least one category",
        ));
    }
    if let Some(bad) = list.iter().find(|c| !CATEGORIES.contains(&c.as_str())) {
        return Err(HandlerError::invalid(
            "categories",
            format!("`{bad}` is not one of {}", CATEGORIES.join(", ")),
        ));
    }
    Ok(())
}

/// The Flow JSON as an object: given as one, or as its JSON text.
pub fn flow_json(value: &serde_json::Value) -> Result<serde_json::Value, HandlerError> {
    let parsed = match value {
        serde_json::Value::String(text) => serde_json::from_str(text)
            .map_err(|e| HandlerError::invalid("flowJson", format!("is not JSON: {e}")))?,
        other => other.clone(),
    };
    if !parsed
        .get("screens")
        .is_some_and(serde_json::Value::is_array)
    {
        return Err(HandlerError::invalid(
            "flowJson",
            "must be a Flow JSON object with `version` and `screens`",
        ));
    }
    Ok(parsed)
}
