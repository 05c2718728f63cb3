//! Sorting SDK failures into retryable and permanent store errors.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use handlers::store::StoreError;

/// An SDK error with its whole context in the message (an `SdkError` alone displays as
/// "service error"), the error itself kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct SdkFailure {
    context: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl SdkFailure {
    pub fn new<E>(err: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        SdkFailure {
            context: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
            source: Box::new(err),
        }
    }
}

/// Sorts an SDK error into retryable (unreachable, throttled, table missing: redeliver, so
/// nothing is lost while an operator fixes it) or not.
pub(super) fn classify<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let retryable = match &err {
        SdkError::ServiceError(service) => matches!(
            service.err().code(),
            Some(
                "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "ResourceNotFoundException"
                    | "TransactionInProgressException"
                    | "TransactionConflictException"
                    | "LimitExceededException"
            )
        ),
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    };
    let source = Box::new(SdkFailure::new(err));
    if retryable {
        StoreError::Unavailable { operation, source }
    } else {
        StoreError::Rejected { operation, source }
    }
}
