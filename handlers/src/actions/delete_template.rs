//! `delete_template`: one language of a template (by its Meta id, given or looked up) or every
//! language of its name (`DeleteWhatsAppMessageTemplate`); the cached items are marked DELETED.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::{Language, MetaId, TemplateName};
use crate::params::non_empty;
use crate::ports::templates::TemplateRef;
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, cache};

pub const NAME: &str = "delete_template";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Manage,
    "Deletes a template: one language (language or metaTemplateId), or all its languages (name only)."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    /// The template's name.
    #[schemars(length(max = 512))]
    #[serde(alias = "templateName")]
    pub name: TemplateName,
    /// Delete only this language (its Meta id is looked up).
    #[serde(default, alias = "languageCode")]
    pub language: Option<Language>,
    /// Delete only the language with this Meta template id.
    #[serde(default, alias = "meta_template_id", alias = "templateId")]
    pub meta_template_id: Option<MetaId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub waba_id: String,
    pub name: String,
    /// `one` language or `all` languages.
    pub scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_template_id: Option<String>,
    /// Cached items marked DELETED, by language.
    pub marked_deleted: Vec<String>,
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    non_empty("name", &p.name)?;
    let waba = p.waba.resolve(ctx).await?;
    let store = ctx.store();
    let mut id = p
        .meta_template_id
        .clone()
        .map(String::from)
        .filter(|i| !i.trim().is_empty());
    if let (None, Some(language)) = (&id, &p.language) {
        id = match cache::get(store, &waba.meta_id, &p.name, language).await? {
            Some(item) if item.template_id.is_some() => item.template_id,
            _ => {
                let which = TemplateRef::Name {
                    name: p.name.to_string(),
                    language: language.to_string(),
                };
                let meta = ctx.templates().get_template(&waba.eum_id, &which).await?;
                meta.get("id").and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
            }
        };
        if id.is_none() {
            return Err(HandlerError::NotFound(format!(
                "template `{}` ({language}) has no Meta id to delete it by",
                p.name
            )));
        }
    }
    ctx.templates()
        .delete_template(&waba.eum_id, &p.name, id.as_deref())
        .await?;
    let now = crate::time::now_iso();
    let mut marked = Vec::new();
    for item in cache::all(store, &waba.meta_id).await? {
        let this_one = match &id {
            Some(id) => item.template_id.as_deref() == Some(id.as_str()),
            None => true,
        };
        if item.name == p.name && this_one && item.status != "DELETED" {
            marked.push(item.language.clone());
            cache::mark_deleted(store, item, &now).await?;
        }
    }
    Ok(Output {
        waba_id: waba.meta_id,
        name: p.name.into(),
        scope: if id.is_some() { "one" } else { "all" },
        meta_template_id: id,
        marked_deleted: marked,
    })
}
