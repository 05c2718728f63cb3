//! Unit tests of Meta's template rules.

use super::*;
use serde_json::json;

fn def(body: Value) -> Value {
    json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
           "components": [body]})
}

#[test]
fn placeholders_are_found_in_order() {
    assert_eq!(placeholders("Hi {{1}}, {{ 2 }} and {{1}}"), ["1", "2", "1"]);
    assert_eq!(distinct("Hi {{1}}, {{2}} and {{1}}"), ["1", "2"]);
    assert!(placeholders("no {{ end").is_empty());
}

#[test]
fn a_good_definition_passes() {
    let d = def(
        json!({"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped.",
                       "example": {"body_text": [["Kerry", "#1"]]}}),
    );
    check_definition(&d).unwrap();
}

#[test]
fn each_rule_is_named() {
    let cases = [
        (json!({"name": "Order-Update"}), "template.name"),
        (json!({"category": "PROMO"}), "template.category"),
        (
            json!({"components": [{"type": "BODY", "text": "x".repeat(1025)}]}),
            "template.body.text",
        ),
        (
            json!({"components": [{"type": "BODY", "text": "Hi {{1}} {{3}}", "example": {"body_text": [["a", "b"]]}}]}),
            "{{2}} is missing",
        ),
        (
            json!({"components": [{"type": "BODY", "text": "Hi {{1}}"}]}),
            "requires an `example`",
        ),
        (
            json!({"components": [{"type": "BODY", "text": "Hi {{1}} {{2}}", "example": {"body_text": [["a"]]}}]}),
            "2 parameters but 1 examples",
        ),
        (
            json!({"components": [{"type": "BODY", "text": "Hi"}, {"type": "BUTTONS", "buttons": vec![json!({"type": "QUICK_REPLY", "text": "x"}); 11]}]}),
            "at most 10",
        ),
        (
            json!({"components": [{"type": "BODY", "text": "Hi"}, {"type": "HEADER", "format": "IMAGE"}]}),
            "header_handle",
        ),
        (
            json!({"components": [{"type": "FOOTER", "text": "f"}]}),
            "needs a BODY",
        ),
    ];
    for (patch, expected) in cases {
        let mut d = def(json!({"type": "BODY", "text": "Hello"}));
        for (k, v) in patch.as_object().unwrap() {
            d[k] = v.clone();
        }
        let err = check_definition(&d).unwrap_err().to_string();
        assert!(err.contains(expected), "{patch}: {err}");
    }
}

#[test]
fn named_parameters_follow_their_own_rule() {
    let mut d = def(json!({"type": "BODY", "text": "Hi {{first_name}}",
        "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Kerry"}]}}));
    d["parameter_format"] = json!("named");
    check_definition(&d).unwrap();
    d["components"][0]["text"] = json!("Hi {{First}}");
    assert!(
        check_definition(&d)
            .unwrap_err()
            .to_string()
            .contains("lowercase")
    );
}

#[test]
fn expected_parameters_come_from_the_components() {
    let components = json!([
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
        {"type": "BODY", "text": "Hi {{1}}, {{2}} ({{1}})"},
    ]);
    assert_eq!(
        expected(&components),
        Expected {
            header: 1,
            header_media: false,
            body: 2
        }
    );
    let media = json!([{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "x"}]);
    assert!(expected(&media).header_media);
}
