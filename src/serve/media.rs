//! Media links a browser can open, for a media store that has none of its own (the local
//! directory answers `file://` paths, which a page may not load).
//!
//! `serve` wraps the context's media store in [`ServedMedia`]: `get_media_url` (and anything
//! else that presigns) then answers `http://<this server>/media/<key>?expires=..&signature=..`,
//! an HMAC-SHA256 over the key and the expiry with a key drawn at start-up, so a link works
//! until it expires or the server restarts, as a presigned S3 URL works until it expires.
//! `GET /media/...` checks the signature instead of the bearer token (an `<img>` cannot send
//! one) and streams the object from the media store. A store whose links are already http(s)
//! (S3) keeps its own.
//!
//! Served media cannot script the page: every answer carries `nosniff` and a sandboxing CSP,
//! and anything but an image, audio or video is a download (`Content-Disposition: attachment`).

use std::sync::Arc;

use async_trait::async_trait;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use handlers::ports::{MediaError, MediaObject, MediaStore};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Response, StatusCode};

use super::Body;

/// The path prefix of served media.
pub(super) const PREFIX: &str = crate::intake::route::MEDIA_PREFIX;

/// Signs and checks media links of one server.
pub struct MediaLinks {
    /// `http://host:port`, the origin links point to.
    origin: String,
    key: hmac::Key,
}

impl MediaLinks {
    /// Links to `origin` signed with a key drawn now.
    ///
    /// # Panics
    /// The system's random source fails (nothing could be signed safely).
    pub fn new(origin: impl Into<String>) -> Self {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).expect("the system random source works");
        MediaLinks {
            origin: origin.into(),
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn tag(&self, key: &str, expires: i64) -> hmac::Tag {
        hmac::sign(&self.key, format!("{key}\n{expires}").as_bytes())
    }

    /// A link to `key` valid for `expires_secs` from `now` (Unix seconds).
    pub fn link(&self, key: &str, expires_secs: u64, now: i64) -> String {
        let expires = now.saturating_add(i64::try_from(expires_secs).unwrap_or(i64::MAX));
        let signature = URL_SAFE_NO_PAD.encode(self.tag(key, expires).as_ref());
        format!(
            "{}{PREFIX}{}?expires={expires}&signature={signature}",
            self.origin,
            encode_path(key)
        )
    }

    /// The media key a request for `path?query` may read at `now`, or why not.
    pub fn check(&self, path: &str, query: Option<&str>, now: i64) -> Result<String, &'static str> {
        let key = path
            .strip_prefix(PREFIX)
            .and_then(decode_path)
            .ok_or("not a media link")?;
        let (mut expires, mut signature) = (None, None);
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*name {
                "expires" => expires = value.parse::<i64>().ok(),
                "signature" => signature = URL_SAFE_NO_PAD.decode(value.as_bytes()).ok(),
                _ => {}
            }
        }
        let (Some(expires), Some(signature)) = (expires, signature) else {
            return Err("the link has no expiry or signature: ask get_media_url for one");
        };
        hmac::verify(&self.key, format!("{key}\n{expires}").as_bytes(), &signature)
            .map_err(|_| "the link's signature is wrong (or the server restarted since): ask get_media_url for a new one")?;
        if now > expires {
            return Err("the link has expired: ask get_media_url for a new one");
        }
        Ok(key)
    }
}

/// Percent-encodes a key for a URL path, `/` kept.
fn encode_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Undoes [`encode_path`]; `None` for a broken escape or bytes that are not UTF-8.
fn decode_path(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A media store whose `presign_get` answers [`MediaLinks`] when its own links are not http(s).
pub struct ServedMedia {
    inner: Arc<dyn MediaStore>,
    links: Arc<MediaLinks>,
}

impl ServedMedia {
    pub fn new(inner: Arc<dyn MediaStore>, links: Arc<MediaLinks>) -> Self {
        ServedMedia { inner, links }
    }
}

#[async_trait]
impl MediaStore for ServedMedia {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<MediaObject, MediaError> {
        self.inner.put(key, bytes, content_type).await
    }

    async fn find(&self, prefix: &str) -> Result<Option<MediaObject>, MediaError> {
        self.inner.find(prefix).await
    }

    async fn head(&self, key: &str) -> Result<Option<MediaObject>, MediaError> {
        self.inner.head(key).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        self.inner.get(key).await
    }

    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, MediaError> {
        let own = self.inner.presign_get(key, expires_secs).await?;
        if own.starts_with("https://") || own.starts_with("http://") {
            return Ok(own);
        }
        Ok(self
            .links
            .link(key, expires_secs, chrono::Utc::now().timestamp()))
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        self.inner.delete(key).await
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// The content type of a stored file, from its extension (the local store keeps none), and
/// whether a browser may show it inline.
fn content_type(key: &str) -> (&'static str, bool) {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => ("image/jpeg", true),
        "png" => ("image/png", true),
        "webp" => ("image/webp", true),
        "gif" => ("image/gif", true),
        "svg" => ("image/svg+xml", true),
        "mp4" => ("video/mp4", true),
        "3gp" | "3gpp" => ("video/3gpp", true),
        "mp3" | "mpeg" => ("audio/mpeg", true),
        "ogg" | "oga" | "opus" => ("audio/ogg", true),
        "aac" => ("audio/aac", true),
        "m4a" => ("audio/mp4", true),
        "amr" => ("audio/amr", true),
        "txt" => ("text/plain; charset=utf-8", false),
        "pdf" => ("application/pdf", false),
        _ => ("application/octet-stream", false),
    }
}

/// The one byte range a `Range` header asks of `len` bytes: `Some(Ok(start..end))`, or
/// `Some(Err(()))` when it cannot be satisfied; `None` for no (or an unsupported) header, which is
/// answered whole. Only a single `bytes=` range is honoured, as a media element sends.
fn byte_range(header: Option<&str>, len: usize) -> Option<Result<std::ops::Range<usize>, ()>> {
    let spec = header?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // the last N bytes
        let n: usize = last.parse().ok()?;
        (n > 0 && len > 0).then(|| len.saturating_sub(n)..len)
    } else {
        let start: usize = first.parse().ok()?;
        let end = if last.is_empty() {
            len
        } else {
            last.parse::<usize>().ok()?.saturating_add(1).min(len)
        };
        (start < len && start < end).then_some(start..end)
    };
    Some(range.ok_or(()))
}

/// Answers `GET /media/<key>?expires=..&signature=..` from the context's media store; a
/// `Range` request (a video being sought) gets its part (206).
pub(super) async fn answer(
    media: &dyn MediaStore,
    links: &MediaLinks,
    path: &str,
    query: Option<&str>,
    range: Option<&str>,
    head: bool,
) -> Response<Body> {
    let plain = |status: StatusCode, text: String| {
        Response::builder()
            .status(status)
            .header("content-type", "text/plain; charset=utf-8")
            .body(BodyExt::boxed(Full::new(Bytes::from(text))))
            .expect("static response parts")
    };
    let key = match links.check(path, query, chrono::Utc::now().timestamp()) {
        Ok(key) => key,
        Err(why) => return plain(StatusCode::FORBIDDEN, format!("{why}\n")),
    };
    let bytes = match media.get(&key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return plain(StatusCode::NOT_FOUND, format!("no media `{key}`\n")),
        Err(e) => {
            tracing::warn!(error = %e, "served media could not be read");
            return plain(StatusCode::BAD_GATEWAY, format!("{e}\n"));
        }
    };
    let (content_type, inline) = content_type(&key);
    let name = key.rsplit('/').next().unwrap_or("media");
    let disposition = if inline {
        "inline".to_string()
    } else {
        // The name is a key segment: no quotes, no control characters (key_problem).
        format!("attachment; filename=\"{}\"", name.replace('"', "_"))
    };
    let total = bytes.len();
    let (status, part, content_range) = match byte_range(range, total) {
        None => (StatusCode::OK, 0..total, None),
        Some(Ok(part)) => {
            let shown = format!("bytes {}-{}/{total}", part.start, part.end - 1);
            (StatusCode::PARTIAL_CONTENT, part, Some(shown))
        }
        Some(Err(())) => {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header("content-range", format!("bytes */{total}"))
                .body(BodyExt::boxed(Full::new(Bytes::new())))
                .expect("static response parts");
        }
    };
    let length = part.len();
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from(bytes).slice(part)
    };
    let mut response = Response::builder().status(status);
    if let Some(content_range) = content_range {
        response = response.header("content-range", content_range);
    }
    response
        .header("content-type", content_type)
        .header("content-length", length)
        .header("accept-ranges", "bytes")
        .header("content-disposition", disposition)
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "default-src 'none'; sandbox")
        .header("cache-control", "private, max-age=300")
        .body(BodyExt::boxed(Full::new(body)))
        .expect("static response parts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_its_key_until_it_expires() {
        let links = MediaLinks::new("http://127.0.0.1:3000");
        let link = links.link("uploads/p/a photo é.jpg", 60, 1_000);
        let rest = link.strip_prefix("http://127.0.0.1:3000").unwrap();
        let (path, query) = rest.split_once('?').unwrap();
        assert_eq!(path, "/media/uploads/p/a%20photo%20%C3%A9.jpg");
        assert_eq!(
            links.check(path, Some(query), 1_060).as_deref(),
            Ok("uploads/p/a photo é.jpg")
        );
        assert!(
            links
                .check(path, Some(query), 1_061)
                .unwrap_err()
                .contains("expired")
        );
        // Another key, another expiry, another server: refused.
        let other = path.replace("a%20photo", "b%20photo");
        assert!(
            links
                .check(&other, Some(query), 1_000)
                .unwrap_err()
                .contains("signature")
        );
        let later = query.replace("expires=1060", "expires=9999");
        assert!(
            links
                .check(path, Some(&later), 1_000)
                .unwrap_err()
                .contains("signature")
        );
        let restarted = MediaLinks::new("http://127.0.0.1:3000");
        assert!(restarted.check(path, Some(query), 1_000).is_err());
        assert!(
            links
                .check(path, None, 1_000)
                .unwrap_err()
                .contains("no expiry")
        );
        assert!(links.check("/media/%zz", Some(query), 1_000).is_err());
    }

    #[test]
    fn one_byte_range_is_honoured() {
        assert_eq!(byte_range(None, 10), None);
        assert_eq!(byte_range(Some("bytes=0-"), 10), Some(Ok(0..10)));
        assert_eq!(byte_range(Some("bytes=2-4"), 10), Some(Ok(2..5)));
        assert_eq!(byte_range(Some("bytes=8-99"), 10), Some(Ok(8..10)));
        assert_eq!(byte_range(Some("bytes=-3"), 10), Some(Ok(7..10)));
        assert_eq!(byte_range(Some("bytes=10-"), 10), Some(Err(())));
        assert_eq!(byte_range(Some("bytes=5-2"), 10), Some(Err(())));
        assert_eq!(byte_range(Some("bytes=0-1,4-5"), 10), None);
        assert_eq!(byte_range(Some("items=0-1"), 10), None);
    }

    #[test]
    fn only_images_audio_and_video_are_inline() {
        assert_eq!(content_type("media/p/x.JPG"), ("image/jpeg", true));
        assert!(!content_type("uploads/p/x.html").1);
        assert_eq!(
            content_type("uploads/p/noext").0,
            "application/octet-stream"
        );
    }
}
