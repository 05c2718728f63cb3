//! The campaign's items: `CAMPAIGN#{id}` and one `CAMPAIGN#{id}#R#{seq}` per recipient.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A campaign's state. `creating` while its recipients are written; `draft` until started;
/// `scheduled` until its time; `running`; `paused`; `completed` or `cancelled` at the end.
pub mod state {
    pub const CREATING: &str = "creating";
    pub const DRAFT: &str = "draft";
    pub const SCHEDULED: &str = "scheduled";
    pub const RUNNING: &str = "running";
    pub const PAUSED: &str = "paused";
    pub const COMPLETED: &str = "completed";
    pub const CANCELLED: &str = "cancelled";
}

/// A recipient's state: `pending` → `sending` → `sent` | `failed`; `skipped` when the customer
/// opted out of marketing after the campaign was created.
pub mod rstate {
    pub const PENDING: &str = "pending";
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
    pub const SKIPPED: &str = "skipped";
    pub const ALL: [&str; 5] = [PENDING, SENDING, SENT, FAILED, SKIPPED];
}

/// Template parameters: the shorthand of `send_template` (`header`, `body`, `buttons`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Value>,
}

impl TemplateParams {
    pub fn is_empty(&self) -> bool {
        self.header.is_none() && self.body.is_empty() && self.buttons.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignItem {
    pub pk: String,
    pub item_type: String,
    pub item_type_pk: String,
    pub campaign_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub template: String,
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    pub phone_number_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origination_phone_number_id: Option<String>,
    /// Parameters every recipient gets unless it has its own.
    #[serde(default, skip_serializing_if = "TemplateParams::is_empty")]
    pub defaults: TemplateParams,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_at: Option<String>,
    /// Sends per second (0: no pacing).
    pub rate: u32,
    /// Hours after its send within which a recipient's message counts as a reply.
    pub reply_window_hours: u32,
    /// Recipients stored (after deduplication and opt-outs).
    pub total: u64,
    pub duplicates: u64,
    pub skipped_opted_out: u64,
    /// The current chain of work items; items of another chain are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The run holding the campaign (epoch ms until which it holds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
    /// The chain the lease was taken in: a run of a newer chain may take it over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_token: Option<String>,
    /// The last time Meta answered 130429 (rate limit) for one of its messages (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_reason: Option<String>,
    /// Runs (invocations) that worked on it.
    #[serde(default)]
    pub runs: u64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientItem {
    pub pk: String,
    pub item_type: String,
    pub item_type_pk: String,
    pub campaign_id: String,
    pub seq: u64,
    pub customer_id: String,
    /// The phone number (wa_id) sent to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The BSUID sent to when there is no phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(default, skip_serializing_if = "TemplateParams::is_empty")]
    pub parameters: TemplateParams,
    pub state: String,
    /// Send attempt: moves on only when nothing reached the customer (a throttle, Meta's
    /// 130429), so each attempt has its own idempotency key.
    #[serde(default)]
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_message_id: Option<String>,
    /// Delivery progress: 2 sent, 3 delivered, 4 read (Meta's status ranks).
    #[serde(default)]
    pub progress: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replied_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Milestones already counted (`sent`, `delivered`, `read`, `replied`, `failed`, `skipped`):
    /// each is counted once per recipient, in the write that records it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counted: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}
