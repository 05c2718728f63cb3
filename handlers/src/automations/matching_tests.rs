//! Unit tests of `matching`: keywords, regex bounds, opt-out words, hours, the order of rules.

use serde_json::json;

use super::matching::*;
use super::model::AutomationItem;

fn rule(v: serde_json::Value) -> AutomationItem {
    let mut item = json!({"pk": "AUTOMATION#x", "itemType": "AUTOMATION", "itemTypePk": "AUTOMATION",
        "id": "x", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        "name": "r", "reply": {"text": "ok"}});
    for (k, val) in v.as_object().unwrap() {
        item[k] = val.clone();
    }
    serde_json::from_value(item).unwrap()
}

#[test]
fn keywords_match_exactly_or_contained_ignoring_case_unless_asked() {
    let exact = rule(json!({"kind": "keyword", "matchMode": "exact", "keywords": ["Price"]}));
    assert!(matches_text(&exact.rule, "  price "));
    assert!(!matches_text(&exact.rule, "price?"));
    let contains = rule(
        json!({"kind": "keyword", "matchMode": "contains", "keywords": ["price"], "caseSensitive": true}),
    );
    assert!(matches_text(&contains.rule, "what price?"));
    assert!(!matches_text(&contains.rule, "PRICE"));
    let re = rule(json!({"kind": "keyword", "matchMode": "regex", "pattern": r"^order\s+#?\d+$"}));
    assert!(matches_text(&re.rule, "Order #123"));
    assert!(!matches_text(&re.rule, "order abc"));
}

#[test]
fn a_regex_is_bounded_in_length_and_compiled_size() {
    assert!(compile(&"a".repeat(MAX_PATTERN_LEN), false).is_ok());
    assert!(compile(&"a".repeat(MAX_PATTERN_LEN + 1), false).is_err());
    let huge = compile(r"\w{1000}\w{1000}", false).unwrap_err();
    assert!(huge.to_string().contains("pattern"), "{huge}");
}

#[test]
fn opt_out_words_are_whole_messages() {
    let stop = rule(json!({"kind": "optOut", "keywords": ["arrêt"]}));
    for yes in ["STOP", " stop ", "Unsubscribe", "ARRÊT"] {
        assert!(matches_text(&stop.rule, yes), "{yes}");
    }
    assert!(!matches_text(&stop.rule, "don't stop"));
}

#[test]
fn away_hours_follow_the_time_zone_and_the_weekday() {
    let away = rule(json!({"kind": "away", "timeZone": "America/New_York",
        "hours": {"mon": ["09:00-17:00"], "sat": ["10:00-24:00"]}}));
    let at = |s: &str| crate::time::parse_iso(s).unwrap();
    // Monday 2026-11-23: 14:00 UTC is 09:00 in New York (open), 22:00 UTC is 17:00 (closed)
    assert!(is_open(&away.rule, at("2026-11-23T14:00:00Z")));
    assert!(!is_open(&away.rule, at("2026-11-23T22:00:00Z")));
    assert!(
        !is_open(&away.rule, at("2026-11-24T15:00:00Z")),
        "Tuesday is closed"
    );
    assert!(
        is_open(&away.rule, at("2026-11-29T04:59:59Z")),
        "Saturday until midnight"
    );
}

#[test]
fn one_rule_fires_opt_out_first_then_keywords_by_priority() {
    let rules = vec![
        rule(
            json!({"id": "low", "kind": "keyword", "matchMode": "contains", "keywords": ["stop"], "priority": 1}),
        ),
        rule(
            json!({"id": "high", "kind": "keyword", "matchMode": "contains", "keywords": ["stop"], "priority": 5}),
        ),
        rule(json!({"id": "welcome", "kind": "welcome"})),
        rule(json!({"id": "opt", "kind": "optOut"})),
        rule(json!({"id": "off", "kind": "optOut", "enabled": false})),
        rule(json!({"id": "other", "kind": "optOut", "phoneNumberId": "999"})),
    ];
    let incoming = |text: &'static str, first: bool| Incoming {
        phone_number_id: "1",
        text: Some(text),
        at: chrono::Utc::now(),
        first,
        welcome_request: false,
    };
    assert_eq!(choose(&rules, &incoming("stop", true)).unwrap().0.id, "opt");
    assert_eq!(
        choose(&rules, &incoming("please stop it", true))
            .unwrap()
            .0
            .id,
        "high"
    );
    assert_eq!(
        choose(&rules, &incoming("hello", true)).unwrap().0.id,
        "welcome"
    );
    assert!(choose(&rules, &incoming("hello", false)).is_none());
    let welcome = Incoming {
        welcome_request: true,
        text: None,
        ..incoming("", true)
    };
    assert_eq!(choose(&rules, &welcome).unwrap().0.id, "welcome");
}
