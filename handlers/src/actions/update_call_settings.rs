//! `update_call_settings`: a phone's calling settings
//! (`UpdateLinkedWhatsAppBusinessAccountPhoneNumber`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::HandlerError;
use crate::params::ids::PhoneNumberId;
use crate::platform::phones;
use crate::ports::account::CallSettings;
use crate::registry::ActionSpec;

pub const NAME: &str = "update_call_settings";

pub const SPEC: ActionSpec = crate::action_spec!(
    Config,
    Manage,
    "Turns calling on or off for a phone, with its call hours, icon visibility and callback permission."
);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// `{"callEnabled": true, "callHours": {"enabled", "timezone", "weeklyOperatingHours":
    /// [{"dayOfWeek": "MONDAY", "openTime": {"hours": 9, "minutes": 0}, "closeTime": ...}],
    /// "holidaySchedule": [...]}, "callIconVisibility": "DEFAULT", "callbackPermissionStatus":
    /// "ENABLED"}`.
    #[serde(alias = "call_settings")]
    pub call_settings: CallSettings,
    /// The phone: Meta id, EUM `phone-number-id-…`, ARN or display number; defaults to
    /// DEFAULT_PHONE_NUMBER_ID.
    #[serde(default, alias = "phone_number_id")]
    pub phone_number_id: Option<PhoneNumberId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The EUM phone id that was updated.
    pub phone_number_id: String,
    pub call_settings: CallSettings,
}

const DAYS: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

fn check(settings: &CallSettings) -> Result<(), HandlerError> {
    let Some(hours) = &settings.call_hours else {
        return Ok(());
    };
    if hours.timezone.trim().is_empty() {
        return Err(HandlerError::invalid(
            "callSettings.callHours.timezone",
            "must name an IANA time zone",
        ));
    }
    for (i, w) in hours.weekly_operating_hours.iter().enumerate() {
        if !DAYS.contains(&w.day_of_week.to_uppercase().as_str()) {
            return Err(HandlerError::invalid(
                &format!("callSettings.callHours.weeklyOperatingHours[{i}].dayOfWeek"),
                "must be MONDAY … SUNDAY",
            ));
        }
        for t in [&w.open_time, &w.close_time].into_iter().flatten() {
            if !(0..=23).contains(&t.hours) || !(0..=59).contains(&t.minutes) {
                return Err(HandlerError::invalid(
                    &format!("callSettings.callHours.weeklyOperatingHours[{i}]"),
                    "hours are 0–23 and minutes 0–59",
                ));
            }
        }
    }
    Ok(())
}

pub async fn run(ctx: &Ctx, p: Params) -> Result<Output, HandlerError> {
    check(&p.call_settings)?;
    let eum = phones::eum_phone(ctx, p.phone_number_id.as_deref()).await?;
    let updated = ctx
        .platform()
        .account
        .update_call_settings(&eum, &p.call_settings)
        .await?;
    Ok(Output {
        phone_number_id: updated,
        call_settings: p.call_settings,
    })
}
