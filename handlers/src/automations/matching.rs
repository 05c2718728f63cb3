//! Which rule fires for a message: the checks of a rule as given, keyword and regex matching
//! (bounded), weekly hours in a time zone, and the order between rules.

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use chrono_tz::Tz;
use regex::{Regex, RegexBuilder};

use super::model::{AutomationItem, Kind, MatchMode, Rule};
use crate::error::HandlerError;

/// The longest regex `pattern` accepted, in characters.
pub const MAX_PATTERN_LEN: usize = 200;
/// The compiled size a pattern may reach (the regex crate's `size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 64 * 1024;
/// Opt-out words that every opt-out rule knows.
pub const OPT_OUT_WORDS: [&str; 2] = ["STOP", "UNSUBSCRIBE"];
pub const MAX_KEYWORDS: usize = 50;
pub const MAX_KEYWORD_LEN: usize = 100;
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Compiles a pattern within the bounds.
///
/// # Errors
/// 400 naming `pattern`.
pub fn compile(pattern: &str, case_sensitive: bool) -> Result<Regex, HandlerError> {
    let n = pattern.chars().count();
    if n == 0 || n > MAX_PATTERN_LEN {
        return Err(HandlerError::invalid(
            "pattern",
            format!("is {n} characters; give 1 to {MAX_PATTERN_LEN}"),
        ));
    }
    RegexBuilder::new(pattern)
        .case_insensitive(!case_sensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| HandlerError::invalid("pattern", e.to_string()))
}

/// Checks a rule as given: each kind's own fields, the reply, the bounds.
///
/// # Errors
/// 400 naming the field.
pub fn validate(rule: &Rule) -> Result<(), HandlerError> {
    crate::params::non_empty("name", &rule.name)?;
    match (&rule.reply.text, &rule.reply.template) {
        (Some(text), None) => {
            crate::params::non_empty("reply.text", text)?;
            crate::params::check_len("reply.text", text, 4096)?;
        }
        (None, Some(t)) => crate::params::non_empty("reply.template.name", &t.name)?,
        _ => {
            return Err(HandlerError::invalid(
                "reply",
                "give exactly one of `text` or `template`",
            ));
        }
    }
    if !(1..=30 * 86_400).contains(&rule.cooldown()) {
        return Err(HandlerError::invalid(
            "cooldownSeconds",
            "must be 1 to 2592000 (30 days)",
        ));
    }
    if rule.keywords.len() > MAX_KEYWORDS {
        return Err(HandlerError::invalid(
            "keywords",
            format!("at most {MAX_KEYWORDS}"),
        ));
    }
    if rule
        .keywords
        .iter()
        .any(|k| k.trim().is_empty() || k.chars().count() > MAX_KEYWORD_LEN)
    {
        return Err(HandlerError::invalid(
            "keywords",
            format!("each must be 1 to {MAX_KEYWORD_LEN} characters"),
        ));
    }
    match rule.kind {
        Kind::Keyword => match rule.match_mode {
            None => {
                return Err(HandlerError::invalid(
                    "matchMode",
                    "a keyword rule needs `exact`, `contains` or `regex`",
                ));
            }
            Some(MatchMode::Regex) => {
                compile(
                    rule.pattern.as_deref().unwrap_or_default(),
                    rule.case_sensitive,
                )?;
            }
            Some(_) if rule.keywords.is_empty() => {
                return Err(HandlerError::invalid(
                    "keywords",
                    "an exact or contains rule needs at least one keyword",
                ));
            }
            Some(_) => {}
        },
        Kind::Away => {
            zone(rule)?;
            let hours = rule.hours.as_ref().ok_or_else(|| {
                HandlerError::invalid("hours", "an away rule needs its weekly open hours")
            })?;
            for (day, ranges) in hours {
                if !DAYS.contains(&day.as_str()) {
                    return Err(HandlerError::invalid(
                        "hours",
                        format!("`{day}` is not one of {}", DAYS.join(", ")),
                    ));
                }
                for r in ranges {
                    range(r)?;
                }
            }
        }
        Kind::Welcome | Kind::OptOut => {}
    }
    Ok(())
}

fn zone(rule: &Rule) -> Result<Tz, HandlerError> {
    let name = rule
        .time_zone
        .as_deref()
        .ok_or_else(|| HandlerError::invalid("timeZone", "an away rule needs a time zone"))?;
    name.parse::<Tz>().map_err(|_| {
        HandlerError::invalid("timeZone", format!("`{name}` is not an IANA time zone"))
    })
}

/// `"09:00-17:30"` → (start, end); end `24:00` is the end of the day.
fn range(r: &str) -> Result<(NaiveTime, Option<NaiveTime>), HandlerError> {
    let bad = || {
        HandlerError::invalid(
            "hours",
            format!("`{r}` is not HH:MM-HH:MM with the start before the end"),
        )
    };
    let (a, b) = r.split_once('-').ok_or_else(bad)?;
    let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
    let end = match b.trim() {
        "24:00" => None,
        b => Some(NaiveTime::parse_from_str(b, "%H:%M").map_err(|_| bad())?),
    };
    if end.is_some_and(|e| e <= start) {
        return Err(bad());
    }
    Ok((start, end))
}

/// True when `at` falls inside the rule's open hours (in its time zone).
pub fn is_open(rule: &Rule, at: DateTime<Utc>) -> bool {
    let (Ok(tz), Some(hours)) = (zone(rule), rule.hours.as_ref()) else {
        return true;
    };
    let local = at.with_timezone(&tz);
    let day = DAYS[local.weekday().num_days_from_monday() as usize];
    let time = local.time();
    hours
        .get(day)
        .into_iter()
        .flatten()
        .filter_map(|r| range(r).ok())
        .any(|(start, end)| time >= start && end.is_none_or(|e| time < e))
}

/// True when the text triggers a keyword or opt-out rule.
pub fn matches_text(rule: &Rule, text: &str) -> bool {
    let text = text.trim();
    let fold = |s: &str| {
        if rule.case_sensitive {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    match rule.kind {
        Kind::OptOut => {
            let upper = text.to_uppercase();
            OPT_OUT_WORDS.iter().any(|w| upper == *w)
                || rule
                    .keywords
                    .iter()
                    .any(|k| k.trim().to_uppercase() == upper)
        }
        Kind::Keyword => match rule.match_mode {
            Some(MatchMode::Exact) => rule.keywords.iter().any(|k| fold(k.trim()) == fold(text)),
            Some(MatchMode::Contains) => rule
                .keywords
                .iter()
                .any(|k| fold(text).contains(&fold(k.trim()))),
            Some(MatchMode::Regex) => rule
                .pattern
                .as_deref()
                .and_then(|p| compile(p, rule.case_sensitive).ok())
                .is_some_and(|re| re.is_match(text)),
            None => false,
        },
        Kind::Welcome | Kind::Away => false,
    }
}

/// What arrived.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub phone_number_id: &'a str,
    /// The message's text (text body, caption, button text), when it has one.
    pub text: Option<&'a str>,
    pub at: DateTime<Utc>,
    /// The customer's first message, or a chat opened with `request_welcome`.
    pub first: bool,
    /// A `request_welcome`: only welcome rules answer it.
    pub welcome_request: bool,
}

/// The rules in the order they are tried (opt-out, keyword by priority, welcome, away).
pub fn ordered(rules: &[AutomationItem], phone: &str) -> Vec<AutomationItem> {
    let mut rules: Vec<AutomationItem> = rules
        .iter()
        .filter(|r| r.rule.enabled && r.rule.phone_number_id.as_deref().is_none_or(|p| p == phone))
        .cloned()
        .collect();
    rules.sort_by(|a, b| {
        (a.rule.kind, -a.rule.priority, &a.created_at, &a.id).cmp(&(
            b.rule.kind,
            -b.rule.priority,
            &b.created_at,
            &b.id,
        ))
    });
    rules
}

/// The rule that fires for `incoming`, and why.
pub fn choose(
    rules: &[AutomationItem],
    incoming: &Incoming<'_>,
) -> Option<(AutomationItem, String)> {
    for item in ordered(rules, incoming.phone_number_id) {
        let rule = &item.rule;
        let reason = match rule.kind {
            Kind::Welcome if incoming.first => Some(if incoming.welcome_request {
                "the customer opened the chat (request_welcome)".to_string()
            } else {
                "the customer's first message".to_string()
            }),
            _ if incoming.welcome_request => None,
            Kind::OptOut | Kind::Keyword => {
                incoming.text.filter(|t| matches_text(rule, t)).map(|t| {
                    format!(
                        "the message `{}` matches",
                        t.trim().chars().take(60).collect::<String>()
                    )
                })
            }
            Kind::Away if !is_open(rule, incoming.at) => Some(format!(
                "{} is outside the open hours in {}",
                crate::time::iso(incoming.at),
                rule.time_zone.as_deref().unwrap_or_default()
            )),
            Kind::Welcome | Kind::Away => None,
        };
        if let Some(reason) = reason {
            return Some((item, reason));
        }
    }
    None
}
