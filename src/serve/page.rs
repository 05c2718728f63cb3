//! The inbox page's files ([`crate::page`], docs/inbox.md) as `serve` hands them out: on
//! `GET /` (without a query string), `GET /inbox` and `GET /inbox/<file>`. They hold no data
//! and no secret: the page reads and writes through the actions (`POST /`) and follows
//! `GET /live`, both behind the server's token when one is set, so the files need none.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Response, StatusCode};

use super::Body;
use crate::page;

/// The answer to a bodiless `GET`/`HEAD` for `path`, when the page's routes cover it: the file,
/// or a 404 for an unknown file under `/inbox/`. `/` is the page only without a query string
/// (`/?action=...` stays an action). `media_origin` is where the local media store's links
/// point (this server), allowed by the page's policy.
pub(super) fn file(path: &str, query: Option<&str>, media_origin: &str) -> Option<Response<Body>> {
    if path == "/" && query.is_some_and(|q| !q.is_empty()) {
        return None;
    }
    let Some(file) = page::find(path, true) else {
        return page::is_page_path(path).then(|| {
            Response::builder()
                .status(StatusCode::NOT_FOUND)
                .header("content-type", "text/plain; charset=utf-8")
                .body(BodyExt::boxed(Full::new(Bytes::from_static(
                    b"no such file of the inbox page\n",
                ))))
                .expect("static response parts")
        });
    };
    let csp = page::content_security_policy(None, Some(media_origin));
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", file.content_type);
    for (name, value) in page::headers(&csp) {
        response = response.header(name, value);
    }
    Some(
        response
            .body(BodyExt::boxed(Full::new(Bytes::from_static(
                file.text.as_bytes(),
            ))))
            .expect("static response parts"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_is_served_and_actions_are_not_shadowed() {
        let origin = "http://127.0.0.1:3000";
        assert!(super::file("/", None, origin).is_some());
        assert!(super::file("/", Some(""), origin).is_some());
        assert!(super::file("/", Some("action=ping"), origin).is_none());
        assert!(super::file("/inbox", None, origin).is_some());
        assert!(super::file("/inbox/app.js", None, origin).is_some());
        assert_eq!(
            super::file("/inbox/../Cargo.toml", None, origin)
                .unwrap()
                .status(),
            404
        );
        assert!(super::file("/events", None, origin).is_none());
        let page = super::file("/", None, origin).unwrap();
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("img-src 'self' https: data: blob: http://127.0.0.1:3000;"),
            "{csp}"
        );
    }
}
