//! What the five media sends share (not an action).

use serde_json::{Value, json};

use crate::error::HandlerError;
use crate::outbound::{self, MediaSource, Outgoing, SendCommon, SendOutput};
use crate::registry::Ctx;

/// Builds and sends one media message of Meta type `kind`.
pub async fn send(
    ctx: &Ctx,
    kind: &'static str,
    source: &MediaSource,
    caption: Option<String>,
    filename: Option<String>,
    common: &SendCommon,
) -> Result<SendOutput, HandlerError> {
    if let Some(c) = &caption {
        outbound::check_len("caption", c, 1024)?;
    }
    if let Some(f) = &filename {
        outbound::non_empty("filename", f)?;
        outbound::check_len("filename", f, 240)?;
    }
    let (mut object, mut part) = source.resolve(ctx, common).await?;
    if let Some(c) = &caption {
        object.insert("caption".into(), json!(c));
    }
    if let Some(f) = &filename {
        object.insert("filename".into(), json!(f));
        part.filename = Some(f.clone());
    }
    let preview = match &caption {
        Some(c) if !c.is_empty() => format!("[{kind}] {c}"),
        _ => format!("[{kind}]"),
    };
    let out = Outgoing {
        kind,
        body: Value::Object(object),
        free_form: true,
        text: caption,
        preview,
        media: Some(part),
    };
    outbound::send(ctx, common, out).await
}
