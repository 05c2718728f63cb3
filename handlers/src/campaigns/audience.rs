//! The audience of a campaign: a list of phone numbers or BSUIDs with their parameters, or a
//! CSV object, deduplicated by customer.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::model::TemplateParams;
use crate::error::HandlerError;

/// The most recipients one campaign holds.
pub const MAX_RECIPIENTS: usize = 1_000_000;
/// Column names taken as the recipient column when `recipientColumn` is not given.
pub const RECIPIENT_COLUMNS: [&str; 6] = ["phone", "to", "wa_id", "waId", "recipient", "bsuid"];

/// One person of the audience.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// wa_id (digits) or BSUID: the key of deduplication and of the conversation.
    pub customer_id: String,
    pub to: Option<String>,
    pub recipient: Option<String>,
    pub parameters: TemplateParams,
}

/// A phone number (digits, with `+`, spaces, dashes or brackets) or else a BSUID.
///
/// # Errors
/// 400 naming `field` when empty or neither.
pub fn member(
    field: &str,
    given: &str,
    parameters: TemplateParams,
) -> Result<Member, HandlerError> {
    let given = given.trim();
    if given.is_empty() {
        return Err(HandlerError::invalid(
            field,
            "is empty; give a phone number or a BSUID",
        ));
    }
    let phone_like = given
        .chars()
        .all(|c| c.is_ascii_digit() || "+ -().".contains(c));
    if phone_like {
        let digits: String = given.chars().filter(char::is_ascii_digit).collect();
        if !(6..=15).contains(&digits.len()) {
            return Err(HandlerError::invalid(
                field,
                format!("`{given}` is not a phone number in international format (6 to 15 digits)"),
            ));
        }
        return Ok(Member {
            customer_id: digits.clone(),
            to: Some(digits),
            recipient: None,
            parameters,
        });
    }
    if given.len() > 128 || given.chars().any(char::is_whitespace) {
        return Err(HandlerError::invalid(
            field,
            format!("`{given}` is neither a phone number nor a BSUID"),
        ));
    }
    Ok(Member {
        customer_id: given.to_string(),
        to: None,
        recipient: Some(given.to_string()),
        parameters,
    })
}

/// The members of a `recipients` list: strings, or objects `{to | recipient, header, body,
/// buttons}`.
///
/// # Errors
/// 400 naming `recipients[i]`.
pub fn from_list(list: &[Value]) -> Result<Vec<Member>, HandlerError> {
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let field = format!("recipients[{i}]");
            match v {
                Value::String(s) => member(&field, s, TemplateParams::default()),
                Value::Number(n) => member(&field, &n.to_string(), TemplateParams::default()),
                Value::Object(o) => {
                    let who = o
                        .get("to")
                        .or_else(|| o.get("recipient"))
                        .or_else(|| o.get("waId"));
                    let who = match who {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Number(n)) => n.to_string(),
                        _ => {
                            return Err(HandlerError::invalid(
                                &field,
                                "names no `to` (phone) or `recipient` (BSUID)",
                            ));
                        }
                    };
                    let params: TemplateParams = serde_json::from_value(json!({
                        "header": o.get("header"),
                        "body": o.get("body").cloned().unwrap_or(json!([])),
                        "buttons": o.get("buttons").cloned().unwrap_or(json!([])),
                    }))
                    .map_err(|e| HandlerError::invalid(&field, format!("parameters: {e}")))?;
                    member(&field, &who, params)
                }
                _ => Err(HandlerError::invalid(
                    &field,
                    "is a phone number, a BSUID or an object with `to`",
                )),
            }
        })
        .collect()
}

/// How a CSV names its columns.
#[derive(Debug, Clone, Default)]
pub struct CsvColumns {
    /// The recipient column (default: the first of [`RECIPIENT_COLUMNS`] in the header).
    pub recipient: Option<String>,
    /// Columns whose values are the body parameters, in order. Without it, columns named
    /// `body.1`, `body.2`, … are.
    pub body: Vec<String>,
}

/// The members of a CSV file with a header row. Body parameters come from `columns.body` or
/// the `body.N` columns, header parameters from `header.N`, URL button parameters from
/// `button.N` (button index N). Other columns are ignored.
///
/// # Errors
/// 400 naming `csv` and the line.
pub fn from_csv(bytes: &[u8], columns: &CsvColumns) -> Result<Vec<Member>, HandlerError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| HandlerError::invalid("csv", format!("the header row does not parse: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let who = match &columns.recipient {
        Some(name) => find(name).ok_or_else(|| {
            HandlerError::invalid("recipientColumn", format!("`{name}` is not a column of the CSV (columns: {})", header.join(", ")))
        })?,
        None => RECIPIENT_COLUMNS.iter().find_map(|n| find(n)).ok_or_else(|| {
            HandlerError::invalid(
                "csv",
                format!("no recipient column: name one `phone` or `recipient`, or give recipientColumn (columns: {})", header.join(", ")),
            )
        })?,
    };
    let numbered = |prefix: &str| -> Vec<(u32, usize)> {
        let mut cols: Vec<(u32, usize)> = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                h.strip_prefix(prefix)
                    .and_then(|n| n.parse().ok())
                    .map(|n| (n, i))
            })
            .collect();
        cols.sort_unstable();
        cols
    };
    let body: Vec<usize> = if columns.body.is_empty() {
        numbered("body.").into_iter().map(|(_, i)| i).collect()
    } else {
        columns
            .body
            .iter()
            .map(|name| {
                find(name).ok_or_else(|| {
                    HandlerError::invalid(
                        "bodyColumns",
                        format!("`{name}` is not a column of the CSV"),
                    )
                })
            })
            .collect::<Result<_, _>>()?
    };
    let header_cols = numbered("header.");
    let button_cols = numbered("button.");
    let mut members = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let line = line + 2;
        let record =
            record.map_err(|e| HandlerError::invalid("csv", format!("line {line}: {e}")))?;
        let cell = |i: usize| record.get(i).unwrap_or_default().to_string();
        let parameters = TemplateParams {
            header: (!header_cols.is_empty()).then(|| {
                json!(
                    header_cols
                        .iter()
                        .map(|(_, i)| cell(*i))
                        .collect::<Vec<_>>()
                )
            }),
            body: body.iter().map(|i| json!(cell(*i))).collect(),
            buttons: button_cols
                .iter()
                .map(|(n, i)| json!({"index": n, "subType": "url", "parameters": [cell(*i)]}))
                .collect(),
        };
        members.push(member(&format!("csv line {line}"), &cell(who), parameters)?);
        if members.len() > MAX_RECIPIENTS {
            return Err(HandlerError::invalid(
                "csv",
                format!("holds more than {MAX_RECIPIENTS} recipients"),
            ));
        }
    }
    Ok(members)
}

/// The members with each customer once (the first occurrence wins), and how many were dropped.
pub fn dedupe(members: Vec<Member>) -> (Vec<Member>, u64) {
    let mut seen = HashSet::new();
    let before = members.len();
    let kept: Vec<Member> = members
        .into_iter()
        .filter(|m| seen.insert(m.customer_id.clone()))
        .collect();
    let dropped = (before - kept.len()) as u64;
    (kept, dropped)
}

/// Bucket and key of `s3://bucket/key`; a plain key is `(None, key)` (the media bucket).
///
/// # Errors
/// 400 naming `csv` for an `s3://` location without a key.
pub fn location(given: &str) -> Result<(Option<String>, String), HandlerError> {
    match given.strip_prefix("s3://") {
        Some(rest) => match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                Ok((Some(bucket.to_string()), key.to_string()))
            }
            _ => Err(HandlerError::invalid(
                "csv",
                "an S3 location is s3://bucket/key",
            )),
        },
        None if !given.trim().is_empty() => Ok((None, given.trim_start_matches('/').to_string())),
        None => Err(HandlerError::invalid("csv", "is empty")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_read_and_deduplicated_by_customer() {
        let list = vec![
            json!("+1 555 000 1111"),
            json!({"to": "15550001111", "body": ["again"]}),
            json!({"recipient": "US.13491208655302741918", "body": ["Kim"]}),
            json!(15550002222_u64),
        ];
        let members = from_list(&list).unwrap();
        let (kept, dropped) = dedupe(members);
        assert_eq!(dropped, 1);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0].to.as_deref(), Some("15550001111"));
        assert!(
            kept[0].parameters.body.is_empty(),
            "the first occurrence wins"
        );
        assert_eq!(
            kept[1].recipient.as_deref(),
            Some("US.13491208655302741918")
        );
        assert_eq!(kept[1].parameters.body, vec![json!("Kim")]);
        let e = from_list(&[json!("12")]).unwrap_err().to_string();
        assert!(
            e.contains("`recipients[0]`") && e.contains("6 to 15 digits"),
            "{e}"
        );
        let e = from_list(&[json!({"body": []})]).unwrap_err().to_string();
        assert!(e.contains("names no `to`"), "{e}");
    }

    #[test]
    fn a_csv_names_its_columns() {
        let csv = "\u{feff}name,Phone,body.2,body.1,button.0,city\nAda,+44 7700 900001,#1,Ada,track/1,x\nBo,447700900002,#2,Bo,track/2,y\n";
        let members = from_csv(csv.as_bytes(), &CsvColumns::default()).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].to.as_deref(), Some("447700900001"));
        assert_eq!(members[0].parameters.body, vec![json!("Ada"), json!("#1")]);
        assert_eq!(
            members[0].parameters.buttons[0]["parameters"],
            json!(["track/1"])
        );
        let named = CsvColumns {
            recipient: Some("phone".into()),
            body: vec!["name".into(), "city".into()],
        };
        let members = from_csv(csv.as_bytes(), &named).unwrap();
        assert_eq!(members[1].parameters.body, vec![json!("Bo"), json!("y")]);
        let e = from_csv(b"name,city\nA,B\n", &CsvColumns::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no recipient column"), "{e}");
        let e = from_csv(b"phone\n12\n", &CsvColumns::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("csv line 2"), "{e}");
    }

    #[test]
    fn locations() {
        assert_eq!(
            location("s3://b/a/k.csv").unwrap(),
            (Some("b".into()), "a/k.csv".into())
        );
        assert_eq!(
            location("audiences/k.csv").unwrap(),
            (None, "audiences/k.csv".into())
        );
        assert!(location("s3://b").is_err());
    }
}
