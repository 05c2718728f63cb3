//! The account port: the EUM Social operations on linked WhatsApp Business Accounts and their
//! phone numbers (configuration, calling, conversions). The root crate implements it with
//! aws-sdk-socialmessaging; local mode has [`LocalAccount`], which has no account to ask.
//!
//! Errors are [`SendError`]s, so they answer the same statuses as sends (throttled 429,
//! validation 400, not found 404, access denied 403, anything else 502).

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{SendError, SendFailure};

/// A WABA linked to EUM Social (`ListLinkedWhatsAppBusinessAccounts` /
/// `GetLinkedWhatsAppBusinessAccount`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkedAccount {
    pub arn: String,
    /// EUM Social's id (`waba-…`).
    pub id: String,
    /// Meta's WABA id.
    pub waba_id: String,
    pub waba_name: String,
    /// `COMPLETE` or `INCOMPLETE`.
    pub registration_status: String,
    pub link_date: Option<String>,
    #[serde(default)]
    pub event_destinations: Vec<EventDestination>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing_messages_onboarding_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    /// Only from `GetLinkedWhatsAppBusinessAccount`.
    #[serde(default)]
    pub phone_numbers: Vec<PhoneNumber>,
}

/// Where EUM Social publishes a WABA's webhooks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDestination {
    /// The SNS topic (or Connect instance) ARN.
    pub event_destination_arn: String,
    /// The IAM role EUM Social assumes to publish (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// A business phone of a linked WABA.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumber {
    pub arn: String,
    /// E.164 phone number.
    pub phone_number: String,
    /// EUM Social's id (`phone-number-id-…`): the origination id of sends.
    pub phone_number_id: String,
    pub meta_phone_number_id: String,
    pub display_phone_number_name: String,
    pub display_phone_number: String,
    pub quality_rating: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_localization_region: Option<String>,
}

/// `GetLinkedWhatsAppBusinessAccountPhoneNumber`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumberDetails {
    pub phone_number: PhoneNumber,
    /// The EUM id of its WABA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_waba_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_settings: Option<CallSettings>,
}

/// A phone's calling settings (EUM Social's `WhatsAppCallSettings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallSettings {
    /// Whether the phone takes and places calls.
    pub call_enabled: bool,
    /// When calls are taken; outside these hours the call button offers a callback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_hours: Option<CallHours>,
    /// `DEFAULT` or `DISABLE_ALL`: whether the call icon shows in the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_icon_visibility: Option<String>,
    /// `ENABLED` or `DISABLED`: ask for call permission when a customer calls back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_permission_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallHours {
    pub enabled: bool,
    /// IANA time zone (`Europe/London`).
    pub timezone: String,
    #[serde(default)]
    pub weekly_operating_hours: Vec<WeeklyHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday_schedule: Option<Vec<Holiday>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeeklyHours {
    /// `MONDAY` … `SUNDAY`.
    pub day_of_week: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_time: Option<TimeOfDay>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_time: Option<TimeOfDay>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Holiday {
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<TimeOfDay>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<TimeOfDay>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimeOfDay {
    pub hours: i32,
    pub minutes: i32,
}

/// Whom a call permission is asked about: a phone number or a BSUID.
#[derive(Debug, Clone, PartialEq)]
pub enum CallPeer {
    Phone(String),
    Bsuid(String),
}

/// `GetWhatsAppCallPermission`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallPermission {
    /// `granted`, `denied`, `pending`, `expired`, … as Meta says.
    pub status: Option<String>,
    pub expiration_time: Option<String>,
    #[serde(default)]
    pub actions: Vec<Value>,
}

/// The EUM Social account operations.
#[async_trait]
pub trait AccountApi: Send + Sync {
    /// `ListLinkedWhatsAppBusinessAccounts`, every page.
    async fn list_accounts(&self) -> Result<Vec<LinkedAccount>, SendError>;

    /// `GetLinkedWhatsAppBusinessAccount` (EUM id `waba-…`), with its phone numbers.
    async fn get_account(&self, id: &str) -> Result<LinkedAccount, SendError>;

    /// `GetLinkedWhatsAppBusinessAccountPhoneNumber` (EUM id `phone-number-id-…` or ARN).
    async fn get_phone_number(&self, id: &str) -> Result<PhoneNumberDetails, SendError>;

    /// `PutWhatsAppBusinessAccountEventDestinations` (EUM id `waba-…`).
    async fn put_event_destinations(
        &self,
        id: &str,
        destinations: &[EventDestination],
    ) -> Result<(), SendError>;

    /// `UpdateLinkedWhatsAppBusinessAccountPhoneNumber`: the phone's call settings. Returns
    /// the EUM phone id.
    async fn update_call_settings(
        &self,
        id: &str,
        settings: &CallSettings,
    ) -> Result<String, SendError>;

    /// `GetWhatsAppCallPermission`.
    async fn get_call_permission(
        &self,
        origination: &str,
        peer: &CallPeer,
    ) -> Result<CallPermission, SendError>;

    /// `SendWhatsAppCallEvent`: Meta's call JSON (`/calls`). Returns the call id.
    async fn send_call_event(
        &self,
        origination: &str,
        call_event: &Value,
        meta_api_version: &str,
    ) -> Result<String, SendError>;

    /// `CreateWhatsAppDataset` (EUM id `waba-…`). Returns the dataset id.
    async fn create_dataset(&self, id: &str) -> Result<String, SendError>;

    /// `SendWhatsAppConversionEvent`: Meta's conversion event JSON to a dataset (EUM requires
    /// it: the WABA's own is `LinkedAccount::dataset_id`). Returns EUM's request id.
    async fn send_conversion_event(
        &self,
        id: &str,
        dataset_id: &str,
        event_data: &Value,
    ) -> Result<String, SendError>;

    /// True when there is no EUM Social account to ask (local mode).
    fn is_local(&self) -> bool {
        false
    }
}

/// Local mode: no AWS account, so every operation answers 400 saying so. Actions answer what
/// they can from the configuration instead.
pub struct LocalAccount;

fn local(operation: &str) -> SendError {
    SendError::new(
        SendFailure::Unsupported,
        format!(
            "{operation} is not available in local mode (SENDER=sandbox); deploy with SENDER=eum to reach EUM Social"
        ),
    )
}

#[async_trait]
impl AccountApi for LocalAccount {
    async fn list_accounts(&self) -> Result<Vec<LinkedAccount>, SendError> {
        Err(local("ListLinkedWhatsAppBusinessAccounts"))
    }
    async fn get_account(&self, _: &str) -> Result<LinkedAccount, SendError> {
        Err(local("GetLinkedWhatsAppBusinessAccount"))
    }
    async fn get_phone_number(&self, _: &str) -> Result<PhoneNumberDetails, SendError> {
        Err(local("GetLinkedWhatsAppBusinessAccountPhoneNumber"))
    }
    async fn put_event_destinations(
        &self,
        _: &str,
        _: &[EventDestination],
    ) -> Result<(), SendError> {
        Err(local("PutWhatsAppBusinessAccountEventDestinations"))
    }
    async fn update_call_settings(&self, _: &str, _: &CallSettings) -> Result<String, SendError> {
        Err(local("UpdateLinkedWhatsAppBusinessAccountPhoneNumber"))
    }
    async fn get_call_permission(
        &self,
        _: &str,
        _: &CallPeer,
    ) -> Result<CallPermission, SendError> {
        Err(local("GetWhatsAppCallPermission"))
    }
    async fn send_call_event(&self, _: &str, _: &Value, _: &str) -> Result<String, SendError> {
        Err(local("SendWhatsAppCallEvent"))
    }
    async fn create_dataset(&self, _: &str) -> Result<String, SendError> {
        Err(local("CreateWhatsAppDataset"))
    }
    async fn send_conversion_event(
        &self,
        _: &str,
        _: &str,
        _: &Value,
    ) -> Result<String, SendError> {
        Err(local("SendWhatsAppConversionEvent"))
    }
    fn is_local(&self) -> bool {
        true
    }
}
