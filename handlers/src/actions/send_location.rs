//! `send_location`: a map pin.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_location";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a location pin with an optional name and address."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    /// -90 to 90.
    pub latitude: f64,
    /// -180 to 180.
    pub longitude: f64,
    /// The place's name.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    #[serde(default)]
    pub name: Option<String>,
    /// The place's address.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    #[serde(default)]
    pub address: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    if !(-90.0..=90.0).contains(&p.latitude) {
        return Err(HandlerError::invalid(
            "latitude",
            "must be between -90 and 90",
        ));
    }
    if !(-180.0..=180.0).contains(&p.longitude) {
        return Err(HandlerError::invalid(
            "longitude",
            "must be between -180 and 180",
        ));
    }
    let mut body = Map::new();
    body.insert("latitude".into(), json!(p.latitude));
    body.insert("longitude".into(), json!(p.longitude));
    if let Some(name) = &p.name {
        body.insert("name".into(), json!(name));
    }
    if let Some(address) = &p.address {
        body.insert("address".into(), json!(address));
    }
    let preview = format!(
        "[location] {}",
        p.name
            .clone()
            .unwrap_or_else(|| format!("{}, {}", p.latitude, p.longitude))
    );
    let out = Outgoing {
        kind: "location",
        body: Value::Object(body),
        free_form: true,
        text: p.name.clone(),
        preview,
        media: None,
    };
    outbound::send(ctx, &p.common, out).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};
    use serde_json::json;

    #[tokio::test]
    async fn sends_the_pin_and_names_it_in_the_preview() {
        let p = params(send_request(
            json!({"latitude": 52.52, "longitude": 13.405, "name": "Office"}),
        ));
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(
            out.message["location"],
            json!({"latitude": 52.52, "longitude": 13.405, "name": "Office"})
        );
    }

    #[tokio::test]
    async fn coordinates_are_bounded() {
        let p = params(send_request(json!({"latitude": 91, "longitude": 0})));
        let err = run(&ctx(), p).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `latitude`: must be between -90 and 90"
        );
        let p = params(send_request(json!({"latitude": 0, "longitude": -181})));
        let err = run(&ctx(), p).await.unwrap_err();
        assert!(err.to_string().contains("`longitude`"), "{err}");
    }
}
