//! The account port through aws-sdk-socialmessaging: linked WABAs and phones, event
//! destinations, call settings and permissions, call events, datasets and conversion events.
//! Errors map as sends do (`super::map_error`).

use async_trait::async_trait;
use aws_sdk_socialmessaging::Client;
use aws_sdk_socialmessaging::primitives::{Blob, DateTime, DateTimeFormat};
use aws_sdk_socialmessaging::types::{
    WhatsAppBusinessAccountEventDestination, WhatsAppCallHours, WhatsAppCallSettings,
    WhatsAppDayOfWeek, WhatsAppHolidayScheduleEntry, WhatsAppPhoneNumberDetail,
    WhatsAppPhoneNumberSummary, WhatsAppTimeOfDay, WhatsAppWeeklyOperatingHoursEntry,
};
use handlers::ports::account::{
    AccountApi, CallHours, CallPeer, CallPermission, CallSettings, EventDestination, Holiday,
    LinkedAccount, PhoneNumber, PhoneNumberDetails, TimeOfDay, WeeklyHours,
};
use handlers::ports::{SendError, SendFailure};
use serde_json::{Value, json};

use super::map_error;

/// See the module documentation.
pub struct EumAccount {
    client: Client,
}

impl EumAccount {
    pub fn new(client: Client) -> Self {
        EumAccount { client }
    }
}

fn iso(t: &DateTime) -> String {
    t.fmt(DateTimeFormat::DateTime).unwrap_or_default()
}

fn invalid(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> SendError {
    SendError::new(SendFailure::Invalid, format!("{what}: {e}")).with_source(e)
}

fn destination(d: &WhatsAppBusinessAccountEventDestination) -> EventDestination {
    EventDestination {
        event_destination_arn: d.event_destination_arn.clone(),
        role_arn: d.role_arn.clone(),
    }
}

fn summary_phone(p: &WhatsAppPhoneNumberSummary) -> PhoneNumber {
    PhoneNumber {
        arn: p.arn.clone(),
        phone_number: p.phone_number.clone(),
        phone_number_id: p.phone_number_id.clone(),
        meta_phone_number_id: p.meta_phone_number_id.clone(),
        display_phone_number_name: p.display_phone_number_name.clone(),
        display_phone_number: p.display_phone_number.clone(),
        quality_rating: p.quality_rating.clone(),
        data_localization_region: p.data_localization_region.clone(),
    }
}

fn detail_phone(p: &WhatsAppPhoneNumberDetail) -> PhoneNumber {
    PhoneNumber {
        arn: p.arn.clone(),
        phone_number: p.phone_number.clone(),
        phone_number_id: p.phone_number_id.clone(),
        meta_phone_number_id: p.meta_phone_number_id.clone(),
        display_phone_number_name: p.display_phone_number_name.clone(),
        display_phone_number: p.display_phone_number.clone(),
        quality_rating: p.quality_rating.clone(),
        data_localization_region: p.data_localization_region.clone(),
    }
}

fn time_of_day(t: &WhatsAppTimeOfDay) -> TimeOfDay {
    TimeOfDay {
        hours: t.hours,
        minutes: t.minutes,
    }
}

fn sdk_time(t: &TimeOfDay) -> Result<WhatsAppTimeOfDay, SendError> {
    WhatsAppTimeOfDay::builder()
        .hours(t.hours)
        .minutes(t.minutes)
        .build()
        .map_err(|e| invalid("callHours time", e))
}

fn from_sdk_settings(s: &WhatsAppCallSettings) -> CallSettings {
    CallSettings {
        call_enabled: s.call_enabled,
        call_hours: s.call_hours.as_ref().map(|h| CallHours {
            enabled: h.enabled,
            timezone: h.timezone.clone(),
            weekly_operating_hours: h
                .weekly_operating_hours
                .iter()
                .map(|w| WeeklyHours {
                    day_of_week: w.day_of_week.as_str().to_string(),
                    open_time: w.open_time.as_ref().map(time_of_day),
                    close_time: w.close_time.as_ref().map(time_of_day),
                })
                .collect(),
            holiday_schedule: h.holiday_schedule.as_ref().map(|list| {
                list.iter()
                    .map(|d| Holiday {
                        date: d.date.clone(),
                        start_time: d.start_time.as_ref().map(time_of_day),
                        end_time: d.end_time.as_ref().map(time_of_day),
                    })
                    .collect()
            }),
        }),
        call_icon_visibility: s.call_icon_visibility.clone(),
        callback_permission_status: s.callback_permission_status.clone(),
    }
}

fn to_sdk_settings(s: &CallSettings) -> Result<WhatsAppCallSettings, SendError> {
    let hours = match &s.call_hours {
        None => None,
        Some(h) => {
            let mut weekly = Vec::new();
            for w in &h.weekly_operating_hours {
                let mut entry = WhatsAppWeeklyOperatingHoursEntry::builder().day_of_week(
                    WhatsAppDayOfWeek::from(w.day_of_week.to_uppercase().as_str()),
                );
                if let Some(t) = &w.open_time {
                    entry = entry.open_time(sdk_time(t)?);
                }
                if let Some(t) = &w.close_time {
                    entry = entry.close_time(sdk_time(t)?);
                }
                weekly.push(
                    entry
                        .build()
                        .map_err(|e| invalid("callHours.weeklyOperatingHours", e))?,
                );
            }
            let holidays = match &h.holiday_schedule {
                None => None,
                Some(list) => {
                    let mut out = Vec::new();
                    for d in list {
                        let mut entry = WhatsAppHolidayScheduleEntry::builder().date(&d.date);
                        if let Some(t) = &d.start_time {
                            entry = entry.start_time(sdk_time(t)?);
                        }
                        if let Some(t) = &d.end_time {
                            entry = entry.end_time(sdk_time(t)?);
                        }
                        out.push(
                            entry
                                .build()
                                .map_err(|e| invalid("callHours.holidaySchedule", e))?,
                        );
                    }
                    Some(out)
                }
            };
            Some(
                WhatsAppCallHours::builder()
                    .enabled(h.enabled)
                    .timezone(&h.timezone)
                    .set_weekly_operating_hours(Some(weekly))
                    .set_holiday_schedule(holidays)
                    .build()
                    .map_err(|e| invalid("callHours", e))?,
            )
        }
    };
    WhatsAppCallSettings::builder()
        .call_enabled(s.call_enabled)
        .set_call_hours(hours)
        .set_call_icon_visibility(s.call_icon_visibility.clone())
        .set_callback_permission_status(s.callback_permission_status.clone())
        .build()
        .map_err(|e| invalid("callSettings", e))
}

fn blob(v: &Value) -> Result<Blob, SendError> {
    serde_json::to_vec(v)
        .map(Blob::new)
        .map_err(|e| invalid("not valid JSON", e))
}

#[async_trait]
impl AccountApi for EumAccount {
    async fn list_accounts(&self) -> Result<Vec<LinkedAccount>, SendError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_linked_whats_app_business_accounts()
                .set_next_token(token.take())
                .max_results(100)
                .send()
                .await
                .map_err(map_error)?;
            for a in page.linked_accounts.unwrap_or_default() {
                out.push(LinkedAccount {
                    arn: a.arn,
                    id: a.id,
                    waba_id: a.waba_id,
                    waba_name: a.waba_name,
                    registration_status: a.registration_status.as_str().to_string(),
                    link_date: Some(iso(&a.link_date)),
                    event_destinations: a.event_destinations.iter().map(destination).collect(),
                    marketing_messages_onboarding_status: a.marketing_messages_onboarding_status,
                    dataset_id: a.dataset_id,
                    phone_numbers: Vec::new(),
                });
            }
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    async fn get_account(&self, id: &str) -> Result<LinkedAccount, SendError> {
        let out = self
            .client
            .get_linked_whats_app_business_account()
            .id(id)
            .send()
            .await
            .map_err(map_error)?;
        let a = out.account.ok_or_else(|| {
            SendError::new(
                SendFailure::Failed,
                "EUM Social answered without the account",
            )
        })?;
        Ok(LinkedAccount {
            arn: a.arn,
            id: a.id,
            waba_id: a.waba_id,
            waba_name: a.waba_name,
            registration_status: a.registration_status.as_str().to_string(),
            link_date: Some(iso(&a.link_date)),
            event_destinations: a.event_destinations.iter().map(destination).collect(),
            marketing_messages_onboarding_status: a.marketing_messages_onboarding_status,
            dataset_id: a.dataset_id,
            phone_numbers: a.phone_numbers.iter().map(summary_phone).collect(),
        })
    }

    async fn get_phone_number(&self, id: &str) -> Result<PhoneNumberDetails, SendError> {
        let out = self
            .client
            .get_linked_whats_app_business_account_phone_number()
            .id(id)
            .send()
            .await
            .map_err(map_error)?;
        let phone = out.phone_number.as_ref().map(detail_phone).ok_or_else(|| {
            SendError::new(
                SendFailure::Failed,
                "EUM Social answered without the phone number",
            )
        })?;
        Ok(PhoneNumberDetails {
            phone_number: phone,
            linked_waba_id: out.linked_whats_app_business_account_id,
            call_settings: out.call_settings.as_ref().map(from_sdk_settings),
        })
    }

    async fn put_event_destinations(
        &self,
        id: &str,
        destinations: &[EventDestination],
    ) -> Result<(), SendError> {
        let mut list = Vec::new();
        for d in destinations {
            list.push(
                WhatsAppBusinessAccountEventDestination::builder()
                    .event_destination_arn(&d.event_destination_arn)
                    .set_role_arn(d.role_arn.clone())
                    .build()
                    .map_err(|e| invalid("eventDestinations", e))?,
            );
        }
        self.client
            .put_whats_app_business_account_event_destinations()
            .id(id)
            .set_event_destinations(Some(list))
            .send()
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn update_call_settings(
        &self,
        id: &str,
        settings: &CallSettings,
    ) -> Result<String, SendError> {
        let out = self
            .client
            .update_linked_whats_app_business_account_phone_number()
            .id(id)
            .call_settings(to_sdk_settings(settings)?)
            .send()
            .await
            .map_err(map_error)?;
        Ok(out.phone_number_id)
    }

    async fn get_call_permission(
        &self,
        origination: &str,
        peer: &CallPeer,
    ) -> Result<CallPermission, SendError> {
        let request = self
            .client
            .get_whats_app_call_permission()
            .origination_phone_number_id(origination);
        let request = match peer {
            CallPeer::Phone(p) => request.destination_phone_number(p),
            CallPeer::Bsuid(b) => request.end_user_bsuid(b),
        };
        let out = request.send().await.map_err(map_error)?;
        Ok(CallPermission {
            status: out.permission.as_ref().map(|p| p.status.clone()),
            expiration_time: out
                .permission
                .as_ref()
                .and_then(|p| p.expiration_time.as_ref())
                .map(iso),
            actions: out
                .actions
                .iter()
                .map(|a| {
                    json!({
                        "actionName": a.action_name,
                        "canPerformAction": a.can_perform_action,
                        "limits": a.limits.iter().map(|l| json!({
                            "timePeriod": l.time_period,
                            "maxAllowed": l.max_allowed,
                            "currentUsage": l.current_usage,
                            "limitExpirationTime": l.limit_expiration_time.as_ref().map(iso),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        })
    }

    async fn send_call_event(
        &self,
        origination: &str,
        call_event: &Value,
        meta_api_version: &str,
    ) -> Result<String, SendError> {
        let out = self
            .client
            .send_whats_app_call_event()
            .origination_phone_number_id(origination)
            .meta_api_version(meta_api_version)
            .call_event(blob(call_event)?)
            .send()
            .await
            .map_err(map_error)?;
        Ok(out.call_id)
    }

    async fn create_dataset(&self, id: &str) -> Result<String, SendError> {
        let out = self
            .client
            .create_whats_app_dataset()
            .id(id)
            .send()
            .await
            .map_err(map_error)?;
        Ok(out.dataset_id)
    }

    async fn send_conversion_event(
        &self,
        id: &str,
        dataset_id: &str,
        event_data: &Value,
    ) -> Result<String, SendError> {
        let out = self
            .client
            .send_whats_app_conversion_event()
            .id(id)
            .dataset_id(dataset_id)
            .event_data(blob(event_data)?)
            .send()
            .await
            .map_err(map_error)?;
        Ok(out.request_id)
    }
}
