//! What a send of an AUTHENTICATION template must carry. Meta writes such a template's body
//! (`{{1}} is your verification code.`) and turns its `OTP` button into a URL button, so the
//! definition we stored at creation says nothing about parameters; Meta's "Sending
//! authentication templates" requires the one-time code twice: as the body's one text
//! parameter and as the parameter of the OTP button (`sub_type` `url`, the button's `index`).

use serde_json::Value;

use crate::error::HandlerError;

/// Longest one-time code Meta accepts.
pub const MAX_CODE: usize = 15;

/// True for a template whose rules are the authentication ones: category AUTHENTICATION, or
/// an OTP button (a category not yet known, e.g. cached from a webhook).
pub fn is_authentication(category: Option<&str>, components: Option<&Value>) -> bool {
    category.is_some_and(|c| c.eq_ignore_ascii_case("AUTHENTICATION"))
        || components.is_some_and(|c| otp_button(c).is_some())
}

/// The index of the template's one-time password button: an `OTP` button as created, or the
/// URL button Meta turns it into (its URL carries `otp_type`/`otp{{1}}`).
pub fn otp_button(components: &Value) -> Option<usize> {
    let buttons = components.as_array()?.iter().find(|c| {
        c["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("BUTTONS"))
    })?;
    buttons["buttons"].as_array()?.iter().position(|b| {
        let kind = b["type"].as_str().unwrap_or_default();
        kind.eq_ignore_ascii_case("OTP")
            || (kind.eq_ignore_ascii_case("URL")
                && b["url"]
                    .as_str()
                    .is_some_and(|u| u.contains("otp_type") || u.contains("otp{{")))
            || b.get("otp_type").is_some()
    })
}

fn kind_is(c: &Value, kind: &str) -> bool {
    c["type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(kind))
}

/// A parameter's text: `{"type": "text", "text": …}` (or a copy-code `coupon_code`).
fn text(p: &Value) -> Option<&str> {
    p["text"].as_str().or_else(|| p["coupon_code"].as_str())
}

/// Checks a send of an authentication template: the code as the body's only parameter and
/// the same code as the OTP button's (`index` `button`, default 0) only parameter.
///
/// # Errors
/// 400 naming `body` or `buttons` and saying the code is needed, as Meta requires it.
pub fn check_send(
    label: &str,
    template: Option<&Value>,
    components: &[Value],
) -> Result<(), HandlerError> {
    let needed = |field: &str, what: String| {
        HandlerError::invalid(
            field,
            format!(
                "{label} is an AUTHENTICATION template: the one-time code is needed as its body \
                 parameter and as the parameter of its OTP button; {what}"
            ),
        )
    };
    let body: Vec<&Value> = components
        .iter()
        .filter(|c| kind_is(c, "body"))
        .flat_map(|c| c["parameters"].as_array().into_iter().flatten())
        .collect();
    let code = match body.as_slice() {
        [one] => text(one)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| needed("body", "the body parameter is not a text".into()))?,
        [] => return Err(needed("body", "no code given".into())),
        more => {
            return Err(needed(
                "body",
                format!("{} body parameters given, the code only", more.len()),
            ));
        }
    };
    if code.chars().count() > MAX_CODE {
        return Err(HandlerError::invalid(
            "body",
            format!("the one-time code is at most {MAX_CODE} characters"),
        ));
    }
    if components.iter().any(|c| kind_is(c, "header")) {
        return Err(HandlerError::invalid(
            "header",
            format!("{label} is an AUTHENTICATION template: it has no header"),
        ));
    }
    let index = template.and_then(otp_button).unwrap_or(0);
    let button = components.iter().find(|c| {
        kind_is(c, "button")
            && match &c["index"] {
                Value::String(s) => s.trim().parse::<usize>().ok() == Some(index),
                Value::Number(n) => n.as_u64() == Some(index as u64),
                _ => false,
            }
    });
    let Some(button) = button else {
        return Err(needed(
            "buttons",
            format!(
                "no button component with index {index} given (`\"sub_type\": \"url\", \"index\": \"{index}\"`)"
            ),
        ));
    };
    let given: Vec<Option<&str>> = button["parameters"]
        .as_array()
        .map(|list| list.iter().map(text).collect())
        .unwrap_or_default();
    if given.as_slice() != [Some(code)] {
        return Err(needed(
            "buttons",
            "the button's parameter must be the same code as the body's".into(),
        ));
    }
    Ok(())
}
