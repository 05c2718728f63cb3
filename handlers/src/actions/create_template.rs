//! `create_template`: a new message template from Meta's definition JSON
//! (`CreateWhatsAppMessageTemplate`), checked against Meta's rules first. A header image,
//! video or document given as a media-store key is uploaded first
//! (`CreateWhatsAppMessageTemplateMedia`) and its handle becomes the header's example.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::model::TemplateItem;
use crate::registry::ActionSpec;
use crate::templates::{WabaRef, cache, rules};

pub const NAME: &str = "create_template";

pub const SPEC: ActionSpec = crate::action_spec!(
    Templates,
    Manage,
    "Creates a template from Meta's definition JSON after checking Meta's rules; a media header may be given as an S3 key."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(flatten)]
    pub waba: WabaRef,
    /// Meta's template definition: `name`, `language`, `category`, `components` (HEADER, BODY,
    /// FOOTER, BUTTONS with their `example`s) and optionally `parameter_format`.
    pub template: Value,
    /// A media-store key under `uploads/` for an IMAGE, VIDEO or DOCUMENT header: uploaded
    /// first, and its handle is set as the header's example.
    #[schemars(length(max = crate::params::bounds::KEY))]
    #[serde(default, alias = "header_s3_key")]
    pub header_s3_key: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub waba_id: String,
    pub meta_template_id: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    /// The header handle of an uploaded header media file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_handle: Option<String>,
    /// The cached item.
    pub template: TemplateItem,
}

fn media_header(def: &mut Value) -> Option<&mut Value> {
    def.get_mut("components")?
        .as_array_mut()?
        .iter_mut()
        .find(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("HEADER"))
                && c["format"].as_str().is_some_and(|f| {
                    ["IMAGE", "VIDEO", "DOCUMENT"].contains(&f.to_ascii_uppercase().as_str())
                })
        })
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let mut def = p.template;
    if !def.is_object() {
        return Err(HandlerError::invalid(
            "template",
            "must be Meta's template definition object",
        ));
    }
    if let Some(key) = &p.header_s3_key {
        crate::media::check_key("headerS3Key", key, &[crate::media::UPLOADS])?;
        let header = media_header(&mut def).ok_or_else(|| {
            HandlerError::invalid(
                "headerS3Key",
                "the template has no IMAGE, VIDEO or DOCUMENT header to use it for",
            )
        })?;
        // Checked with a stand-in handle, so nothing is uploaded for a template Meta would refuse.
        header["example"] = json!({"header_handle": ["(uploaded from headerS3Key)"]});
    }
    rules::check_definition(&def)?;
    let waba = p.waba.resolve(ctx).await?;
    let mut header_handle = None;
    if let Some(key) = &p.header_s3_key {
        let handle = ctx
            .templates()
            .create_template_media(&waba.eum_id, key)
            .await?;
        if let Some(header) = media_header(&mut def) {
            header["example"] = json!({"header_handle": [handle]});
        }
        header_handle = Some(handle);
    }
    let created = ctx.templates().create_template(&waba.eum_id, &def).await?;
    let now = crate::time::now_iso();
    let name = def["name"].as_str().unwrap_or_default();
    let language = def["language"].as_str().unwrap_or_default();
    let mut item = cache::get(ctx.store(), &waba.meta_id, name, language)
        .await?
        .unwrap_or_else(|| cache::blank(&waba.meta_id, name, language, &now));
    item.template_id.clone_from(&created.meta_template_id);
    item.status = created.status.clone().unwrap_or_else(|| "PENDING".into());
    item.status_at = now.clone();
    item.category = created
        .category
        .clone()
        .or_else(|| def["category"].as_str().map(str::to_string));
    item.components = def.get("components").cloned();
    item.parameter_format = def["parameter_format"].as_str().map(str::to_string);
    item.deleted_at = None;
    item.reason = None;
    item.updated_at = now;
    cache::put(ctx.store(), &item).await?;
    Ok(Output {
        waba_id: waba.meta_id,
        meta_template_id: created.meta_template_id,
        status: created.status,
        category: created.category,
        header_handle,
        template: item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ctx, params};

    #[tokio::test]
    async fn a_definition_that_breaks_a_rule_is_refused_before_eum_is_called() {
        let p: Params = params(json!({"wabaId": "waba-1", "template": {
            "name": "Order Update", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hi"}]}}));
        let err = run(&ctx(), p).await.unwrap_err();
        assert!(err.to_string().contains("`template.name`"), "{err}");
        assert_eq!(err.status(), 400);
    }

    #[tokio::test]
    async fn a_header_key_needs_a_media_header_and_an_uploads_key() {
        let body = json!({"name": "promo", "language": "en_US", "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Hi"}]});
        let p: Params =
            params(json!({"wabaId": "waba-1", "template": body, "headerS3Key": "uploads/a.jpg"}));
        let err = run(&ctx(), p).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("no IMAGE, VIDEO or DOCUMENT header"),
            "{err}"
        );
        let p: Params =
            params(json!({"wabaId": "waba-1", "template": body, "headerS3Key": "../a.jpg"}));
        assert_eq!(run(&ctx(), p).await.unwrap_err().status(), 400);
    }

    #[tokio::test]
    async fn the_sandbox_approves_at_once_and_the_media_handle_is_the_example() {
        let p: Params = params(
            json!({"wabaId": "waba-1", "headerS3Key": "uploads/a.jpg", "template": {
            "name": "promo", "language": "en_US", "category": "MARKETING",
            "components": [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Hi {{1}}",
                            "example": {"body_text": [["Kerry"]]}}]}}),
        );
        let out = run(&ctx(), p).await.unwrap();
        assert_eq!(out.status.as_deref(), Some("APPROVED"));
        assert_eq!(out.template.pk, "TEMPLATE#1#promo#en_US");
        assert_eq!(
            out.template.components.unwrap()[0]["example"],
            json!({"header_handle": ["sandbox-handle:uploads/a.jpg"]})
        );
    }
}
