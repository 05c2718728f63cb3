//! The template webhook fields applied to the template cache: status, quality, category and
//! components updates. Each change is keyed by `message_template_name` and
//! `message_template_language` (without them nothing can be stored: poison); anything else
//! missing or new is stored as it came, and the change's whole value is kept on the item under
//! `lastWebhooks.{field}`, so a value this version does not know is never lost.

use serde_json::{Map, Value, json};

use super::cache::{blank, fill, get, put, text};
use crate::model::TemplateItem;
use crate::store::{Store, StoreError};

/// The fields [`apply`] takes.
pub const FIELDS: &[&str] = &[
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
    "message_template_components_update",
];

/// What a template webhook changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Written,
    /// A newer status is cached: nothing written.
    Stale,
}

/// Applies one template webhook change to the cached item. `Ok(Err(..))` names what was
/// missing when the change names no template (the caller counts it as poison).
///
/// # Errors
/// The store's.
pub async fn apply(
    store: &dyn Store,
    field: &str,
    value: &Value,
    waba_id: &str,
    event_at: &str,
    now: &str,
) -> Result<Result<Applied, &'static str>, StoreError> {
    let s = |k: &str| value.get(k).and_then(text);
    let (Some(name), Some(language)) = (s("message_template_name"), s("message_template_language"))
    else {
        return Ok(Err("message_template_name and message_template_language"));
    };
    let mut item = get(store, waba_id, &name, &language)
        .await?
        .unwrap_or_else(|| TemplateItem {
            status_at: String::new(),
            ..blank(waba_id, &name, &language, now)
        });
    fill(&mut item.template_id, s("message_template_id"));
    match field {
        "message_template_status_update" => {
            if item.status_at.as_str() > event_at {
                return Ok(Ok(Applied::Stale));
            }
            apply_status(&mut item, value, event_at);
        }
        "message_template_quality_update" => {
            fill(&mut item.quality_score, s("new_quality_score"));
            fill(
                &mut item.previous_quality_score,
                s("previous_quality_score"),
            );
        }
        "message_template_components_update" => {
            item.components = Some(merge_components(item.components.take(), value));
        }
        _ => apply_category(&mut item, value),
    }
    let mut last = match item.last_webhooks.take() {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    last.insert(field.into(), value.clone());
    item.last_webhooks = Some(Value::Object(last));
    item.updated_at = now.into();
    put(store, &item).await?;
    Ok(Ok(Applied::Written))
}

/// `message_template_status_update`: the status (`event`, any text Meta sends), its reason
/// and category, and what Meta adds about a disabled, locked or rejected template.
fn apply_status(item: &mut TemplateItem, value: &Value, event_at: &str) {
    let s = |k: &str| value.get(k).and_then(text);
    if let Some(event) = s("event") {
        item.status = event;
        item.status_at = event_at.into();
        if item.status != "DELETED" {
            item.deleted_at = None;
        }
    }
    item.reason = s("reason").filter(|r| r != "NONE");
    fill(&mut item.category, s("message_template_category"));
    let object = |k: &str| value.get(k).filter(|v| !v.is_null()).cloned();
    item.disable_info = object("disable_info");
    item.disable_date = item.disable_info.as_ref().and_then(|d| {
        let date = d.get("disable_date")?;
        crate::time::from_meta_timestamp(date).or_else(|| text(date))
    });
    item.other_info = object("other_info");
    item.rejection_info = object("rejection_info");
}

/// `template_category_update`: a completed change names the previous and the new category
/// (or, in some updates, only the new one); an impending one the correct category and when
/// it takes effect.
fn apply_category(item: &mut TemplateItem, value: &Value) {
    let s = |k: &str| value.get(k).and_then(text);
    if let Some(correct) = s("correct_category") {
        item.correct_category = Some(correct);
        fill(&mut item.category, s("new_category"));
        item.category_update_at = value
            .get("category_update_timestamp")
            .and_then(crate::time::from_meta_timestamp);
    } else if let Some(new) = s("new_category") {
        fill(&mut item.previous_category, s("previous_category"));
        item.category = Some(new);
        item.correct_category = None;
        item.category_update_at = None;
    } else {
        fill(&mut item.previous_category, s("previous_category"));
    }
}

/// Meta's `message_template_components_update` (`message_template_element` the body,
/// `message_template_title` a text header, `message_template_footer`,
/// `message_template_buttons` the URL and phone buttons) merged into the cached components:
/// the texts are replaced, a media header and the other buttons (quick replies) are kept.
pub fn merge_components(cached: Option<Value>, value: &Value) -> Value {
    let mut components: Vec<Value> = match cached {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let s = |k: &str| value.get(k).and_then(text);
    let find = |list: &mut Vec<Value>, kind: &str| -> usize {
        match list.iter().position(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        }) {
            Some(i) => i,
            None => {
                list.push(json!({"type": kind}));
                list.len() - 1
            }
        }
    };
    if let Some(title) = s("message_template_title") {
        let i = find(&mut components, "HEADER");
        let header = &mut components[i];
        let format = header["format"].as_str().unwrap_or("TEXT").to_string();
        if format.eq_ignore_ascii_case("TEXT") {
            header["format"] = json!("TEXT");
            header["text"] = json!(title);
        }
    }
    if let Some(body) = s("message_template_element") {
        let i = find(&mut components, "BODY");
        components[i]["text"] = json!(body);
    }
    if let Some(footer) = s("message_template_footer") {
        let i = find(&mut components, "FOOTER");
        components[i]["text"] = json!(footer);
    }
    if let Some(buttons) = value
        .get("message_template_buttons")
        .and_then(Value::as_array)
    {
        let i = find(&mut components, "BUTTONS");
        let kept: Vec<Value> = components[i]["buttons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| {
                !matches!(
                    b["type"].as_str().map(str::to_ascii_uppercase).as_deref(),
                    Some("URL" | "PHONE_NUMBER")
                )
            })
            .cloned()
            .collect();
        let mut merged: Vec<Value> = buttons.iter().map(button).collect();
        merged.extend(kept);
        components[i]["buttons"] = json!(merged);
    }
    Value::Array(components)
}

/// One webhook button in the shape Meta's template components use.
fn button(b: &Value) -> Value {
    let mut out = Map::new();
    for (from, to) in [
        ("message_template_button_type", "type"),
        ("message_template_button_text", "text"),
        ("message_template_button_url", "url"),
        ("message_template_button_phone_number", "phone_number"),
    ] {
        if let Some(v) = b.get(from).filter(|v| !v.is_null()) {
            out.insert(to.into(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_keep_a_media_header_and_quick_replies() {
        let cached = json!([
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["h"]}},
            {"type": "BODY", "text": "Hi {{1}}"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Stop"},
                {"type": "URL", "text": "Old", "url": "https://old.example"}
            ]}
        ]);
        let update = json!({
            "message_template_element": "Hello {{1}}, your order shipped",
            "message_template_title": "ignored for an image header",
            "message_template_footer": "Thanks",
            "message_template_buttons": [{"message_template_button_type": "URL",
                "message_template_button_text": "Track", "message_template_button_url": "https://t.example/{{1}}"}]
        });
        let merged = merge_components(Some(cached), &update);
        assert_eq!(merged[0]["format"], "IMAGE");
        assert!(merged[0].get("text").is_none());
        assert_eq!(merged[1]["text"], "Hello {{1}}, your order shipped");
        assert_eq!(
            merged[2]["buttons"],
            json!([{"type": "URL", "text": "Track", "url": "https://t.example/{{1}}"},
                   {"type": "QUICK_REPLY", "text": "Stop"}])
        );
        assert_eq!(merged[3], json!({"type": "FOOTER", "text": "Thanks"}));
    }
}
