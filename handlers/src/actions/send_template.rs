//! `send_template`: an approved message template, the one kind of message allowed outside
//! the 24-hour window.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::params::ids::{Language, TemplateName};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, check};

pub const NAME: &str = "send_template";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends an approved template (any time); parameters as strings or Meta parameter objects."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateButton {
    pub index: u32,
    #[serde(default = "quick_reply", alias = "sub_type")]
    pub sub_type: String,
    #[serde(default)]
    pub parameters: Vec<Value>,
}

fn quick_reply() -> String {
    "quick_reply".into()
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    /// The template's name.
    #[schemars(length(max = 512))]
    #[serde(alias = "templateName")]
    pub name: TemplateName,
    /// Its language code, default en_US.
    #[serde(default = "english", alias = "languageCode")]
    pub language: Language,
    /// Header parameters: a list, or one Meta parameter object (image, document, ...).
    #[serde(default)]
    pub header: Option<Value>,
    /// Body parameters, in order: ["Kerry", "#1234"].
    #[serde(default)]
    pub body: Vec<Value>,
    /// [{"index": 0, "subType": "quick_reply"|"url", "parameters": [...]}].
    #[serde(default)]
    pub buttons: Vec<TemplateButton>,
    /// Meta's components list as is (instead of header/body/buttons).
    #[serde(default)]
    pub components: Option<Vec<Value>>,
    /// Send without checking the cached template (exists, APPROVED, parameter count).
    #[serde(
        default,
        rename = "skipTemplateCheck",
        alias = "skip_template_check",
        deserialize_with = "crate::params::lenient::bool"
    )]
    pub skip_template_check: bool,
    /// The WABA the template belongs to, to fetch it when it is not cached (default
    /// `DEFAULT_WABA_ID`).
    #[serde(flatten)]
    pub waba: WabaRef,
    #[serde(flatten)]
    pub common: SendCommon,
}

fn english() -> Language {
    Language::from_trusted("en_US")
}

/// `"Kerry"` → `{"type": "text", "text": "Kerry"}`; objects are Meta parameters already.
pub(crate) fn parameter(field: &str, v: &Value) -> Result<Value, HandlerError> {
    match v {
        Value::String(s) => Ok(json!({"type": "text", "text": s})),
        Value::Number(n) => Ok(json!({"type": "text", "text": n.to_string()})),
        Value::Object(o) if o.contains_key("type") => Ok(v.clone()),
        _ => Err(HandlerError::invalid(
            field,
            "a parameter is a string or a Meta parameter object with a `type`",
        )),
    }
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    non_empty("name", &p.name)?;
    check_len("name", &p.name, 512)?;
    non_empty("language", &p.language)?;
    let components = match &p.components {
        Some(raw) => {
            if p.header.is_some() || !p.body.is_empty() || !p.buttons.is_empty() {
                return Err(HandlerError::invalid(
                    "components",
                    "give either `components` or header/body/buttons, not both",
                ));
            }
            raw.clone()
        }
        None => {
            let mut components = Vec::new();
            let header: Vec<Value> = match &p.header {
                None => Vec::new(),
                Some(Value::Array(list)) => list
                    .iter()
                    .enumerate()
                    .map(|(i, v)| parameter(&format!("header[{i}]"), v))
                    .collect::<Result<_, _>>()?,
                Some(one) => vec![parameter("header", one)?],
            };
            if !header.is_empty() {
                components.push(json!({"type": "header", "parameters": header}));
            }
            if !p.body.is_empty() {
                let body: Vec<Value> = p
                    .body
                    .iter()
                    .enumerate()
                    .map(|(i, v)| parameter(&format!("body[{i}]"), v))
                    .collect::<Result<_, _>>()?;
                components.push(json!({"type": "body", "parameters": body}));
            }
            for (i, b) in p.buttons.iter().enumerate() {
                if b.index > 9 {
                    return Err(HandlerError::invalid(
                        &format!("buttons[{i}].index"),
                        "must be 0 to 9",
                    ));
                }
                let parameters: Vec<Value> = b
                    .parameters
                    .iter()
                    .map(|v| match v {
                        Value::String(s) if b.sub_type == "quick_reply" => {
                            Ok(json!({"type": "payload", "payload": s}))
                        }
                        other => parameter(&format!("buttons[{i}].parameters"), other),
                    })
                    .collect::<Result<_, _>>()?;
                components.push(json!({"type": "button", "sub_type": b.sub_type, "index": b.index.to_string(), "parameters": parameters}));
            }
            components
        }
    };
    if !p.skip_template_check {
        let cached = check::cached_template(ctx, &p.waba, &p.name, &p.language).await?;
        check::check_send(&cached, &components)?;
    }
    let mut template = json!({"name": p.name, "language": {"code": p.language}});
    if !components.is_empty() {
        template["components"] = Value::Array(components);
    }
    crate::platform::customers::check_marketing(
        ctx,
        &p.name,
        &p.language,
        p.common.to.as_deref(),
        p.common.recipient.as_deref(),
    )
    .await?;
    let out = Outgoing {
        kind: "template",
        body: template,
        free_form: false,
        text: None,
        preview: format!("[template] {}", p.name),
        media: None,
    };
    outbound::send(ctx, &p.common, out).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::params;
    use serde_json::json;

    /// A sandbox context whose WABA `waba-1` has the approved template `order_update` (de):
    /// a body with two parameters.
    async fn ctx() -> Ctx {
        let ctx = Ctx::new(
            std::sync::Arc::new(crate::testing::NullStore),
            crate::Settings {
                default_phone_number_id: Some(crate::testing::PHONE.into()),
                default_waba_id: Some("waba-1".into()),
                ..Default::default()
            },
        );
        ctx.templates()
            .create_template(
                "waba-1",
                &json!({"name": "order_update", "language": "de", "category": "UTILITY",
                        "components": [{"type": "BODY", "text": "Hallo {{1}}, Bestellung {{2}}"}]}),
            )
            .await
            .unwrap();
        ctx
    }

    #[tokio::test]
    async fn shorthand_parameters_become_meta_components() {
        // GIVEN no window at all (templates are exempt), string parameters and a URL button
        let p = params(json!({
            "to": "15550001111", "name": "order_update", "language": "de",
            "body": ["Kerry", 1234],
            "buttons": [{"index": 0, "subType": "url", "parameters": ["track/1"]}, {"index": 1, "parameters": ["STOP"]}]
        }));
        let out = run(&ctx().await, p).await.unwrap();
        assert_eq!(
            out.message["template"],
            json!({"name": "order_update", "language": {"code": "de"}, "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "Kerry"}, {"type": "text", "text": "1234"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "track/1"}]},
                {"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [{"type": "payload", "payload": "STOP"}]}
            ]})
        );
    }

    #[tokio::test]
    async fn bad_parameters_are_named() {
        let p = params(json!({"to": "15550001111", "name": "t", "body": [true]}));
        let err = run(&ctx().await, p).await.unwrap_err();
        assert!(
            err.to_string().starts_with("invalid parameter `body[0]`"),
            "{err}"
        );
        let p = params(json!({"to": "15550001111", "name": "t", "buttons": [{"index": 10}]}));
        let err = run(&ctx().await, p).await.unwrap_err();
        assert!(err.to_string().contains("`buttons[0].index`"), "{err}");
    }

    #[tokio::test]
    async fn the_template_is_checked_before_sending() {
        let ctx = ctx().await;
        // a template that does not exist
        let p = params(json!({"to": "15550001111", "name": "nope", "language": "de"}));
        let err = run(&ctx, p).await.unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(
            err.to_string()
                .contains("template `nope` (de) does not exist in WABA 1"),
            "{err}"
        );
        // one body parameter short
        let p = params(
            json!({"to": "15550001111", "name": "order_update", "language": "de", "body": ["Kerry"]}),
        );
        let err = run(&ctx, p).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `body`: template `order_update` (de) expects 2 body parameters; 1 given"
        );
        // skipTemplateCheck sends it anyway
        let p = params(
            json!({"to": "15550001111", "name": "nope", "language": "de", "skipTemplateCheck": true}),
        );
        run(&ctx, p).await.unwrap();
    }

    #[test]
    fn only_approved_templates_pass() {
        let mut item = crate::templates::cache::blank("1", "t", "en_US", "now");
        item.status = "PAUSED".into();
        item.reason = Some("LOW_QUALITY".into());
        let err = check::check_send(&item, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `name`: template `t` (en_US) is PAUSED (LOW_QUALITY): only APPROVED templates can be sent"
        );
    }
}
