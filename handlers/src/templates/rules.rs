//! Meta's rules for a template definition, checked before EUM Social is called so that a bad
//! definition answers a clear 400 naming what is wrong, and the parameters a template expects
//! (checked before a send).

use serde_json::Value;

use crate::error::HandlerError;

/// Longest template name Meta accepts.
pub const MAX_NAME: usize = 512;
/// Longest body text.
pub const MAX_BODY: usize = 1024;
/// Longest header and footer text.
pub const MAX_HEADER_TEXT: usize = 60;
pub const MAX_FOOTER: usize = 60;
/// Most buttons in one template.
pub const MAX_BUTTONS: usize = 10;
/// Deepest nesting of a definition (Meta's templates need about 6 levels; a stored item must
/// stay readable).
pub const MAX_DEPTH: usize = 32;
pub const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

/// How deeply a JSON value nests (a scalar is 0).
pub fn depth(v: &Value) -> usize {
    match v {
        Value::Array(list) => 1 + list.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The placeholders of a text, in order of appearance: `{{1}}` → "1", `{{name}}` → "name".
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    out
}

/// The distinct placeholders of a text, first appearance first.
fn distinct(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for p in placeholders(text) {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen
}

fn component<'a>(components: &'a [Value], kind: &str) -> Option<&'a Value> {
    components.iter().find(|c| {
        c["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    })
}

/// Checks that the placeholders of `field` are `{{1}}`..`{{n}}` with none missing (positional),
/// or lowercase names (named), and that `examples` examples are given for them.
fn check_parameters(
    field: &str,
    text: &str,
    named: bool,
    examples: Option<usize>,
) -> Result<usize, HandlerError> {
    let params = distinct(text);
    if named {
        if let Some(bad) = params.iter().find(|p| !is_name(p)) {
            return Err(HandlerError::invalid(
                field,
                format!(
                    "named parameter `{{{{{bad}}}}}` must be lowercase letters, digits and underscores"
                ),
            ));
        }
    } else {
        let mut numbers = Vec::new();
        for p in &params {
            match p.parse::<usize>() {
                Ok(n) if n >= 1 => numbers.push(n),
                _ => {
                    return Err(HandlerError::invalid(
                        field,
                        format!(
                            "parameter `{{{{{p}}}}}` is not a number from 1 (use parameterFormat `named` for names)"
                        ),
                    ));
                }
            }
        }
        numbers.sort_unstable();
        if let Some(gap) = (1..=numbers.len()).find(|n| numbers[n - 1] != *n) {
            return Err(HandlerError::invalid(
                field,
                format!(
                    "parameters must be numbered {{{{1}}}} to {{{{{}}}}} with none missing; {{{{{gap}}}}} is missing",
                    numbers.len()
                ),
            ));
        }
    }
    if !params.is_empty() {
        match examples {
            Some(n) if n >= params.len() => {}
            Some(n) => {
                return Err(HandlerError::invalid(
                    field,
                    format!("has {} parameters but {n} examples", params.len()),
                ));
            }
            None => {
                return Err(HandlerError::invalid(
                    field,
                    format!(
                        "has {} parameters: Meta requires an `example` with a value for each",
                        params.len()
                    ),
                ));
            }
        }
    }
    Ok(params.len())
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a template name: `^[a-z0-9_]+$`, at most 512 characters.
pub fn check_name(field: &str, name: &str) -> Result<(), HandlerError> {
    if name.chars().count() > MAX_NAME {
        return Err(HandlerError::invalid(
            field,
            format!("is longer than {MAX_NAME} characters"),
        ));
    }
    if !is_name(name) {
        return Err(HandlerError::invalid(
            field,
            "must be lowercase letters, digits and underscores only (^[a-z0-9_]+$)",
        ));
    }
    Ok(())
}

/// Number of examples in `example.<key>`: a list (`header_text`), a list of one list
/// (`body_text`), or a list of named examples.
fn example_count(example: &Value, keys: &[&str]) -> Option<usize> {
    keys.iter().find_map(|k| match example.get(*k)? {
        Value::Array(list) => Some(match list.first() {
            Some(Value::Array(inner)) => inner.len(),
            _ => list.len(),
        }),
        _ => None,
    })
}

/// Checks Meta's rules on a template definition (`name`, `language`, `category`,
/// `components`, optional `parameter_format`). Every error names the offending field.
pub fn check_definition(def: &Value) -> Result<(), HandlerError> {
    if depth(def) > MAX_DEPTH {
        return Err(HandlerError::invalid(
            "template",
            format!("is nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    let name = def["name"].as_str().unwrap_or_default();
    check_name("template.name", name)?;
    if def["language"].as_str().is_none_or(|l| l.trim().is_empty()) {
        return Err(HandlerError::invalid(
            "template.language",
            "is required (a language code such as en_US)",
        ));
    }
    let category = def["category"].as_str().unwrap_or_default();
    if !CATEGORIES.contains(&category) {
        return Err(HandlerError::invalid(
            "template.category",
            format!("must be one of {}", CATEGORIES.join(", ")),
        ));
    }
    let named = def["parameter_format"]
        .as_str()
        .is_some_and(|f| f.eq_ignore_ascii_case("named"));
    let Some(components) = def["components"].as_array() else {
        return Err(HandlerError::invalid(
            "template.components",
            "is required: a list with a BODY component",
        ));
    };
    let body = component(components, "BODY")
        .ok_or_else(|| HandlerError::invalid("template.components", "needs a BODY component"))?;
    let text = body["text"].as_str().unwrap_or_default();
    if category != "AUTHENTICATION" && text.trim().is_empty() {
        return Err(HandlerError::invalid(
            "template.body.text",
            "must not be empty",
        ));
    }
    if text.chars().count() > MAX_BODY {
        return Err(HandlerError::invalid(
            "template.body.text",
            format!("is {} characters; at most {MAX_BODY}", text.chars().count()),
        ));
    }
    let body_examples = example_count(&body["example"], &["body_text", "body_text_named_params"]);
    check_parameters("template.body.text", text, named, body_examples)?;
    if let Some(header) = component(components, "HEADER") {
        let format = header["format"]
            .as_str()
            .unwrap_or("TEXT")
            .to_ascii_uppercase();
        if format == "TEXT" {
            let text = header["text"].as_str().unwrap_or_default();
            if text.chars().count() > MAX_HEADER_TEXT {
                return Err(HandlerError::invalid(
                    "template.header.text",
                    format!(
                        "is {} characters; at most {MAX_HEADER_TEXT}",
                        text.chars().count()
                    ),
                ));
            }
            let examples = example_count(
                &header["example"],
                &["header_text", "header_text_named_params"],
            );
            let n = check_parameters("template.header.text", text, named, examples)?;
            if n > 1 {
                return Err(HandlerError::invalid(
                    "template.header.text",
                    "may have at most one parameter",
                ));
            }
        } else if matches!(format.as_str(), "IMAGE" | "VIDEO" | "DOCUMENT")
            && example_count(&header["example"], &["header_handle"]).unwrap_or(0) == 0
        {
            return Err(HandlerError::invalid(
                "template.header.example",
                format!(
                    "a {format} header needs an example `header_handle` (or give `headerS3Key`)"
                ),
            ));
        }
    }
    if let Some(footer) = component(components, "FOOTER") {
        let text = footer["text"].as_str().unwrap_or_default();
        if text.chars().count() > MAX_FOOTER {
            return Err(HandlerError::invalid(
                "template.footer.text",
                format!(
                    "is {} characters; at most {MAX_FOOTER}",
                    text.chars().count()
                ),
            ));
        }
    }
    if let Some(buttons) = component(components, "BUTTONS") {
        let n = buttons["buttons"].as_array().map_or(0, Vec::len);
        if n > MAX_BUTTONS {
            return Err(HandlerError::invalid(
                "template.buttons",
                format!("has {n} buttons; at most {MAX_BUTTONS}"),
            ));
        }
    }
    Ok(())
}

/// How many parameters a stored template expects in its header and body text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Expected {
    pub header: usize,
    /// A media header (IMAGE, VIDEO, DOCUMENT, LOCATION) takes one parameter of that type.
    pub header_media: bool,
    pub body: usize,
}

/// The parameters a template's components (as Meta returns them) expect.
pub fn expected(components: &Value) -> Expected {
    let list = components.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut out = Expected::default();
    if let Some(h) = component(list, "HEADER") {
        let format = h["format"].as_str().unwrap_or("TEXT").to_ascii_uppercase();
        if format == "TEXT" {
            out.header = distinct(h["text"].as_str().unwrap_or_default()).len();
        } else {
            out.header_media = true;
        }
    }
    if let Some(b) = component(list, "BODY") {
        out.body = distinct(b["text"].as_str().unwrap_or_default()).len();
    }
    out
}

/// The number of parameters a send gives a component type (`header`, `body`).
pub fn given(components: &[Value], kind: &str) -> usize {
    component(components, kind)
        .and_then(|c| c["parameters"].as_array())
        .map_or(0, Vec::len)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
