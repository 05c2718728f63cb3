//! Errors of the action layer, each with the HTTP status it answers.

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
    #[error("internal error: {0}")]
    Internal(String),
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
            HandlerError::Store(_) | HandlerError::Internal(_) => 500,
            HandlerError::Send(e) => e.status(),
            HandlerError::Media(e) if e.not_found => 404,
            HandlerError::Media(_) => 502,
            HandlerError::WindowClosed(_) => 400,
        }
    }

    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        HandlerError::InvalidParam {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<serde_json::Error> for HandlerError {
    fn from(e: serde_json::Error) -> Self {
        HandlerError::Internal(e.to_string())
    }
}
