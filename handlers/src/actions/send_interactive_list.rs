//! `send_interactive_list`: a list menu of sections and rows.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, json};

use super::interactive::Frame;
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, SendCommon, SendOutput};
use crate::params::{check_len, non_empty};
use crate::registry::ActionSpec;

pub const NAME: &str = "send_interactive_list";

pub const SPEC: ActionSpec = crate::action_spec!(
    Messaging,
    Send,
    "Sends a list menu: up to 10 sections and 10 rows in all (row title ≤24, description ≤72)."
);

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Row {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Section {
    #[serde(default)]
    pub title: Option<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Params {
    #[serde(flatten)]
    pub frame: Frame,
    /// The menu button's text, at most 20 characters.
    #[schemars(length(max = crate::params::bounds::BUTTON_TEXT))]
    pub button: String,
    /// [{"title", "rows": [{"id", "title", "description"}]}].
    pub sections: Vec<Section>,
    #[serde(flatten)]
    pub common: SendCommon,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<SendOutput, HandlerError> {
    non_empty("button", &p.button)?;
    check_len("button", &p.button, 20)?;
    if p.sections.is_empty() || p.sections.len() > 10 {
        return Err(HandlerError::invalid(
            "sections",
            format!("has {} sections; WhatsApp allows 1 to 10", p.sections.len()),
        ));
    }
    let rows: usize = p.sections.iter().map(|s| s.rows.len()).sum();
    if rows == 0 || rows > 10 {
        return Err(HandlerError::invalid(
            "sections",
            format!("has {rows} rows in all; WhatsApp allows 1 to 10"),
        ));
    }
    if p.sections.len() > 1
        && p.sections
            .iter()
            .any(|s| s.title.as_deref().unwrap_or("").is_empty())
    {
        return Err(HandlerError::invalid(
            "sections",
            "every section needs a title when there are several",
        ));
    }
    let mut ids = std::collections::HashSet::new();
    let mut sections = Vec::new();
    for (si, section) in p.sections.iter().enumerate() {
        let mut object = Map::new();
        if let Some(title) = &section.title {
            check_len(&format!("sections[{si}].title"), title, 24)?;
            object.insert("title".into(), json!(title));
        }
        let mut rows = Vec::new();
        for (ri, row) in section.rows.iter().enumerate() {
            let at = format!("sections[{si}].rows[{ri}]");
            non_empty(&format!("{at}.id"), &row.id)?;
            check_len(&format!("{at}.id"), &row.id, 200)?;
            non_empty(&format!("{at}.title"), &row.title)?;
            check_len(&format!("{at}.title"), &row.title, 24)?;
            if !ids.insert(row.id.as_str()) {
                return Err(HandlerError::invalid(
                    &format!("{at}.id"),
                    "row ids must be unique",
                ));
            }
            let mut r = json!({"id": row.id, "title": row.title});
            if let Some(d) = &row.description {
                check_len(&format!("{at}.description"), d, 72)?;
                r["description"] = json!(d);
            }
            rows.push(r);
        }
        object.insert("rows".into(), json!(rows));
        sections.push(object);
    }
    if let Some(serde_json::Value::Object(_)) = &p.frame.header {
        return Err(HandlerError::invalid(
            "header",
            "a list message takes a text header only",
        ));
    }
    let out = p
        .frame
        .outgoing("list", json!({"button": p.button, "sections": sections}))?;
    outbound::send(ctx, &p.common, out).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params, send_request};
    use serde_json::json;

    fn request(sections: serde_json::Value) -> Params {
        params(send_request(
            json!({"body": "Menu", "button": "See options", "sections": sections}),
        ))
    }

    #[tokio::test]
    async fn sends_meta_sections_and_rows() {
        let sections = json!([{"title": "Pizza", "rows": [{"id": "p1", "title": "Margherita", "description": "Tomato"}]}]);
        let out = run(&ctx(), request(sections)).await.unwrap();
        let action = &out.message["interactive"]["action"];
        assert_eq!(action["button"], "See options");
        assert_eq!(
            action["sections"][0],
            json!({"title": "Pizza", "rows": [{"id": "p1", "title": "Margherita", "description": "Tomato"}]})
        );
    }

    #[tokio::test]
    async fn refuses_what_whatsapp_would() {
        let untitled =
            json!([{"rows": [{"id": "a", "title": "A"}]}, {"rows": [{"id": "b", "title": "B"}]}]);
        let err = run(&ctx(), request(untitled)).await.unwrap_err();
        assert!(err.to_string().contains("needs a title"), "{err}");
        let rows: Vec<_> = (0..11)
            .map(|i| json!({"id": format!("r{i}"), "title": "T"}))
            .collect();
        let err = run(&ctx(), request(json!([{"rows": rows}])))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has 11 rows"), "{err}");
        let same = json!([{"rows": [{"id": "a", "title": "A"}, {"id": "a", "title": "B"}]}]);
        let err = run(&ctx(), request(same)).await.unwrap_err();
        assert!(
            err.to_string().contains("`sections[0].rows[1].id`"),
            "{err}"
        );
    }
}
