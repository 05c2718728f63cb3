//! Sorting SDK failures into what the caller should do: retry (`Unavailable`), fix the
//! deployment (`Fault`), or give up on this payload (`Rejected`).

use aws_sdk_dynamodb::config::http::HttpResponse;
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

/// What a failure asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Throttled, unreachable, timed out, 5xx: the same request can succeed later.
    Unavailable,
    /// The deployment is wrong whatever the payload (credentials, IAM, a missing table or
    /// index, a key schema that is not ours).
    Fault,
    /// The request is refused because of what the payload brought (an item over 400 KB, an
    /// empty key value).
    Rejected,
}

/// Error codes that mean "try again later".
const RETRYABLE: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionInProgressException",
    "TransactionConflictException",
    "LimitExceededException",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Error codes that mean the deployment, not the payload, is wrong: credentials, IAM, the
/// table. Retrying the record cannot help until an operator acts, but the record is not to
/// blame either, so it must not be dropped as poison.
const FAULTS: &[&str] = &[
    "AccessDeniedException",
    "UnrecognizedClientException",
    "ResourceNotFoundException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "ExpiredTokenException",
    "ResourceInUseException",
];

/// `ValidationException` messages about the table's schema as our configuration sees it (key
/// names and types, indexes). DynamoDB's and DynamoDB Local's wordings.
const SCHEMA_MESSAGES: &[&str] = &[
    "provided key element does not match the schema",
    "one of the required keys was not given a value",
    "missing the key",
    "type mismatch for key",
    "type mismatch for index key",
    "does not have the specified index",
    "query condition missed key schema element",
    "requested resource not found",
];

/// Sorts a `ValidationException` (or a transaction's `ValidationError` reason) by its message:
/// a key or index that does not match the table is a fault of the deployment; anything else
/// (the item is too large, a key value is empty, a value DynamoDB cannot hold) is about what
/// the payload brought.
pub(super) fn validation_kind(message: &str) -> Kind {
    let message = message.to_ascii_lowercase();
    if SCHEMA_MESSAGES.iter().any(|m| message.contains(m)) {
        Kind::Fault
    } else {
        Kind::Rejected
    }
}

/// The kind of a service error's code and message (and HTTP status, for codes we do not list).
pub(super) fn service_kind(code: Option<&str>, message: Option<&str>, status: u16) -> Kind {
    match code {
        Some(c) if RETRYABLE.contains(&c) => Kind::Unavailable,
        Some(c) if FAULTS.contains(&c) => Kind::Fault,
        Some("ValidationException") => validation_kind(message.unwrap_or_default()),
        _ if status >= 500 => Kind::Unavailable,
        _ if status == 401 || status == 403 => Kind::Fault,
        _ => Kind::Rejected,
    }
}

/// Sorts an SDK error: throttled, unreachable or timed out → `Unavailable`; credentials, IAM,
/// a missing table or index, a key schema that is not ours → `Fault`; a request refused
/// because of its content → `Rejected`.
pub(super) fn classify<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let kind = match &err {
        SdkError::ServiceError(service) => service_kind(
            service.err().code(),
            service.err().message(),
            service.raw().status().as_u16(),
        ),
        // The request could not be built: our code or configuration, never the payload
        // (items are converted before the SDK sees them).
        SdkError::ConstructionFailure(_) => Kind::Fault,
        // Timeouts, connection failures, unreadable responses.
        _ => Kind::Unavailable,
    };
    error(kind, operation, Box::new(SdkFailure::new(err)))
}

/// The store error of a kind.
pub(super) fn error(
    kind: Kind,
    operation: &'static str,
    source: handlers::store::BoxError,
) -> StoreError {
    match kind {
        Kind::Unavailable => StoreError::Unavailable { operation, source },
        Kind::Fault => StoreError::Fault { operation, source },
        Kind::Rejected => StoreError::Rejected { operation, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamodb_and_local_wordings_are_sorted() {
        let cases = [
            // DynamoDB Local (checked against it) and DynamoDB's documented messages
            (
                "ResourceNotFoundException",
                "Cannot do operations on a non-existent table",
                Kind::Fault,
            ),
            (
                "ResourceNotFoundException",
                "Requested resource not found: Table: t not found",
                Kind::Fault,
            ),
            (
                "AccessDeniedException",
                "User: arn:aws:sts::1:assumed-role/r is not authorized to perform: dynamodb:PutItem",
                Kind::Fault,
            ),
            (
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "The provided key element does not match the schema",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "One of the required keys was not given a value",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "One or more parameter values were invalid: Missing the key pk in the item",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "One or more parameter values were invalid: Type mismatch for key",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "One or more parameter values were invalid: Type mismatch for Index Key",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "The table does not have the specified index: gsi-itemType",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "Query condition missed key schema element",
                Kind::Fault,
            ),
            (
                "ValidationException",
                "Item size has exceeded the maximum allowed size",
                Kind::Rejected,
            ),
            (
                "ValidationException",
                "Item size to update has exceeded the maximum allowed size",
                Kind::Rejected,
            ),
            (
                "ValidationException",
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
                Kind::Rejected,
            ),
            (
                "ValidationException",
                "Nesting Levels have exceeded supported limits",
                Kind::Rejected,
            ),
            (
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded.",
                Kind::Unavailable,
            ),
            (
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
                Kind::Unavailable,
            ),
            (
                "InternalServerError",
                "Internal server error",
                Kind::Unavailable,
            ),
            (
                "TransactionConflictException",
                "Transaction is ongoing for the item",
                Kind::Unavailable,
            ),
        ];
        for (code, message, kind) in cases {
            assert_eq!(
                service_kind(Some(code), Some(message), 400),
                kind,
                "{code}: {message}"
            );
        }
        assert_eq!(
            service_kind(Some("SomethingNew"), None, 503),
            Kind::Unavailable
        );
        assert_eq!(service_kind(Some("SomethingNew"), None, 403), Kind::Fault);
        assert_eq!(
            service_kind(Some("SomethingNew"), None, 400),
            Kind::Rejected
        );
    }
}
