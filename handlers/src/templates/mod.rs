//! Templates and flows: the WABA a request names, the template cache ([`cache`]) and the
//! template webhooks that update it ([`webhook`]), Meta's template rules ([`rules`]), the check
//! `send_template` makes ([`check`]; an authentication template's in [`authentication`]), the
//! refresh from EUM Social ([`sync`]) and the flow items
//! ([`flows`]).

pub mod authentication;
pub mod cache;
pub mod check;
pub mod flows;
pub mod rules;
pub mod sync;
pub mod webhook;

pub use cache::refresh_template_components;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::{EumId, Language, MetaId, TemplateName};
use crate::ports::templates::Waba;

/// The WABA parameter every template and flow action shares.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WabaRef {
    /// The WhatsApp Business Account: Meta's id or EUM's `waba-…` id (default
    /// `DEFAULT_WABA_ID`).
    #[serde(default, alias = "waba_id")]
    pub waba_id: Option<EumId>,
}

impl WabaRef {
    /// Both ids of the WABA: the given one, else `DEFAULT_WABA_ID`, else the only entry of
    /// `ALLOWED_WABA_IDS`, else the sandbox's own (local mode).
    ///
    /// # Errors
    /// [`HandlerError::MissingParam`] naming `wabaId` when none is given or configured; EUM
    /// Social's errors when it cannot be resolved.
    pub async fn resolve(&self, ctx: &Ctx) -> Result<Waba, HandlerError> {
        let id = self
            .named(ctx)
            .or_else(|| ctx.templates().default_waba().map(str::to_string))
            .ok_or_else(|| {
                HandlerError::MissingParam("wabaId (no DEFAULT_WABA_ID is configured)".into())
            })?;
        Ok(ctx.templates().resolve_waba(&id).await?)
    }

    /// As [`WabaRef::resolve`], without the sandbox's own: `None` when the request and the
    /// configuration name no WABA.
    ///
    /// # Errors
    /// EUM Social's errors when the WABA cannot be resolved.
    pub async fn resolve_named(&self, ctx: &Ctx) -> Result<Option<Waba>, HandlerError> {
        match self.named(ctx) {
            Some(id) => Ok(Some(ctx.templates().resolve_waba(&id).await?)),
            None => Ok(None),
        }
    }

    /// The given WABA id, else `DEFAULT_WABA_ID`, else the only entry of `ALLOWED_WABA_IDS`.
    fn named(&self, ctx: &Ctx) -> Option<String> {
        let settings = ctx.settings();
        let allowed = &settings.inbound.allowed_waba_ids;
        self.waba_id
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .or_else(|| settings.default_waba_id.clone())
            .or_else(|| (allowed.len() == 1).then(|| allowed[0].clone()))
    }
}

/// Which template: Meta's id, or its name and language.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSelector {
    /// Meta's numeric template id (instead of name and language).
    #[serde(default, alias = "meta_template_id", alias = "templateId")]
    pub meta_template_id: Option<MetaId>,
    /// The template's name (with `language`).
    #[schemars(length(max = 512))]
    #[serde(default, alias = "templateName")]
    pub name: Option<TemplateName>,
    /// The language code (with `name`), e.g. en_US.
    #[serde(default, alias = "languageCode")]
    pub language: Option<Language>,
}

impl TemplateSelector {
    /// The template reference EUM Social takes.
    ///
    /// # Errors
    /// 400 when neither an id nor a name and language are given.
    pub fn to_ref(&self) -> Result<crate::ports::templates::TemplateRef, HandlerError> {
        use crate::ports::templates::TemplateRef;
        match (
            present(&self.meta_template_id),
            present(&self.name),
            present(&self.language),
        ) {
            (Some(id), _, _) => {
                if !id.chars().all(|c| c.is_ascii_digit()) {
                    return Err(HandlerError::invalid(
                        "metaTemplateId",
                        "must be Meta's numeric template id",
                    ));
                }
                Ok(TemplateRef::Id(id.into()))
            }
            (None, Some(name), Some(language)) => Ok(TemplateRef::Name {
                name: name.into(),
                language: language.into(),
            }),
            _ => Err(HandlerError::MissingParam(
                "metaTemplateId, or name and language".into(),
            )),
        }
    }
}

fn present<T: std::ops::Deref<Target = str>>(v: &Option<T>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
