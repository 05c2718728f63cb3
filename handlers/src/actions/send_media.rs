//! What the five media sends share (not an action): their parameters and one body that checks
//! the caption and filename, resolves the media and sends it.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::outbound::{self, MediaSource, Outgoing, SendCommon, SendOutput};
use crate::params::{check_len, non_empty};

/// Parameters of `send_image` and `send_video`: the media and an optional caption.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Captioned {
    #[serde(flatten)]
    pub source: MediaSource,
    /// At most 1024 characters.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

/// Parameters of `send_audio` and `send_sticker`: the media alone (WhatsApp shows no caption).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Plain {
    #[serde(flatten)]
    pub source: MediaSource,
    #[serde(flatten)]
    pub common: SendCommon,
}

/// Parameters of `send_document`: the media, a caption and the filename the customer sees.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Document {
    #[serde(flatten)]
    pub source: MediaSource,
    /// At most 1024 characters.
    #[schemars(length(max = crate::params::bounds::CAPTION))]
    #[serde(default)]
    pub caption: Option<String>,
    /// The name the customer sees (at most 240 characters).
    #[schemars(length(max = 240))]
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(flatten)]
    pub common: SendCommon,
}

/// One media send, whichever action it came from.
#[derive(Debug)]
pub struct MediaSend {
    pub source: MediaSource,
    pub caption: Option<String>,
    pub filename: Option<String>,
    pub common: SendCommon,
}

impl From<Captioned> for MediaSend {
    fn from(p: Captioned) -> Self {
        MediaSend {
            source: p.source,
            caption: p.caption,
            filename: None,
            common: p.common,
        }
    }
}

impl From<Plain> for MediaSend {
    fn from(p: Plain) -> Self {
        MediaSend {
            source: p.source,
            caption: None,
            filename: None,
            common: p.common,
        }
    }
}

impl From<Document> for MediaSend {
    fn from(p: Document) -> Self {
        MediaSend {
            source: p.source,
            caption: p.caption,
            filename: p.filename,
            common: p.common,
        }
    }
}

/// Checks, resolves and sends one media message of Meta type `kind`.
///
/// # Errors
/// A caption or filename over Meta's limits (400), no or several media sources (400), an S3
/// key that cannot be uploaded, and the send pipeline's errors.
pub async fn send(ctx: &Ctx, kind: &'static str, p: MediaSend) -> Result<SendOutput, HandlerError> {
    check(&p)?;
    let (mut object, mut part) = p.source.resolve(ctx, &p.common).await?;
    if let Some(c) = &p.caption {
        object.insert("caption".into(), json!(c));
    }
    if let Some(f) = &p.filename {
        object.insert("filename".into(), json!(f));
        part.filename = Some(f.clone());
    }
    let out = Outgoing {
        kind,
        body: Value::Object(object),
        free_form: true,
        preview: preview(kind, p.caption.as_deref()),
        text: p.caption,
        media: Some(part),
    };
    outbound::send(ctx, &p.common, out).await
}

/// `send_image`'s `run`.
pub async fn image(ctx: &Ctx, p: Captioned) -> Result<SendOutput, HandlerError> {
    send(ctx, "image", p.into()).await
}

/// `send_video`'s `run`.
pub async fn video(ctx: &Ctx, p: Captioned) -> Result<SendOutput, HandlerError> {
    send(ctx, "video", p.into()).await
}

/// `send_audio`'s `run`.
pub async fn audio(ctx: &Ctx, p: Plain) -> Result<SendOutput, HandlerError> {
    send(ctx, "audio", p.into()).await
}

/// `send_sticker`'s `run`.
pub async fn sticker(ctx: &Ctx, p: Plain) -> Result<SendOutput, HandlerError> {
    send(ctx, "sticker", p.into()).await
}

/// `send_document`'s `run`.
pub async fn document(ctx: &Ctx, p: Document) -> Result<SendOutput, HandlerError> {
    send(ctx, "document", p.into()).await
}

fn check(p: &MediaSend) -> Result<(), HandlerError> {
    if let Some(c) = &p.caption {
        check_len("caption", c, 1024)?;
    }
    if let Some(f) = &p.filename {
        non_empty("filename", f)?;
        check_len("filename", f, 240)?;
    }
    Ok(())
}

/// The conversation list's preview: `[image] caption`, or `[image]`.
fn preview(kind: &str, caption: Option<&str>) -> String {
    match caption {
        Some(c) if !c.is_empty() => format!("[{kind}] {c}"),
        _ => format!("[{kind}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(caption: Option<&str>, filename: Option<&str>) -> MediaSend {
        MediaSend {
            source: MediaSource::default(),
            caption: caption.map(str::to_string),
            filename: filename.map(str::to_string),
            common: SendCommon::default(),
        }
    }

    #[test]
    fn captions_and_filenames_are_held_to_meta_limits() {
        assert!(check(&media(Some(&"c".repeat(1024)), Some("a.pdf"))).is_ok());
        let err = check(&media(Some(&"c".repeat(1025)), None)).unwrap_err();
        assert!(err.to_string().contains("`caption`"), "{err}");
        let err = check(&media(None, Some(" "))).unwrap_err();
        assert!(
            err.to_string().contains("`filename`: must not be empty"),
            "{err}"
        );
        let err = check(&media(None, Some(&"f".repeat(241)))).unwrap_err();
        assert!(err.to_string().contains("at most 240"), "{err}");
    }

    #[test]
    fn the_preview_names_the_kind_and_the_caption() {
        assert_eq!(preview("image", Some("Menu")), "[image] Menu");
        assert_eq!(preview("audio", None), "[audio]");
        assert_eq!(preview("video", Some("")), "[video]");
    }

    #[test]
    fn each_action_reads_its_own_parameters() {
        let doc: Document = crate::params::parse(serde_json::json!({
            "to": "15550001111", "mediaId": "m1", "caption": "c", "filename": "f.pdf"
        }))
        .unwrap();
        let send = MediaSend::from(doc);
        assert_eq!(send.filename.as_deref(), Some("f.pdf"));
        assert_eq!(send.source.media_id.as_deref(), Some("m1"));
        assert_eq!(send.common.to.as_deref(), Some("15550001111"));
        let plain: Plain = crate::params::parse(
            serde_json::json!({"to": "15550001111", "link": "https://x/y.ogg"}),
        )
        .unwrap();
        assert_eq!(MediaSend::from(plain).caption, None);
    }
}
