//! The inbox page (docs/inbox.md): static files embedded in the binary from `web/`, served on
//! `GET /` (without a query string) and `GET /inbox/<file>`. They hold no data and no secret:
//! the page reads and writes through the actions (`POST /`) and follows `GET /live`, both
//! behind the server's token when one is set, so the files themselves need none.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Response, StatusCode};

use super::Body;

/// `(path, content type, bytes)` of each file.
const FILES: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../web/index.html"),
    ),
    (
        "/inbox/app.css",
        "text/css; charset=utf-8",
        include_str!("../../web/app.css"),
    ),
    (
        "/inbox/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "/inbox/api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/api.js"),
    ),
    (
        "/inbox/render.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/render.js"),
    ),
    (
        "/inbox/message.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/message.js"),
    ),
    (
        "/inbox/composer.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/composer.js"),
    ),
];

/// What the page may load: itself only, plus media from https (presigned S3 URLs) and the
/// media the browser builds (`blob:`). No inline script, nothing from a CDN.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
img-src 'self' https: data: blob:; media-src 'self' https: blob:; font-src 'self'; \
frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The file a bodiless `GET`/`HEAD` asks for, if it is one of the page's. `/` is the page only
/// without a query string (`/?action=...` stays an action).
pub(super) fn file(path: &str, query: Option<&str>) -> Option<Response<Body>> {
    if path == "/" && query.is_some_and(|q| !q.is_empty()) {
        return None;
    }
    let (_, content_type, text) = FILES.iter().find(|(p, _, _)| *p == path)?;
    let response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", *content_type)
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("content-security-policy", CSP)
        .body(BodyExt::boxed(Full::new(Bytes::from_static(
            text.as_bytes(),
        ))))
        .expect("static response parts");
    Some(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_is_served_and_actions_are_not_shadowed() {
        assert!(super::file("/", None).is_some());
        assert!(super::file("/", Some("")).is_some());
        assert!(super::file("/", Some("action=ping")).is_none());
        assert!(super::file("/inbox/app.js", None).is_some());
        assert!(super::file("/inbox/../Cargo.toml", None).is_none());
        assert!(super::file("/events", None).is_none());
    }
}
