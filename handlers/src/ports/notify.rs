//! The notification port: one short JSON message per event worth a person's attention
//! (security, account alerts, quality, templates, failed sends, poison records), published to
//! SNS by the root crate. Subscribers filter on the message attributes.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

/// One notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// What happened (`security`, `account_alert`, `account_update`, `quality`,
    /// `template`, `send_failed`, `poison_record`, `inbound_message`): the `kind` attribute.
    pub kind: &'static str,
    /// `CRITICAL`, `WARNING` or `INFO`: the `severity` attribute.
    pub severity: &'static str,
    /// Meta's phone number id (or display number) it concerns: the `phoneNumberId` attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    /// The e-mail subject (at most 100 characters, as SNS allows).
    pub subject: String,
    /// What happened, in one sentence.
    pub summary: String,
    /// The facts, typed (ids, codes, states).
    pub detail: Value,
    pub at: String,
}

#[derive(Debug, thiserror::Error)]
#[error("notification not published: {message}")]
pub struct NotifyError {
    pub message: String,
    #[source]
    pub source: Option<super::BoxError>,
}

/// Publishes notifications (SNS `NOTIFY_TOPIC_ARN`).
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn publish(&self, notification: &Notification) -> Result<(), NotifyError>;

    /// Called once when a notification could not be published even after its retry (the SNS
    /// adapter meters it).
    fn lost(&self, _notification: &Notification) {}
}
