//! The inbox page's files (docs/inbox.md), embedded in the binary from `web/`, and the headers
//! they are served with. Two servers hand them out: `serve` locally (`GET /` and
//! `GET /inbox/...`) and the function behind the HTTP API when deployed (`GET /inbox` and
//! `GET /inbox/{file}`, routes without an authorizer). The files hold no data and no secret:
//! the page reads and writes through the actions (`POST /`), which need the token or JWT.

/// One of the page's files.
#[derive(Debug, Clone, Copy)]
pub struct PageFile {
    pub content_type: &'static str,
    pub text: &'static str,
}

const INDEX: PageFile = PageFile {
    content_type: "text/html; charset=utf-8",
    text: include_str!("../web/index.html"),
};

/// The assets under `/inbox/`, by file name.
const ASSETS: &[(&str, PageFile)] = &[
    ("app.css", css(include_str!("../web/app.css"))),
    ("app.js", js(include_str!("../web/app.js"))),
    ("api.js", js(include_str!("../web/api.js"))),
    ("render.js", js(include_str!("../web/render.js"))),
    ("message.js", js(include_str!("../web/message.js"))),
    ("composer.js", js(include_str!("../web/composer.js"))),
];

const fn css(text: &'static str) -> PageFile {
    PageFile {
        content_type: "text/css; charset=utf-8",
        text,
    }
}

const fn js(text: &'static str) -> PageFile {
    PageFile {
        content_type: "text/javascript; charset=utf-8",
        text,
    }
}

/// The page's file at `path`: the page itself at `/inbox` and `/inbox/` (and at `/` when
/// `root_is_page`, as `serve` has it), its assets at `/inbox/<name>`. Nothing else, so no
/// path can reach outside the embedded files.
pub fn find(path: &str, root_is_page: bool) -> Option<PageFile> {
    match path {
        "/inbox" | "/inbox/" => Some(INDEX),
        "/" if root_is_page => Some(INDEX),
        _ => {
            let name = path.strip_prefix("/inbox/")?;
            ASSETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
        }
    }
}

/// True for the paths the page's routes cover (`/inbox`, `/inbox/...`), found or not: such a
/// request is answered by the page's server (404 for an unknown file), never by an action.
pub fn is_page_path(path: &str) -> bool {
    path == "/inbox" || path.starts_with("/inbox/")
}

/// The Content-Security-Policy of the page: its own files only (no inline script, nothing
/// from a CDN), actions on its own origin, plus:
/// - `connect`: the origin of the live WebSocket API when deployed (`wss://...`);
/// - `media`: where media links point besides https (presigned S3 URLs): `serve`'s own
///   origin for the local media store's links.
pub fn content_security_policy(connect: Option<&str>, media: Option<&str>) -> String {
    let connect = connect.map(|c| format!(" {c}")).unwrap_or_default();
    let media = media.map(|m| format!(" {m}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'{connect}; \
img-src 'self' https: data: blob:{media}; media-src 'self' https: blob:{media}; font-src 'self'; \
frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// The headers every file of the page is served with, besides its content type.
pub fn headers(csp: &str) -> [(&'static str, String); 4] {
    [
        ("cache-control", "no-cache".to_string()),
        ("x-content-type-options", "nosniff".to_string()),
        ("referrer-policy", "no-referrer".to_string()),
        ("content-security-policy", csp.to_string()),
    ]
}

/// The origin (`scheme://host[:port]`) of a URL, for the CSP: `wss://abc.execute-api...` of
/// `wss://abc.execute-api.../live`.
pub fn origin_of(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty() || rest.is_empty() {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // The scheme and authority only: nothing a policy could be broken with.
    let origin = &url[..scheme.len() + 3 + end];
    (!origin.contains([' ', ';', ',', '\'', '"'])).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_embedded_files_are_found() {
        assert!(find("/inbox", false).is_some());
        assert!(find("/inbox/", false).is_some());
        assert!(find("/", false).is_none());
        assert!(find("/", true).is_some());
        assert_eq!(
            find("/inbox/app.js", false).unwrap().content_type,
            "text/javascript; charset=utf-8"
        );
        assert!(find("/inbox/../Cargo.toml", true).is_none());
        assert!(find("/inbox/app.js/", true).is_none());
        assert!(find("/events", true).is_none());
        assert!(is_page_path("/inbox/nope.js") && !is_page_path("/inboxes"));
    }

    #[test]
    fn the_policy_names_the_live_origin_and_nothing_else() {
        assert_eq!(
            origin_of("wss://abc.execute-api.eu-west-1.amazonaws.com/live?x=1"),
            Some("wss://abc.execute-api.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000"),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin_of("wss://a; script-src *"), None);
        assert_eq!(origin_of("nope"), None);
        let csp = content_security_policy(Some("wss://x.example"), None);
        assert!(csp.contains("connect-src 'self' wss://x.example;"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
    }
}
