//! `register_webhook`: where EUM Social publishes a WABA's webhooks
//! (`PutWhatsAppBusinessAccountEventDestinations`): the SNS topic and, optionally, the role.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::EumId;
use crate::params::non_empty;
use crate::platform::phones;
use crate::ports::account::EventDestination;
use crate::registry::ActionSpec;

pub const NAME: &str = "register_webhook";

pub const SPEC: ActionSpec = crate::action_spec!(
    Config,
    Admin,
    "Sets the SNS topic (and role) EUM Social publishes a WABA's webhooks to."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The SNS topic ARN the events go to.
    #[serde(alias = "topic_arn", alias = "eventDestinationArn")]
    pub topic_arn: String,
    /// The IAM role EUM Social assumes to publish (optional).
    #[serde(default, alias = "role_arn")]
    pub role_arn: Option<String>,
    /// The WABA: Meta id or EUM `waba-…`; defaults to DEFAULT_WABA_ID, else the only one linked.
    #[serde(default, alias = "waba_id")]
    pub waba_id: Option<EumId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The EUM id of the WABA.
    pub id: String,
    pub event_destinations: Vec<EventDestination>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    non_empty("topicArn", &p.topic_arn)?;
    if !p.topic_arn.starts_with("arn:") {
        return Err(HandlerError::invalid(
            "topicArn",
            "must be an SNS topic ARN (arn:aws:sns:…)",
        ));
    }
    let id = phones::eum_waba(ctx, p.waba_id.as_deref()).await?;
    let destinations = vec![EventDestination {
        event_destination_arn: p.topic_arn,
        role_arn: p.role_arn.filter(|r| !r.is_empty()),
    }];
    ctx.platform()
        .account
        .put_event_destinations(&id, &destinations)
        .await?;
    Ok(Output {
        id,
        event_destinations: destinations,
    })
}
