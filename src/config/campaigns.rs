//! How campaigns run (`CAMPAIGN_*`).

use super::error::ConfigError;

/// How campaigns run.
#[derive(Debug, Clone)]
pub struct CampaignConfig {
    /// `CAMPAIGN_QUEUE_URL`: the SQS work queue the function consumes; without it, work runs in
    /// the process (local mode).
    pub queue_url: Option<String>,
    pub settings: handlers::campaigns::CampaignSettings,
}

impl CampaignConfig {
    /// `CAMPAIGN_*`.
    pub(super) fn read(non_empty: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str,
                      max: u64,
                      reason: &'static str|
         -> Result<Option<u64>, ConfigError> {
            match non_empty(name) {
                None => Ok(None),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n <= max => Ok(Some(n)),
                    _ => Err(ConfigError {
                        name,
                        value: v,
                        reason,
                    }),
                },
            }
        };
        let mut settings = handlers::campaigns::CampaignSettings::default();
        if let Some(rate) = number(
            "CAMPAIGN_RATE",
            1000,
            "must be 0 (no pacing) to 1000 messages per second",
        )? {
            settings.rate = rate as u32;
        }
        if let Some(n) = number("CAMPAIGN_CONCURRENCY", 256, "must be 1 to 256")? {
            settings.concurrency = (n as usize).max(1);
        }
        if let Some(secs) = number("CAMPAIGN_TIME_BUDGET_SECS", 840, "must be 1 to 840 seconds")? {
            settings.time_budget_ms = (secs.max(1) * 1000) as i64;
        }
        Ok(CampaignConfig {
            queue_url: non_empty("CAMPAIGN_QUEUE_URL"),
            settings,
        })
    }
}
