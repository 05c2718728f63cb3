//! Graph API errors → [`SendFailure`] kinds (what the caller can do about them).
//!
//! Meta answers `{"error": {"message", "type", "code", "error_subcode", "error_data":
//! {"details"}, "fbtrace_id"}}`. Throttling is `code` 4, 17, 32, 613, 80007 (rate limits),
//! 130429 (Cloud API throughput), 131048, 131056 (spam and pair rate limits) or HTTP 429;
//! access is 10, 190 (token), 200–299 (permissions), 131005, 131031; a missing object is 100
//! with subcode 33, 133010 or HTTP 404; other 100 and 131xxx codes are the request's fault,
//! except 131000 and 131016 (Meta failed, try later).

use handlers::ports::{SendError, SendFailure};
use serde_json::Value;

/// The kind of a Graph API error.
pub fn kind_of(http_status: u16, code: Option<i64>, subcode: Option<i64>) -> SendFailure {
    match code {
        Some(4 | 17 | 32 | 613 | 80007 | 130_429 | 131_048 | 131_056) => SendFailure::Throttled,
        Some(10 | 190 | 200..=299 | 131_005 | 131_031) => SendFailure::AccessDenied,
        Some(100) if subcode == Some(33) => SendFailure::NotFound,
        Some(133_010) => SendFailure::NotFound,
        Some(131_000 | 131_016 | 1 | 2) => SendFailure::Failed,
        Some(100 | 131_000..=131_999 | 132_000..=132_999 | 133_000..=133_999) => {
            SendFailure::Invalid
        }
        _ => match http_status {
            429 => SendFailure::Throttled,
            401 | 403 => SendFailure::AccessDenied,
            404 => SendFailure::NotFound,
            400..=499 => SendFailure::Invalid,
            _ => SendFailure::Failed,
        },
    }
}

/// The error of a Graph API answer that is not a success: Meta's words, its code and details.
pub fn from_response(http_status: u16, body: &str) -> SendError {
    let parsed: Value = serde_json::from_str(body).unwrap_or_default();
    let error = parsed.get("error").cloned().unwrap_or_default();
    let code = error.get("code").and_then(Value::as_i64);
    let subcode = error.get("error_subcode").and_then(Value::as_i64);
    let kind = kind_of(http_status, code, subcode);
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message");
    let details = error
        .pointer("/error_data/details")
        .and_then(Value::as_str)
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let text = match code {
        Some(code) => format!("Graph API error {code}: {message}{details}"),
        None => format!("Graph API answered HTTP {http_status}: {message}{details}"),
    };
    SendError::new(kind, handlers::error::scrub(&text))
}

/// A request that got no answer (connection, timeout).
pub fn unreachable(error: reqwest::Error) -> SendError {
    let message = if error.is_timeout() {
        "the Graph API did not answer in time"
    } else {
        "the Graph API could not be reached"
    };
    SendError::new(SendFailure::Failed, message).with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(kind_of(400, Some(130_429), None), SendFailure::Throttled);
        assert_eq!(kind_of(400, Some(131_056), None), SendFailure::Throttled);
        assert_eq!(kind_of(429, None, None), SendFailure::Throttled);
        assert_eq!(
            kind_of(401, Some(190), Some(463)),
            SendFailure::AccessDenied
        );
        assert_eq!(kind_of(400, Some(131_047), None), SendFailure::Invalid);
        assert_eq!(kind_of(400, Some(131_026), None), SendFailure::Invalid);
        assert_eq!(kind_of(400, Some(100), Some(33)), SendFailure::NotFound);
        assert_eq!(kind_of(500, Some(131_000), None), SendFailure::Failed);
        assert_eq!(kind_of(503, None, None), SendFailure::Failed);
    }

    #[test]
    fn the_message_is_metas_with_code_and_details() {
        let body = r#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed"},"fbtrace_id":"A1"}}"#;
        let e = from_response(400, body);
        assert_eq!(e.kind, SendFailure::Invalid);
        assert_eq!(
            e.message,
            "Graph API error 131047: (#131047) Re-engagement message (Message failed to send because more than 24 hours have passed)"
        );
        assert_eq!(
            from_response(502, "<html>").message,
            "Graph API answered HTTP 502: no message"
        );
    }
}
