//! `get_analytics`: one business phone over a range of UTC days, from the counter items written
//! when messages and statuses are stored (`analytics`): no Scan, `SHARDS` point reads per day.

use chrono::{Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analytics::report::{self, DayCounts, Figures, ResponseTimes};
use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params;
use crate::params::ids::PhoneNumberId;
use crate::registry::ActionSpec;

pub const NAME: &str = "get_analytics";

pub const SPEC: ActionSpec = crate::action_spec!(
    Automations,
    Read,
    "Messages per day by direction, type and status, delivery and read rates, failures by code, first-response time, conversations and billable messages."
);

/// The longest range, in days.
pub const MAX_DAYS: i64 = 92;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Defaults to DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
    /// First UTC day, YYYY-MM-DD (default: 6 days before `to`).
    #[serde(default)]
    pub from: Option<String>,
    /// Last UTC day, YYYY-MM-DD (default: today). At most 92 days in all.
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Day {
    pub date: String,
    #[serde(flatten)]
    pub figures: Figures,
    pub first_response: ResponseTimes,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub phone_number_id: String,
    pub from: String,
    pub to: String,
    pub days: Vec<Day>,
    pub totals: Figures,
    /// delivered / sent over the range (`null` without sends).
    pub delivery_rate: Option<f64>,
    /// read / delivered over the range.
    pub read_rate: Option<f64>,
    /// The business's first reply to a waiting customer (automated replies excluded).
    pub first_response: ResponseTimes,
}

fn date(field: &str, s: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| HandlerError::invalid(field, "is not a date YYYY-MM-DD"))
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    let phone = params::phone_number_id(p.phone_number_id.as_deref(), ctx.default_phone())?;
    let to = match p.to.as_deref() {
        Some(s) => date("to", s)?,
        None => Utc::now().date_naive(),
    };
    let from = match p.from.as_deref() {
        Some(s) => date("from", s)?,
        None => to - Duration::days(6),
    };
    if from > to {
        return Err(HandlerError::invalid("from", "must not be after `to`"));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(HandlerError::invalid(
            "from",
            format!("the range is at most {MAX_DAYS} days"),
        ));
    }
    let mut all = DayCounts::new();
    let mut days = Vec::new();
    for day in report::days(from, to) {
        let counts = report::day_counts(ctx.store(), &phone, &day).await?;
        for (k, v) in &counts {
            *all.entry(k.clone()).or_default() += v;
        }
        days.push(Day {
            figures: Figures::from_counts(&counts),
            first_response: report::response_times(&counts),
            date: day,
        });
    }
    let totals = Figures::from_counts(&all);
    let status = |s: &str| totals.statuses.get(s).copied().unwrap_or(0);
    Ok(Output {
        delivery_rate: report::rate(status("delivered"), status("sent")),
        read_rate: report::rate(status("read"), status("delivered")),
        first_response: report::response_times(&all),
        phone_number_id: phone,
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        days,
        totals,
    })
}
