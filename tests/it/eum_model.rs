//! EUM Social's service model (botocore's `socialmessaging` `service-2.json`), loaded once, and
//! the check the service makes of every request against it: each member of the operation's
//! input shape read from where the REST-JSON protocol puts it (`location`: `uri`,
//! `querystring`, `header`; the JSON body otherwise), then its required members, types, enums,
//! lengths, patterns and ranges. The stand-in refuses what this refuses, as EUM does, with a
//! `ValidationException` that names the member.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine;
use serde_json::{Map, Value};

/// One operation: its name, HTTP binding and input shape.
pub struct Operation {
    pub name: String,
    method: String,
    path: String,
    input: Option<String>,
}

/// The loaded model.
pub struct Model {
    pub operations: Vec<Operation>,
    shapes: Map<String, Value>,
    patterns: std::sync::Mutex<HashMap<String, regex::Regex>>,
}

/// Where the model is looked for: `EUM_MODEL`, else botocore's copy in the test venv
/// (`.tools/venv`, created by `tests/run.sh`; moto brings botocore).
fn candidates() -> (Vec<PathBuf>, String) {
    if let Ok(path) = std::env::var("EUM_MODEL") {
        return (vec![PathBuf::from(&path)], format!("EUM_MODEL={path}"));
    }
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/lib");
    let mut found = Vec::new();
    for python in std::fs::read_dir(&lib).into_iter().flatten().flatten() {
        let service = python
            .path()
            .join("site-packages/botocore/data/socialmessaging");
        for version in std::fs::read_dir(&service).into_iter().flatten().flatten() {
            for file in ["service-2.json", "service-2.json.gz"] {
                let path = version.path().join(file);
                if path.is_file() {
                    found.push(path);
                }
            }
        }
    }
    // The newest API version last, so it wins.
    found.sort();
    found.reverse();
    let looked = format!(
        "{}/python3*/site-packages/botocore/data/socialmessaging/*/service-2.json[.gz] \
         (create it with `bash tests/run.sh`, which installs moto and botocore, or point \
         EUM_MODEL at the file)",
        lib.display()
    );
    (found, looked)
}

fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
    if path.extension().is_some_and(|e| e == "gz") {
        // gzip is on every machine the suite runs on; a crate for it would cost every build.
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .output()
            .map_err(|e| format!("gzip -dc {}: {e}", path.display()))?;
        if !out.status.success() {
            return Err(format!("gzip -dc {} failed", path.display()));
        }
        Ok(out.stdout)
    } else {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The model, loaded on first use.
///
/// # Panics
/// When it cannot be found or read, saying where it was looked for.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let (found, looked) = candidates();
        let path = found.first().unwrap_or_else(|| {
            panic!("EUM Social's service model was not found; looked at {looked}")
        });
        let bytes = read(path).unwrap_or_else(|e| panic!("EUM Social's service model: {e}"));
        let json: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        Model::from_json(&json)
    })
}

impl Model {
    fn from_json(json: &Value) -> Model {
        let operations = json["operations"]
            .as_object()
            .expect("model operations")
            .iter()
            .map(|(name, op)| Operation {
                name: name.clone(),
                method: op["http"]["method"].as_str().unwrap_or_default().into(),
                path: op["http"]["requestUri"]
                    .as_str()
                    .unwrap_or_default()
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .into(),
                input: op["input"]["shape"].as_str().map(str::to_string),
            })
            .collect();
        Model {
            operations,
            shapes: json["shapes"].as_object().expect("model shapes").clone(),
            patterns: Default::default(),
        }
    }

    /// The operation bound to `method path`, with the values of its URI labels.
    fn operation(&self, method: &str, path: &str) -> Option<(&Operation, HashMap<String, String>)> {
        self.operations.iter().find_map(|op| {
            if !op.method.eq_ignore_ascii_case(method) {
                return None;
            }
            let want: Vec<&str> = op.path.trim_matches('/').split('/').collect();
            let got: Vec<&str> = path.trim_matches('/').split('/').collect();
            if want.len() != got.len() {
                return None;
            }
            let mut labels = HashMap::new();
            for (w, g) in want.iter().zip(&got) {
                match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    Some(label) => {
                        let value = percent_decode(g);
                        labels.insert(label.trim_end_matches('+').to_string(), value);
                    }
                    None if w == g => {}
                    None => return None,
                }
            }
            Some((op, labels))
        })
    }

    /// Checks one request as EUM Social would; `Ok` names the operation, `Err` is
    /// `(status, error type, message)`.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &HashMap<String, String>,
        body: &Value,
    ) -> Result<String, (u16, &'static str, String)> {
        let Some((op, labels)) = self.operation(method, path) else {
            return Err((
                404,
                "UnknownOperationException",
                format!("no operation is bound to {method} {path}"),
            ));
        };
        let Some(input) = &op.input else {
            return Ok(op.name.clone());
        };
        let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let shape = &self.shapes[input];
        let empty = Map::new();
        let members = shape["members"].as_object().unwrap_or(&empty);
        let mut errors = Vec::new();
        for (name, member) in members {
            let target = member["shape"].as_str().unwrap_or_default();
            let wire = member["locationName"].as_str().unwrap_or(name);
            let value = match member["location"].as_str() {
                Some("uri") => labels.get(wire).map(|v| self.typed(target, v)),
                Some("querystring") => {
                    let values: Vec<&String> = query
                        .iter()
                        .filter(|(k, _)| k == wire)
                        .map(|(_, v)| v)
                        .collect();
                    if values.is_empty() {
                        None
                    } else if self.shapes[target]["type"] == "list" {
                        let member = self.shapes[target]["member"]["shape"]
                            .as_str()
                            .unwrap_or_default();
                        Some(Value::Array(
                            values.iter().map(|v| self.typed(member, v)).collect(),
                        ))
                    } else {
                        Some(self.typed(target, values[0]))
                    }
                }
                Some("header") => headers
                    .get(&wire.to_ascii_lowercase())
                    .map(|v| self.typed(target, v)),
                _ => body
                    .get(member["jsonName"].as_str().unwrap_or(name))
                    .filter(|v| !v.is_null())
                    .cloned(),
            };
            let required = shape["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r == name));
            match value {
                None if required => errors.push(format!(
                    "Value null at '{name}' failed to satisfy constraint: Member must not be null"
                )),
                None => {}
                Some(v) => self.value(name, target, &v, &mut errors),
            }
        }
        if errors.is_empty() {
            Ok(op.name.clone())
        } else {
            Err((
                400,
                "ValidationException",
                format!(
                    "{} validation error{} detected: {}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    errors.join("; ")
                ),
            ))
        }
    }

    /// A value bound to the URI, query or a header, as the JSON value of its shape's type.
    fn typed(&self, shape: &str, text: &str) -> Value {
        match self.shapes[shape]["type"].as_str() {
            Some("integer" | "long") => text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(text.into())),
            Some("boolean") => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(text.into()),
            },
            _ => Value::String(text.into()),
        }
    }

    fn value(&self, at: &str, name: &str, v: &Value, errors: &mut Vec<String>) {
        let shape = &self.shapes[name];
        let kind = shape["type"].as_str().unwrap_or_default();
        let mut fail = |what: String| {
            errors.push(format!(
                "Value at '{at}' failed to satisfy constraint: {what}"
            ))
        };
        let length = |n: usize, fail: &mut dyn FnMut(String)| {
            let min = shape["min"].as_u64();
            let max = shape["max"].as_u64();
            if min.is_some_and(|m| (n as u64) < m) || max.is_some_and(|m| (n as u64) > m) {
                fail(format!(
                    "Member must have length between {} and {} (it has {n})",
                    min.unwrap_or(0),
                    max.map_or("unbounded".into(), |m| m.to_string())
                ));
            }
        };
        match kind {
            "string" => {
                let Some(s) = v.as_str() else {
                    return fail("Member must be a string".into());
                };
                if let Some(values) = shape["enum"].as_array()
                    && !values.iter().any(|e| e == s)
                {
                    return fail(format!("Member must satisfy enum value set: {values:?}"));
                }
                length(s.chars().count(), &mut fail);
                if let Some(pattern) = shape["pattern"].as_str()
                    && !self.matches(pattern, s)
                {
                    fail(format!(
                        "Member must satisfy regular expression pattern: {pattern}"
                    ));
                }
            }
            "integer" | "long" => match v.as_i64() {
                None => fail("Member must be an integer".into()),
                Some(n) => {
                    let below = shape["min"].as_i64().is_some_and(|m| n < m);
                    let above = shape["max"].as_i64().is_some_and(|m| n > m);
                    if below || above {
                        fail(format!(
                            "Member must have value between {} and {}",
                            shape["min"], shape["max"]
                        ));
                    }
                }
            },
            "float" | "double" if !v.is_number() => fail("Member must be a number".into()),
            "boolean" if !v.is_boolean() => fail("Member must be a boolean".into()),
            "timestamp" if !(v.is_number() || v.is_string()) => {
                fail("Member must be a timestamp".into())
            }
            "blob" => match v
                .as_str()
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            {
                None => fail("Member must be base64-encoded bytes".into()),
                Some(bytes) => length(bytes.len(), &mut fail),
            },
            "list" => {
                let Some(list) = v.as_array() else {
                    return fail("Member must be a list".into());
                };
                length(list.len(), &mut fail);
                let member = shape["member"]["shape"].as_str().unwrap_or_default();
                for (i, item) in list.iter().enumerate() {
                    self.value(&format!("{at}.{}.member", i + 1), member, item, errors);
                }
            }
            "map" => {
                let Some(map) = v.as_object() else {
                    return fail("Member must be a map".into());
                };
                length(map.len(), &mut fail);
                let key = shape["key"]["shape"].as_str().unwrap_or_default();
                let value = shape["value"]["shape"].as_str().unwrap_or_default();
                for (k, item) in map {
                    self.value(&format!("{at}.key"), key, &Value::String(k.clone()), errors);
                    self.value(&format!("{at}.{k}"), value, item, errors);
                }
            }
            "structure" => {
                let Some(object) = v.as_object() else {
                    return fail("Member must be a structure".into());
                };
                let empty = Map::new();
                for (member, spec) in shape["members"].as_object().unwrap_or(&empty) {
                    let wire = spec["jsonName"].as_str().unwrap_or(member);
                    let target = spec["shape"].as_str().unwrap_or_default();
                    match object.get(wire).filter(|v| !v.is_null()) {
                        Some(item) => {
                            self.value(&format!("{at}.{member}"), target, item, errors)
                        }
                        None if shape["required"]
                            .as_array()
                            .is_some_and(|r| r.iter().any(|r| r == member)) =>
                        {
                            errors.push(format!(
                                "Value null at '{at}.{member}' failed to satisfy constraint: Member must not be null"
                            ))
                        }
                        None => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Smithy patterns are not anchored: a match anywhere in the value satisfies them.
    fn matches(&self, pattern: &str, value: &str) -> bool {
        let mut cache = self.patterns.lock().unwrap();
        let re = cache.entry(pattern.to_string()).or_insert_with(|| {
            regex::Regex::new(pattern)
                .unwrap_or_else(|e| panic!("the model's pattern {pattern} does not compile: {e}"))
        });
        re.is_match(value)
    }
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[test]
fn the_model_refuses_what_the_service_refuses() {
    let m = model();
    let headers = HashMap::new();
    let ok = serde_json::json!({"id": "waba-fb2594b8a7974770b128a409e2a1c0d3",
        "datasetId": "1234567890123456", "eventData": "e30="});
    assert_eq!(
        m.check(
            "POST",
            "/v1/whatsapp/waba/dataset/events",
            "",
            &headers,
            &ok
        ),
        Ok("SendWhatsAppConversionEvent".to_string())
    );
    // A required member missing, a pattern and a length broken, a query value out of range:
    // each is named.
    let mut missing = ok.clone();
    missing.as_object_mut().unwrap().remove("datasetId");
    let (status, kind, message) = m
        .check(
            "POST",
            "/v1/whatsapp/waba/dataset/events",
            "",
            &headers,
            &missing,
        )
        .unwrap_err();
    assert_eq!((status, kind), (400, "ValidationException"));
    assert!(
        message.contains("'datasetId'") && message.contains("must not be null"),
        "{message}"
    );
    let mut short = ok.clone();
    short["datasetId"] = "abcd".into();
    let (_, _, message) = m
        .check(
            "POST",
            "/v1/whatsapp/waba/dataset/events",
            "",
            &headers,
            &short,
        )
        .unwrap_err();
    assert!(
        message.contains("2 validation errors") && message.contains("pattern"),
        "{message}"
    );
    let (_, _, message) = m
        .check(
            "GET",
            "/v1/whatsapp/template/list",
            "id=waba-1&maxResults=500",
            &headers,
            &Value::Null,
        )
        .unwrap_err();
    assert!(message.contains("'maxResults'"), "{message}");
    let (_, _, message) = m
        .check(
            "GET",
            "/v1/whatsapp/template/list",
            "id=not-a-waba",
            &headers,
            &Value::Null,
        )
        .unwrap_err();
    assert!(
        message.contains("'id'") && message.contains("pattern"),
        "{message}"
    );
    assert_eq!(
        m.check("GET", "/v1/nowhere", "", &headers, &Value::Null)
            .unwrap_err()
            .0,
        404
    );
}
