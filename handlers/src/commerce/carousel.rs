//! The `carousel` component of a media card carousel template send: 2 to 10 cards, each with
//! an image or video header, optional body parameters and up to two buttons (quick reply
//! payloads, URL suffixes). Every card has the same components, and an approved template is
//! sent with exactly as many cards as it defines.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::limits;
use crate::error::HandlerError;
use crate::params::{check_len, non_empty};

/// One card of the send.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    /// The card's image: a media id or an https link.
    #[serde(default)]
    pub image: Option<String>,
    /// The card's video: a media id or an https link (instead of `image`).
    #[serde(default)]
    pub video: Option<String>,
    /// The card's body parameters, in order (strings or Meta parameter objects).
    #[serde(default)]
    pub body: Vec<Value>,
    /// Up to 2 buttons: `{"subType": "quick_reply", "payload": "…"}` or
    /// `{"subType": "url", "text": "<URL suffix>"}`, in the template's button order.
    #[serde(default)]
    pub buttons: Vec<CardButton>,
}

/// A card button's parameter.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardButton {
    /// `quick_reply` or `url`.
    #[serde(alias = "sub_type", alias = "type")]
    pub sub_type: String,
    /// The quick reply's payload, returned when the customer taps it.
    #[serde(default)]
    pub payload: Option<String>,
    /// The URL button's variable (the suffix of its URL).
    #[serde(default)]
    pub text: Option<String>,
}

/// Longest URL of a button with its suffix (Meta's 2,000 characters).
pub const MAX_URL_SUFFIX: usize = 2000;
/// Longest quick reply payload we send (a bound of ours, the same as a reply button's id).
pub const MAX_PAYLOAD: usize = 256;

fn media(field: &str, kind: &str, source: &str) -> Result<Value, HandlerError> {
    non_empty(field, source)?;
    let object = if source.starts_with("https://") || source.starts_with("http://") {
        check_len(field, source, crate::params::bounds::LINK)?;
        json!({"link": source})
    } else {
        check_len(field, source, 256)?;
        json!({"id": source})
    };
    Ok(json!({"type": kind, kind: object}))
}

/// What every other card must repeat: the number of body parameters and the button types.
fn shape(card: &Card) -> (usize, Vec<String>) {
    (
        card.body.len(),
        card.buttons.iter().map(|b| b.sub_type.clone()).collect(),
    )
}

/// The `carousel` component of `cards`, each body parameter made by `parameter`.
///
/// # Errors
/// 400 naming the card field and the limit.
pub fn component(
    cards: &[Card],
    parameter: impl Fn(&str, &Value) -> Result<Value, HandlerError>,
) -> Result<Value, HandlerError> {
    let n = cards.len();
    if !(limits::MIN_CARDS..=limits::MAX_CARDS).contains(&n) {
        return Err(HandlerError::invalid(
            "cards",
            format!(
                "has {n} cards; WhatsApp allows {} to {}",
                limits::MIN_CARDS,
                limits::MAX_CARDS
            ),
        ));
    }
    let mut out = Vec::new();
    let mut first: Option<(&str, (usize, Vec<String>))> = None;
    for (i, card) in cards.iter().enumerate() {
        let at = format!("cards[{i}]");
        let (kind, header) = match (&card.image, &card.video) {
            (Some(s), None) => ("image", media(&format!("{at}.image"), "image", s)?),
            (None, Some(s)) => ("video", media(&format!("{at}.video"), "video", s)?),
            _ => {
                return Err(HandlerError::invalid(
                    &at,
                    "needs exactly one of `image` or `video`",
                ));
            }
        };
        if card.buttons.len() > limits::CARD_BUTTONS {
            return Err(HandlerError::invalid(
                &format!("{at}.buttons"),
                format!(
                    "has {} buttons; WhatsApp allows at most {}",
                    card.buttons.len(),
                    limits::CARD_BUTTONS
                ),
            ));
        }
        match &first {
            None => first = Some((kind, shape(card))),
            Some((k, s)) if *k != kind || *s != shape(card) => {
                return Err(HandlerError::invalid(
                    &at,
                    "every card must have the same components as cards[0] (header type, \
                     body parameters, button types)",
                ));
            }
            Some(_) => {}
        }
        let mut components = vec![json!({"type": "header", "parameters": [header]})];
        if !card.body.is_empty() {
            let body: Vec<Value> = card
                .body
                .iter()
                .enumerate()
                .map(|(j, v)| parameter(&format!("{at}.body[{j}]"), v))
                .collect::<Result<_, _>>()?;
            components.push(json!({"type": "body", "parameters": body}));
        }
        for (j, b) in card.buttons.iter().enumerate() {
            let field = format!("{at}.buttons[{j}]");
            let parameter = match b.sub_type.as_str() {
                "quick_reply" => {
                    let p = b.payload.as_deref().unwrap_or_default();
                    non_empty(&format!("{field}.payload"), p)?;
                    check_len(&format!("{field}.payload"), p, MAX_PAYLOAD)?;
                    json!({"type": "payload", "payload": p})
                }
                "url" => {
                    let t = b.text.as_deref().unwrap_or_default();
                    non_empty(&format!("{field}.text"), t)?;
                    check_len(&format!("{field}.text"), t, MAX_URL_SUFFIX)?;
                    json!({"type": "text", "text": t})
                }
                other => {
                    return Err(HandlerError::invalid(
                        &format!("{field}.subType"),
                        format!("is `{other}`; a card button is `quick_reply` or `url`"),
                    ));
                }
            };
            components.push(json!({"type": "button", "sub_type": b.sub_type,
                                   "index": j, "parameters": [parameter]}));
        }
        out.push(json!({"card_index": i, "components": components}));
    }
    Ok(json!({"type": "carousel", "cards": out}))
}

/// Checks the send's cards against the cached template's `CAROUSEL` component: as many cards,
/// the same header format, and as many body parameters per card as the card text has.
///
/// # Errors
/// 400 naming `cards` and what the template defines.
pub fn check_against(
    label: &str,
    template_components: &Value,
    cards: &[Card],
) -> Result<(), HandlerError> {
    let list = template_components.as_array().cloned().unwrap_or_default();
    let Some(carousel) = list.iter().find(|c| {
        c["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("CAROUSEL"))
    }) else {
        return Err(HandlerError::invalid(
            "name",
            format!("{label} is not a carousel template (it has no CAROUSEL component)"),
        ));
    };
    let defined = carousel["cards"].as_array().cloned().unwrap_or_default();
    if defined.len() != cards.len() {
        return Err(HandlerError::invalid(
            "cards",
            format!(
                "has {} cards; {label} defines {} and must be sent with exactly that many",
                cards.len(),
                defined.len()
            ),
        ));
    }
    for (i, (card, def)) in cards.iter().zip(&defined).enumerate() {
        let components = &def["components"];
        let header = components.as_array().into_iter().flatten().find(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("HEADER"))
        });
        let format = header
            .and_then(|h| h["format"].as_str())
            .map(str::to_ascii_lowercase);
        let given = if card.image.is_some() {
            "image"
        } else {
            "video"
        };
        if let Some(format) = format
            && format != given
        {
            return Err(HandlerError::invalid(
                &format!("cards[{i}]"),
                format!(
                    "has a {given} header; {label} card {i} takes {}",
                    format.to_ascii_uppercase()
                ),
            ));
        }
        let wanted = crate::templates::rules::expected(components).body;
        if wanted != card.body.len() {
            return Err(HandlerError::invalid(
                &format!("cards[{i}].body"),
                format!(
                    "{label} card {i} expects {wanted} body parameters; {} given",
                    card.body.len()
                ),
            ));
        }
    }
    Ok(())
}
