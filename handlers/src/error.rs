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
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Send(#[from] crate::ports::SendError),
    #[error(transparent)]
    Media(#[from] crate::ports::MediaError),
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

impl HandlerError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            HandlerError::MissingParam(_)
            | HandlerError::InvalidParam { .. }
            | HandlerError::MissingAction
            | HandlerError::UnknownAction { .. } => 400,
            HandlerError::NotFound(_) => 404,
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
            HandlerError::WindowClosed(_) => 400,
            HandlerError::Conflict(_) => 409,
            HandlerError::KeyReused(_) => 422,
            HandlerError::SentNotRecorded { source, .. } if source.is_retryable() => 503,
            HandlerError::SentNotRecorded { .. } => 500,
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
