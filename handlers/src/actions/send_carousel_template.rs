//! `send_carousel_template`: an approved media card carousel template (a marketing template
//! with 2 to 10 scrollable cards, each an image or video with buttons).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::send_template::parameter;
use crate::commerce::carousel::{self, Card};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, Outgoing, SendCommon, SendOutput};
use crate::params::ids::{Language, TemplateName};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, check};

pub const NAME: &str = "send_carousel_template";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends an approved media card carousel template: 2 to 10 cards (as many as the template \
     defines), each an image or video with up to 2 buttons."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The template's name.
    #[schemars(length(max = 512))]
    #[serde(alias = "templateName")]
    pub name: TemplateName,
    /// Its language code, default en_US.
    #[serde(default = "english", alias = "languageCode")]
    pub language: Language,
    /// The message body's parameters, in order (strings or Meta parameter objects).
    #[serde(default)]
    pub body: Vec<Value>,
    /// The cards, in order: [{"image"|"video": "<media id or https link>", "body": [...],
    /// "buttons": [{"subType": "quick_reply", "payload"} | {"subType": "url", "text"}]}].
    pub cards: Vec<Card>,
    /// Send without checking the cached template (exists, APPROVED, card count, parameters).
    #[serde(
        default,
        rename = "skipTemplateCheck",
        alias = "skip_template_check",
        deserialize_with = "crate::params::lenient::bool"
    )]
    pub skip_template_check: bool,
    /// The WABA the template belongs to (default `DEFAULT_WABA_ID`).
    #[serde(flatten)]
    pub waba: WabaRef,
    #[serde(flatten)]
    pub common: SendCommon,
}

fn english() -> Language {
    Language::from_trusted("en_US")
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    non_empty("name", &p.name)?;
    check_len("name", &p.name, 512)?;
    non_empty("language", &p.language)?;
    let mut components = Vec::new();
    if !p.body.is_empty() {
        let body: Vec<Value> = p
            .body
            .iter()
            .enumerate()
            .map(|(i, v)| parameter(&format!("body[{i}]"), v))
            .collect::<Result<_, _>>()?;
        components.push(json!({"type": "body", "parameters": body}));
    }
    components.push(carousel::component(&p.cards, parameter)?);
    if !p.skip_template_check {
        let cached = check::cached_template(ctx, &p.waba, &p.name, &p.language).await?;
        check::check_send(&cached, &components)?;
        if let Some(defined) = &cached.components {
            let label = format!("template `{}` ({})", p.name, p.language);
            carousel::check_against(&label, defined, &p.cards)?;
        }
    }
    crate::platform::customers::check_marketing(
        ctx,
        &p.name,
        &p.language,
        p.common.to.as_deref(),
        p.common.recipient.as_deref(),
    )
    .await?;
    let template =
        json!({"name": p.name, "language": {"code": p.language}, "components": components});
    let out = Outgoing {
        kind: "template",
        body: template,
        free_form: false,
        text: None,
        preview: format!("[carousel] {} ({} cards)", p.name, p.cards.len()),
        media: None,
    };
    outbound::send(ctx, &p.common, out).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::params;

    fn cards(n: usize) -> Value {
        (0..n)
            .map(|i| {
                json!({"image": format!("media-{i}"), "body": [format!("{i}0 €")],
                           "buttons": [{"subType": "quick_reply", "payload": format!("MORE_{i}")},
                                       {"subType": "url", "text": format!("p/{i}")}]})
            })
            .collect()
    }

    fn request(cards: Value) -> Params {
        params(
            json!({"to": "15550001111", "name": "summer", "body": ["Kerry"],
                      "cards": cards, "skipTemplateCheck": true}),
        )
    }

    #[tokio::test]
    async fn builds_metas_carousel_component() {
        let out = run(&crate::testing::ctx(), request(cards(2)))
            .await
            .unwrap();
        let components = &out.message["template"]["components"];
        assert_eq!(
            components[0],
            json!({"type": "body", "parameters": [{"type": "text", "text": "Kerry"}]})
        );
        assert_eq!(
            components[1]["cards"][1],
            json!({"card_index": 1, "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"id": "media-1"}}]},
                {"type": "body", "parameters": [{"type": "text", "text": "10 €"}]},
                {"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "MORE_1"}]},
                {"type": "button", "sub_type": "url", "index": 1, "parameters": [{"type": "text", "text": "p/1"}]}
            ]})
        );
    }

    #[tokio::test]
    async fn card_limits_are_named() {
        for n in [1, 11] {
            let err = run(&crate::testing::ctx(), request(cards(n)))
                .await
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid parameter `cards`: has {n} cards; WhatsApp allows 2 to 10")
            );
        }
        run(&crate::testing::ctx(), request(cards(10)))
            .await
            .unwrap();
        let mut three = cards(2);
        three[1]["buttons"] = json!([{"subType": "quick_reply", "payload": "a"},
            {"subType": "quick_reply", "payload": "b"}, {"subType": "quick_reply", "payload": "c"}]);
        let err = run(&crate::testing::ctx(), request(three))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `cards[1].buttons`: has 3 buttons; WhatsApp allows at most 2"
        );
        let mut mixed = cards(2);
        mixed[1] = json!({"video": "v", "body": ["x"], "buttons": mixed[1]["buttons"].clone()});
        let err = run(&crate::testing::ctx(), request(mixed))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid parameter `cards[1]`: every card"),
            "{err}"
        );
    }
}
