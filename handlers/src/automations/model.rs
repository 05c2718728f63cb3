//! Automation rules as stored (`AUTOMATION#{id}`) and as callers give them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What makes a rule fire. When several rules match one message only one fires: an opt-out
/// first, then keyword rules (highest `priority` first), then the welcome, then the away
/// message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// STOP, UNSUBSCRIBE (and the rule's `keywords`): sets the marketing opt-out, then replies.
    OptOut,
    /// `keywords` (exact or contained) or a regular expression `pattern`.
    Keyword,
    /// The customer's first message, and a chat opened with `request_welcome`.
    Welcome,
    /// A message outside the weekly `hours`, in `timeZone`.
    Away,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum MatchMode {
    /// The whole message (trimmed) is one of the keywords.
    Exact,
    /// The message contains one of the keywords.
    Contains,
    /// The message matches `pattern` (Rust regex syntax, bounded size).
    Regex,
}

/// A template reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateReply {
    /// An approved template's name.
    pub name: String,
    /// Its language, default en_US.
    #[serde(default = "english")]
    pub language: String,
    /// Body parameters, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<Value>,
    /// Meta's components list as is (instead of `body`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<Value>>,
}

fn english() -> String {
    "en_US".into()
}

/// What a rule sends: a text (only inside the 24-hour window) or a template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reply {
    /// A text reply, at most 4,096 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A template reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateReply>,
}

/// The part of a rule a caller sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// A name for people.
    #[schemars(length(max = 256))]
    pub name: String,
    /// `welcome`, `keyword`, `away` or `optOut`.
    pub kind: Kind,
    /// Off rules are kept but never fire.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Among keyword rules, the highest fires first.
    #[serde(default)]
    pub priority: i64,
    /// The business phone it answers for; all phones when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<crate::params::ids::PhoneNumberId>,
    /// Keyword rules: `exact`, `contains` or `regex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_mode: Option<MatchMode>,
    /// Keyword rules (exact, contains), and opt-out words besides STOP and UNSUBSCRIBE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Regex keyword rules: the pattern (at most 200 characters).
    #[schemars(length(max = 200))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Keywords and patterns ignore case unless this is true.
    #[serde(default)]
    pub case_sensitive: bool,
    /// Away rules: an IANA time zone (`Europe/Paris`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Away rules: the open hours per weekday (`mon` … `sun`), `["09:00-12:30", "14:00-18:00"]`;
    /// a day not listed is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BTreeMap<String, Vec<String>>>,
    /// `{"text": "…"}` or `{"template": {"name", "language", "body" | "components"}}`.
    pub reply: Reply,
    /// The rule answers one customer at most once per this many seconds (default by kind:
    /// welcome 86,400, away 3,600, keyword and opt-out 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_seconds: Option<i64>,
}

fn yes() -> bool {
    true
}

impl Rule {
    pub fn cooldown(&self) -> i64 {
        self.cooldown_seconds.unwrap_or(match self.kind {
            Kind::Welcome => 86_400,
            Kind::Away => 3_600,
            Kind::Keyword | Kind::OptOut => 60,
        })
    }
}

/// One stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationItem {
    pub pk: String,
    pub item_type: String,
    pub item_type_pk: String,
    pub id: String,
    #[serde(flatten)]
    pub rule: Rule,
    pub created_at: String,
    pub updated_at: String,
}

pub const ITEM_TYPE: &str = "AUTOMATION";

/// The fields `update_automation` may change (each one optional; the kind stays).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulePatch {
    /// A name for people.
    #[schemars(length(max = 256))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Off rules are kept but never fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Among keyword rules, the highest fires first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// The business phone it answers for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<crate::params::ids::PhoneNumberId>,
    /// `exact`, `contains` or `regex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_mode: Option<MatchMode>,
    /// Keywords (replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
    /// Regex pattern (at most 200 characters).
    #[schemars(length(max = 200))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Keywords and patterns ignore case unless true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_sensitive: Option<bool>,
    /// IANA time zone of the away hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Weekly open hours (replaces them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BTreeMap<String, Vec<String>>>,
    /// The reply (replaces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    /// Cooldown per customer, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_seconds: Option<i64>,
}
