//! Which handler answers a request, decided once by method and path for API Gateway (REST v1,
//! HTTP API v2) and for `serve`, so that the two can never disagree about which requests skip
//! the caller's credentials.
//!
//! Only three kinds of route are answered without the caller's token or scopes, each with its
//! own check: the webhooks (the sender's signature), the page's files (they hold no data) and,
//! on `serve`, media links (their own signature). Each of them takes only its own methods;
//! any other method on their paths is a 405 that runs nothing. Every other request is an
//! [`Route::Action`], which runs only within the caller's scopes.

use http::Method;

/// Where `serve`'s media links live (`/media/{key}?expires=…&signature=…`).
pub const MEDIA_PREFIX: &str = "/media/";

/// Where a request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST …/webhooks/{source}`: verified by the source's signature, never by scopes.
    Webhook(&'static str),
    /// `GET …/webhooks/meta`: Meta's subscription handshake (`hub.verify_token`).
    MetaHandshake,
    /// `GET|HEAD /inbox`, `/inbox/{file}` (and on `serve`, `/` without a query string): the
    /// inbox page's files.
    Page,
    /// `serve`: `GET|HEAD /media/{key}?expires=…&signature=…`, checked by its signature.
    Media,
    /// `serve`: `GET|HEAD /live`, the Server-Sent Events stream (token).
    Live,
    /// `serve`: `GET|HEAD /metrics` (token).
    Metrics,
    /// `serve`: `POST /events` or `/invoke`, a raw Lambda event (token and scope `admin`).
    RawEvent,
    /// A route that does not take this method; `allow` lists those it takes. Nothing runs.
    MethodNotAllowed { allow: &'static str },
    /// Anything else: an action, run within the caller's scopes.
    Action,
}

/// Who answers: API Gateway's function, or the local server, which adds its own routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    ApiGateway,
    Serve,
}

impl Route {
    /// The route of `method path` (`query` without `?`, `None` when the target has none).
    pub fn of(surface: Surface, method: &Method, path: &str, query: Option<&str>) -> Route {
        let reading = method == Method::GET || method == Method::HEAD;
        let only = |allow| Route::MethodNotAllowed { allow };
        let root_page = surface == Surface::Serve && path == "/" && query.is_none_or(str::is_empty);
        if crate::page::is_page_path(path) || (root_page && reading) {
            return if reading {
                Route::Page
            } else {
                only("GET, HEAD")
            };
        }
        if surface == Surface::Serve {
            let local = match path {
                "/live" => Some(Route::Live),
                "/metrics" => Some(Route::Metrics),
                _ if path.starts_with(MEDIA_PREFIX) => Some(Route::Media),
                _ => None,
            };
            if let Some(route) = local {
                return if reading { route } else { only("GET, HEAD") };
            }
            if path == "/events" || path == "/invoke" {
                return if method == Method::POST {
                    Route::RawEvent
                } else {
                    only("POST")
                };
            }
        }
        match super::webhooks::route(path) {
            Some(source) if method == Method::POST => Route::Webhook(source),
            Some("meta") if method == Method::GET => Route::MetaHandshake,
            Some("meta") => only("GET, POST"),
            Some(_) => only("POST"),
            None => Route::Action,
        }
    }

    /// The webhook source this route is answered by, if any.
    pub fn webhook(self) -> Option<&'static str> {
        match self {
            Route::Webhook(source) => Some(source),
            Route::MetaHandshake => Some("meta"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(method: Method, path: &str) -> Route {
        Route::of(Surface::Serve, &method, path, None)
    }

    fn gateway(method: Method, path: &str) -> Route {
        Route::of(Surface::ApiGateway, &method, path, None)
    }

    #[test]
    fn webhook_paths_take_only_their_methods() {
        for surface in [Surface::ApiGateway, Surface::Serve] {
            let route = |m: Method, p| Route::of(surface, &m, p, Some("action=ping"));
            assert_eq!(
                route(Method::POST, "/prod/webhooks/wix/"),
                Route::Webhook("wix")
            );
            assert_eq!(route(Method::GET, "/webhooks/meta"), Route::MetaHandshake);
            for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS] {
                assert_eq!(
                    route(method.clone(), "/x/webhooks/twilio"),
                    Route::MethodNotAllowed { allow: "POST" }
                );
                assert_eq!(
                    route(method, "/webhooks/meta"),
                    Route::MethodNotAllowed { allow: "GET, POST" }
                );
            }
            assert_eq!(
                route(Method::HEAD, "/webhooks/meta"),
                Route::MethodNotAllowed { allow: "GET, POST" }
            );
            assert_eq!(
                route(Method::GET, "/webhooks/wix"),
                Route::MethodNotAllowed { allow: "POST" }
            );
        }
    }

    #[test]
    fn serve_adds_its_own_routes_and_api_gateway_does_not() {
        assert_eq!(serve(Method::GET, "/"), Route::Page);
        assert_eq!(
            Route::of(Surface::Serve, &Method::GET, "/", Some("action=ping")),
            Route::Action
        );
        assert_eq!(serve(Method::POST, "/"), Route::Action);
        assert_eq!(serve(Method::HEAD, "/media/uploads/a.png"), Route::Media);
        assert_eq!(
            serve(Method::POST, "/media/uploads/a.png"),
            Route::MethodNotAllowed { allow: "GET, HEAD" }
        );
        assert_eq!(serve(Method::GET, "/live"), Route::Live);
        assert_eq!(serve(Method::GET, "/metrics"), Route::Metrics);
        assert_eq!(serve(Method::POST, "/invoke"), Route::RawEvent);
        assert_eq!(
            serve(Method::GET, "/events"),
            Route::MethodNotAllowed { allow: "POST" }
        );
        assert_eq!(
            serve(Method::DELETE, "/inbox/app.js"),
            Route::MethodNotAllowed { allow: "GET, HEAD" }
        );
        assert_eq!(serve(Method::OPTIONS, "/favicon.ico"), Route::Action);
        for path in ["/", "/live", "/metrics", "/events", "/media/x"] {
            assert_eq!(gateway(Method::GET, path), Route::Action, "{path}");
        }
        assert_eq!(gateway(Method::HEAD, "/inbox"), Route::Page);
    }
}
