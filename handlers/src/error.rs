//! Errors of the action layer, each with the HTTP status it answers.

use crate::ports::SendFailure;
use crate::store::StoreError;

/// Why an action did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("missing required parameter `{0}`")]
    MissingParam(String),
    #[error("invalid parameter `{field}`: {reason}")]
    InvalidParam { field: String, reason: String },
    #[error("the request has no `action`; send {{\"action\": \"help\"}} to list the actions")]
    MissingAction,
    #[error("unknown action `{name}`{}", suggestion_text(.suggestions))]
    UnknownAction {
        name: String,
        suggestions: Vec<String>,
    },
    /// Keys the action does not read (a misspelt name would otherwise be ignored silently).
    #[error(
        "unknown parameter{} {} for `{action}`{}",
        if names.len() > 1 { "s" } else { "" },
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        param_hint(action, suggestions)
    )]
    UnknownParam {
        names: Vec<String>,
        action: String,
        suggestions: Vec<String>,
    },
    #[error("{0}")]
    NotFound(String),
    /// A request the caller may not make, whoever they are (deleting an object this product
    /// did not write).
    #[error("{0}")]
    Forbidden(String),
    /// The caller is told what failed in product terms; the store's own error (SDK context,
    /// request ids, ARNs) stays as the source, for the log.
    #[error("{}", store_message(.0))]
    Store(#[from] StoreError),
    #[error(transparent)]
    Send(#[from] crate::ports::SendError),
    #[error(transparent)]
    Media(#[from] crate::ports::MediaError),
    /// The fast-ack queue (SQS) failed: 503 when a retry may pass, 403 when access is denied.
    #[error(transparent)]
    Queue(#[from] crate::ports::queue::QueueError),
    /// A free-form message outside the 24-hour customer-service window.
    #[error("{0}")]
    WindowClosed(String),
    /// A send whose idempotency key is taken by an attempt still in flight or whose outcome
    /// awaits its status webhook (409).
    #[error("{0}")]
    Conflict(String),
    /// An idempotency key reused with a different request (422).
    #[error("{0}")]
    KeyReused(String),
    /// EUM Social accepted the message but the store refused to record it: answered with the
    /// store's status, naming the wamid, so the caller knows it went out.
    #[error(
        "the message was sent as {wa_message_id} but could not be stored ({source}); it is recorded when its first status arrives, and a retry with the same idempotencyKey returns it without sending again"
    )]
    SentNotRecorded {
        wa_message_id: String,
        #[source]
        source: StoreError,
    },
    #[error("internal error: {0}")]
    Internal(String),
    /// A value that could not be encoded or decoded as JSON (a bug, not the caller's fault).
    #[error("internal error: a value could not be encoded as JSON")]
    Json(#[from] serde_json::Error),
}

fn suggestion_text(suggestions: &[String]) -> String {
    match suggestions {
        [] => "; send {\"action\": \"list_actions\"} to see them all".into(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of: {}?",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn param_hint(action: &str, suggestions: &[String]) -> String {
    match suggestions {
        [] => format!(
            "; send {{\"action\": \"help\", \"topic\": \"{action}\"}} to see its parameters"
        ),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of: {}?",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What a store failure means to the caller, without the store's internals.
fn store_message(e: &StoreError) -> String {
    match e {
        StoreError::Unavailable { operation, .. } => {
            format!("the store is unavailable ({operation}); retry later")
        }
        StoreError::Rejected { operation, .. } => {
            format!("the store refused the request ({operation})")
        }
        StoreError::Fault { operation, .. } => format!(
            "the store refused access or is misconfigured ({operation}); an operator must fix it"
        ),
        StoreError::BadCursor(_) => e.to_string(),
        StoreError::Corrupt { pk, .. } => format!("the stored item {pk} does not decode"),
    }
}

impl HandlerError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            HandlerError::MissingParam(_)
            | HandlerError::InvalidParam { .. }
            | HandlerError::MissingAction
            | HandlerError::UnknownAction { .. }
            | HandlerError::UnknownParam { .. } => 400,
            HandlerError::NotFound(_) => 404,
            HandlerError::Forbidden(_) => 403,
            HandlerError::Store(StoreError::BadCursor(_)) => 400,
            HandlerError::Store(e) if e.is_retryable() => 503,
            HandlerError::Store(_) | HandlerError::Internal(_) | HandlerError::Json(_) => 500,
            HandlerError::Send(e) => match e.kind {
                SendFailure::Throttled => 429,
                SendFailure::Invalid | SendFailure::Unsupported => 400,
                SendFailure::NotFound => 404,
                SendFailure::AccessDenied => 403,
                SendFailure::Failed => 502,
            },
            HandlerError::Media(e) if e.not_found => 404,
            HandlerError::Media(_) => 502,
            HandlerError::Queue(e) if e.retryable => 503,
            HandlerError::Queue(e) if e.access_denied => 403,
            HandlerError::Queue(_) => 502,
            HandlerError::WindowClosed(_) => 400,
            HandlerError::Conflict(_) => 409,
            HandlerError::KeyReused(_) => 422,
            HandlerError::SentNotRecorded { source, .. } if source.is_retryable() => 503,
            HandlerError::SentNotRecorded { .. } => 500,
        }
    }

    /// The text the caller is told: the error's own message, and for errors that come from
    /// the store, EUM Social or the media store, that message with anything that looks like an
    /// AWS internal (ARNs, account ids, request ids) taken out. The whole chain goes to the log.
    pub fn public_message(&self) -> String {
        match self {
            HandlerError::Store(_)
            | HandlerError::Send(_)
            | HandlerError::Media(_)
            | HandlerError::Queue(_)
            | HandlerError::Internal(_)
            | HandlerError::Json(_) => scrub(&self.to_string()),
            _ => self.to_string(),
        }
    }

    /// A conversation that is not stored (404).
    pub fn no_conversation(pk: &str) -> Self {
        HandlerError::NotFound(format!("no conversation `{pk}`"))
    }

    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        HandlerError::InvalidParam {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// `text` without what looks like an AWS internal: ARNs (with the role and account in them),
/// 12-digit account ids, request ids (UUIDs and long hex runs). Adapters build their messages
/// from the service's own words; this is the last filter before a response body.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | ',' | ';' | '`') {
            out.push_str(&scrub_token(&token));
            token.clear();
            out.push(c);
        } else {
            token.push(c);
        }
    }
    out.push_str(&scrub_token(&token));
    out
}

fn scrub_token(token: &str) -> String {
    if let Some(at) = token.find("arn:") {
        return format!("{}[redacted]", &token[..at]);
    }
    let word = token.trim_end_matches(['.', ':']);
    let suffix = &token[word.len()..];
    // Request ids: UUIDs, S3's hex, DynamoDB's upper-case base32 (letters and digits mixed).
    let id_like = |c: char| c.is_ascii_digit() || c == '-';
    let request_id = word.len() >= 16
        && (word.chars().all(|c| id_like(c) || c.is_ascii_hexdigit())
            || word.chars().all(|c| id_like(c) || c.is_ascii_uppercase()))
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().any(|c| c.is_ascii_alphabetic() || c == '-');
    let account = word.len() == 12 && word.chars().all(|c| c.is_ascii_digit());
    if request_id || account {
        return format!("[redacted]{suffix}");
    }
    token.to_string()
}

/// The error and each of its sources, joined with `: `, for logs (the caller sees only the
/// error's own message).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // `#[error(transparent)]` repeats its source's text.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MediaError, SendError};

    #[test]
    fn each_error_answers_its_status() {
        let send = |kind| HandlerError::Send(SendError::new(kind, "m")).status();
        assert_eq!(send(SendFailure::Throttled), 429);
        assert_eq!(send(SendFailure::Invalid), 400);
        assert_eq!(send(SendFailure::Unsupported), 400);
        assert_eq!(send(SendFailure::NotFound), 404);
        assert_eq!(send(SendFailure::AccessDenied), 403);
        assert_eq!(send(SendFailure::Failed), 502);
        assert_eq!(
            HandlerError::Media(MediaError::not_found("head", "m")).status(),
            404
        );
        assert_eq!(
            HandlerError::Media(MediaError::new("put", "m")).status(),
            502
        );
        assert_eq!(HandlerError::MissingParam("x".into()).status(), 400);
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        assert_eq!(HandlerError::from(json).status(), 500);
    }

    /// What an SDK error's text looks like: a role, an account, a table ARN, a request id.
    const SDK_TEXT: &str = "service error: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/wa-prod-role/wa-fn is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/wa-prod (RequestId: NCI7R2D3U7CFQ8S2N5S5M5A8KVV4KQNSO5AEMVJF66Q9ASUAAJG, s3 id 4442587FB7D0A2F9, 9f1c2a4e-1b2c-4d5e-8f90-123456789abc)";
    const SECRETS: [&str; 6] = [
        "arn:",
        "wa-prod-role",
        "123456789012",
        "NCI7R2D3U7CFQ8S2N5",
        "4442587FB7D0A2F9",
        "9f1c2a4e",
    ];

    fn assert_clean(body: &serde_json::Value) {
        let text = body.to_string();
        for secret in SECRETS {
            assert!(!text.contains(secret), "`{secret}` leaked: {text}");
        }
    }

    #[test]
    fn store_errors_say_what_failed_and_keep_the_sdk_text_for_the_log() {
        let sdk = || -> crate::store::BoxError { Box::new(std::io::Error::other(SDK_TEXT)) };
        for (err, status, text) in [
            (
                StoreError::Unavailable {
                    operation: "GetItem",
                    source: sdk(),
                },
                503,
                "the store is unavailable (GetItem); retry later",
            ),
            (
                StoreError::Rejected {
                    operation: "PutItem",
                    source: sdk(),
                },
                500,
                "the store refused the request (PutItem)",
            ),
            (
                StoreError::Fault {
                    operation: "Query",
                    source: sdk(),
                },
                500,
                "the store refused access or is misconfigured (Query); an operator must fix it",
            ),
        ] {
            let err = HandlerError::Store(err);
            // the log line keeps the whole chain
            assert!(
                chain(&err).contains("assumed-role/wa-prod-role"),
                "{}",
                chain(&err)
            );
            let body = crate::registry::respond("get_message", Err(err));
            assert_eq!(body["statusCode"], status, "{body}");
            assert_eq!(body["error"], text, "{body}");
            // a correlation id the caller can quote; the log line carries the same id
            assert_eq!(body["errorId"].as_str().map(str::len), Some(36), "{body}");
            assert_clean(&body);
        }
    }

    #[test]
    fn media_and_send_messages_lose_what_looks_internal() {
        let media = HandlerError::Media(
            MediaError::new("PutObject", format!("AccessDenied: {SDK_TEXT}"))
                .with_source(std::io::Error::other(SDK_TEXT)),
        );
        let body = crate::registry::respond("upload_media", Err(media));
        assert_eq!(body["statusCode"], 502);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("media store (PutObject): AccessDenied: service error"),
            "{body}"
        );
        assert_clean(&body);
        let send = HandlerError::Send(SendError::new(SendFailure::AccessDenied, SDK_TEXT));
        let body = crate::registry::respond("send_text", Err(send));
        assert_eq!(body["statusCode"], 403);
        assert_clean(&body);
        // the caller's own words are not touched
        assert_eq!(
            scrub("Invalid parameter: message.to (16505551234)"),
            "Invalid parameter: message.to (16505551234)"
        );
        assert_eq!(
            scrub("on resource: arn:aws:s3:::bucket/key."),
            "on resource: [redacted]"
        );
    }

    #[test]
    fn the_caller_sees_the_cause_and_logs_see_the_source() {
        // GIVEN an SDK-like error kept as the source of a send error
        let sdk = std::io::Error::other("dispatch failure: connection refused (os error 111)");
        let err = HandlerError::Send(
            SendError::new(SendFailure::Failed, "could not reach EUM Social")
                .with_source(sdk)
                .recorded_as("failed.1"),
        );
        // THEN the message names the cause and the recorded id, without the internals
        assert_eq!(
            err.to_string(),
            "EUM Social failed: could not reach EUM Social (recorded as failed message failed.1)"
        );
        // AND the log line keeps the source
        assert!(
            chain(&err).ends_with("connection refused (os error 111)"),
            "{}",
            chain(&err)
        );
    }
}
