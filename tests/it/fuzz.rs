//! Property-based fuzzing of the intake: every file in `events/` (SNS, SQS, API Gateway and
//! direct action events) is mutated (keys removed, types swapped, odd and huge strings, deep
//! nesting), including inside the JSON strings it carries (the SNS `Message`, the EUM entry,
//! an API body), and run through `intake::handle` on an in-memory store and the sandbox.
//!
//! Each case must not panic, must not fail the invocation, must answer below 500 (the body's
//! `statusCode` for action and API events; no `batchItemFailures` for SQS), and must leave
//! only whole items: every item written decodes as its type.
//!
//! Bounded: `PROPTEST_CASES` cases per file (default 64), from a fixed seed (`FUZZ_SEED`, a
//! number, picks another), so a CI run is the same every time. No timing is asserted.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Map, Value, json};
use whatsapp_lambda::intake;

use crate::helpers::*;

/// The key a JSON string's parsed content is kept under while it is mutated.
const EMBEDDED: &str = "\u{0}json";

#[derive(Debug, Clone)]
enum Mutation {
    /// Remove the key or element (the root becomes null).
    Remove,
    /// Replace with a value of another type.
    Swap(usize),
    /// Replace with an odd string.
    Odd(usize),
    /// Replace with an arbitrary string.
    Text(String),
    /// Replace with nesting this deep.
    Deep { depth: usize, arrays: bool },
    /// Repeat an array's first element (or wrap the value in a list of copies).
    Repeat(usize),
}

fn swaps() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1.5e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("0"),
        json!([]),
        json!({}),
        json!([null]),
        json!({"": null}),
    ]
}

fn odd_strings() -> Vec<String> {
    vec![
        "ñandú 😀 \u{202e}gnp.exe \u{feff}ZWNBSP \u{200b}".into(),
        "\u{0}\u{1}\u{7}\n\r\t\u{1b}[31m\u{7f}\u{85}".into(),
        "a".repeat(100 * 1024),
        "😀".repeat(5_000),
        "x".repeat(3_000),
        "../../../../etc/passwd".into(),
        "uploads/%2e%2e%2Ftable.jsonl".into(),
        "uploads\\..\\table.jsonl".into(),
        "/".into(),
        "#".into(),
        "CONV##".into(),
        "MSG#".into(),
        "1e309".into(),
        "-0".into(),
        " 12 ".into(),
        "NaN".into(),
        "2026-13-45T99:99:99Z".into(),
        "{\"a\":".into(),
        "[[[[[[[[[[[[[[[[[[[[".into(),
        "null".into(),
        "true".into(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::Remove),
        3 => (0..swaps().len()).prop_map(Mutation::Swap),
        3 => (0..odd_strings().len()).prop_map(Mutation::Odd),
        1 => prop::collection::vec(any::<char>(), 0..40)
            .prop_map(|c| Mutation::Text(c.into_iter().collect())),
        1 => (150usize..=200, any::<bool>())
            .prop_map(|(depth, arrays)| Mutation::Deep { depth, arrays }),
        1 => (2usize..=60).prop_map(Mutation::Repeat),
    ]
}

/// Strings that hold JSON objects or arrays become `{EMBEDDED: parsed}`, recursively.
fn unfold(value: Value) -> Value {
    match value {
        Value::String(s) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && let Ok(inner) = serde_json::from_str::<Value>(&s)
            {
                let mut wrapper = Map::new();
                wrapper.insert(EMBEDDED.into(), unfold(inner));
                Value::Object(wrapper)
            } else {
                Value::String(s)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(unfold).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, unfold(v))).collect()),
        other => other,
    }
}

/// The inverse of [`unfold`]: wrappers become JSON strings again.
fn fold(value: Value) -> Value {
    match value {
        Value::Object(mut o) if o.len() == 1 && o.contains_key(EMBEDDED) => {
            let inner = fold(o.remove(EMBEDDED).unwrap_or(Value::Null));
            Value::String(inner.to_string())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(fold).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, fold(v))).collect()),
        other => other,
    }
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn paths(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                prefix.push(Seg::Key(k.clone()));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(value, |v, seg| match seg {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Index(i) => &mut v[*i],
    })
}

fn deep(depth: usize, arrays: bool) -> Value {
    (0..depth).fold(json!("bottom"), |inner, _| {
        if arrays {
            json!([inner])
        } else {
            json!({ "a": inner })
        }
    })
}

fn apply(event: &mut Value, selector: usize, mutation: &Mutation) {
    let mut all = Vec::new();
    paths(event, &mut Vec::new(), &mut all);
    let path = &all[selector % all.len()];
    match mutation {
        Mutation::Remove => match path.split_last() {
            None => *event = Value::Null,
            Some((last, parent)) => match (at(event, parent), last) {
                (Value::Object(o), Seg::Key(k)) => {
                    o.remove(k);
                }
                (Value::Array(a), Seg::Index(i)) => {
                    a.remove(*i);
                }
                _ => {}
            },
        },
        Mutation::Swap(i) => *at(event, path) = swaps()[*i].clone(),
        Mutation::Odd(i) => *at(event, path) = json!(odd_strings()[*i]),
        Mutation::Text(s) => *at(event, path) = json!(s),
        Mutation::Deep { depth, arrays } => *at(event, path) = deep(*depth, *arrays),
        Mutation::Repeat(n) => {
            let target = at(event, path);
            let copy = match &*target {
                Value::Array(a) if !a.is_empty() => a[0].clone(),
                other => other.clone(),
            };
            *target = Value::Array(vec![copy; *n]);
        }
    }
}

/// Runs one event and checks the answer and the store.
async fn run_case(name: &str, event: Value) -> Result<(), String> {
    let store = Arc::new(RecordingStore::recording(embedded_store()));
    let ctx = ctx(store.clone());
    let answer = intake::handle(&ctx, event)
        .await
        .map_err(|e| format!("{name}: the invocation failed: {e}"))?;
    let code = |v: &Value| v.get("statusCode").and_then(Value::as_i64);
    if let Some(status) = code(&answer)
        && status >= 500
    {
        return Err(format!("{name}: answered {status}: {answer:.2000}"));
    }
    // An API Gateway response carries the envelope as its body.
    if let Some(body) = answer.get("body").and_then(Value::as_str)
        && let Ok(envelope) = serde_json::from_str::<Value>(body)
        && let Some(status) = code(&envelope)
        && status >= 500
    {
        return Err(format!("{name}: the body answered {status}: {body:.2000}"));
    }
    if let Some(failures) = answer.get("batchItemFailures").and_then(Value::as_array)
        && !failures.is_empty()
    {
        return Err(format!("{name}: SQS records failed: {answer:.2000}"));
    }
    store
        .check_items()
        .await
        .map(drop)
        .map_err(|e| format!("{name}: {e}"))
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn rng() -> TestRng {
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// Fuzzes every file of `events/{dir}`.
fn fuzz_dir(dir: &str) {
    let full = format!("{}/events/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&full)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no events in {full}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let unfolded = unfold(original);
        let config = Config {
            cases: cases(),
            failure_persistence: None,
            max_shrink_iters: 200,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, rng());
        let strategy = prop::collection::vec((any::<usize>(), mutation()), 1..=3);
        let result = runner.run(&strategy, |mutations| {
            let mut event = unfolded.clone();
            for (selector, mutation) in &mutations {
                apply(&mut event, *selector, mutation);
            }
            let event = fold(event);
            runtime
                .block_on(run_case(&name, event))
                .map_err(TestCaseError::fail)
        });
        if let Err(e) = result {
            panic!("{dir}/{name}: {e}");
        }
    }
}

/// Runs `f` on a thread with the main thread's stack (8 MiB): deep nesting recurses, and a
/// debug build's frames are larger than a release build's.
fn with_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn fuzz_inbound_sns_events() {
    with_stack(|| fuzz_dir("inbound"));
}

#[test]
fn fuzz_sqs_events() {
    with_stack(|| fuzz_dir("sqs"));
}

#[test]
fn fuzz_api_gateway_events() {
    with_stack(|| fuzz_dir("apigw"));
}

#[test]
fn fuzz_direct_action_events() {
    with_stack(|| fuzz_dir("actions"));
}

#[test]
fn unfold_and_fold_round_trip_every_event() {
    for dir in ["inbound", "sqs", "apigw", "actions"] {
        let full = format!("{}/events/{dir}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(&full).unwrap() {
            let path = entry.unwrap().path();
            let original: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let round: Value = fold(unfold(original.clone()));
            // Embedded JSON comes back as the same JSON (formatting aside).
            assert_eq!(unfold(round), unfold(original), "{}", path.display());
        }
    }
}

/// Runs one event file with the value at `pointer` (a JSON pointer into the unfolded event,
/// embedded JSON under `EMBEDDED`) replaced.
fn regression(file: &str, pointer: &str, value: Value) {
    let path = format!("{}/events/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut event = unfold(serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
    *event
        .pointer_mut(&pointer.replace("$", EMBEDDED))
        .unwrap_or_else(|| panic!("{pointer} is not in {file}")) = value;
    let event = fold(event);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Err(e) = runtime.block_on(run_case(file, event)) {
        panic!("{e}");
    }
}

/// Found by the fuzzer: `"1e309"` parsed as an infinite latitude, stored as null, and the
/// message item no longer decoded.
#[test]
fn regression_an_infinite_latitude_is_not_stored_as_null() {
    regression(
        "inbound/location.json",
        "/Records/0/Sns/Message/$/whatsAppWebhookEntry/$/changes/0/value/messages/0/location/latitude",
        json!("1e309"),
    );
}
