//! Notifications through SNS (`NOTIFY_TOPIC_ARN`): one short JSON message per notification,
//! with a Subject line for e-mail subscribers and the message attributes `kind`, `severity`
//! and `phoneNumberId` that subscription filter policies can match.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use handlers::ports::notify::{Notification, Notifier, NotifyError};

/// See the module documentation.
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| NotifyError {
            message: "a message attribute could not be built".into(),
            source: Some(Box::new(e)),
        })
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn publish(&self, n: &Notification) -> Result<(), NotifyError> {
        let message = serde_json::to_string(n).map_err(|e| NotifyError {
            message: "the notification is not JSON".into(),
            source: Some(Box::new(e)),
        })?;
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&n.subject)
            .message(message)
            .message_attributes("kind", attribute(n.kind)?)
            .message_attributes("severity", attribute(n.severity)?);
        if let Some(phone) = n.phone_number_id.as_deref().filter(|p| !p.is_empty()) {
            request = request.message_attributes("phoneNumberId", attribute(phone)?);
        }
        request.send().await.map_err(|e| NotifyError {
            message: handlers::error::scrub(
                &aws_sdk_sns::error::DisplayErrorContext(&e).to_string(),
            ),
            source: Some(Box::new(e)),
        })?;
        Ok(())
    }

    fn lost(&self, n: &Notification) {
        crate::metrics::notification_lost(n.kind);
    }
}
