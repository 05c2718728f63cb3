//! Local work that must outlive the process that started it: the campaign work queue and the
//! sandbox's templates live in the SQLite file of `DATA_DIR`, so a campaign started by one
//! `invoke` is sent, and a template created by one `invoke` is there for the next.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::helpers::unique_table;

const BIN: &str = env!("CARGO_BIN_EXE_whatsapp-lambda");

/// A fresh data directory under the system's temporary directory.
fn data_dir() -> PathBuf {
    std::env::temp_dir().join(unique_table())
}

/// Runs `invoke` with `event` on stdin, with `dir` as `DATA_DIR`, and answers its stdout JSON.
fn invoke(dir: &Path, event: &Value) -> Value {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["invoke", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TABLE_NAME")
        .env_remove("DEFAULT_WABA_ID")
        .env_remove("CAMPAIGN_QUEUE_URL")
        .env("DATA_DIR", dir)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(event.to_string().as_bytes())
        .unwrap();
    let out: Output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn event_file(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events/actions")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_template_created_by_one_invoke_is_listed_by_the_next() {
    let dir = data_dir();
    let created = invoke(&dir, &event_file("create_template.json"));
    assert_eq!(created["statusCode"], 200, "{created}");
    let listed = invoke(&dir, &event_file("get_templates.json"));
    assert_eq!(listed["statusCode"], 200, "{listed}");
    let names: Vec<&str> = listed["data"]["templates"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["order_update"], "{listed}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_campaign_started_by_invoke_is_sent_before_the_next_invoke() {
    let dir = data_dir();
    for name in [
        "create_template.json",
        "create_campaign.json",
        "start_campaign.json",
    ] {
        let mut event = event_file(name);
        if name == "create_campaign.json" {
            event["phoneNumberId"] = json!("106540352242922");
        }
        let answer = invoke(&dir, &event);
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
    }
    let got = invoke(&dir, &event_file("get_campaign.json"));
    let stats = &got["data"]["stats"];
    // Three recipients, one of them twice: two sends.
    assert_eq!(stats["total"], 2, "{got}");
    assert_eq!(stats["sent"], 2, "every recipient sent: {got}");
    assert_eq!(stats["remaining"], 0, "{got}");
    assert_eq!(got["data"]["campaign"]["state"], "completed", "{got}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A process that started a campaign and was killed before its work ran: the work item is in
/// the file, and the next start does it.
#[test]
fn work_left_in_the_file_is_done_by_the_next_start() {
    let dir = data_dir();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = whatsapp_lambda::Config::from_lookup(|k| match k {
            "DATA_DIR" => Some(dir.to_string_lossy().into_owned()),
            _ => None,
        })
        .unwrap();
        let ctx = whatsapp_lambda::build_ctx(&config).await.unwrap();
        for request in [
            json!({"action": "create_campaign", "campaignId": "left-behind",
                   "phoneNumberId": "106540352242922", "template": "hello_world", "recipients": ["+16505551234", "+16505550101"]}),
            json!({"action": "start_campaign", "campaignId": "left-behind"}),
        ] {
            let answer = handlers::REGISTRY.dispatch(ctx.clone(), request).await;
            assert_eq!(answer["statusCode"], 200, "{answer}");
        }
    });
    // The process "dies" here: nothing drained its queue.
    drop(runtime);
    let ping = invoke(&dir, &json!({"action": "ping"}));
    assert_eq!(ping["statusCode"], 200, "{ping}");
    let got = invoke(
        &dir,
        &json!({"action": "get_campaign", "campaignId": "left-behind"}),
    );
    assert_eq!(got["data"]["stats"]["sent"], 2, "{got}");
    assert_eq!(got["data"]["campaign"]["state"], "completed", "{got}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_readme_send_template_answers_200_locally() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains(r#""action":"send_template""#))
        .expect("the README shows a send_template");
    let body = line
        .split_once("-d '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(body, _)| body)
        .expect("the README's curl has a -d '...' body");
    let request: Value = serde_json::from_str(body).unwrap();
    let dir = data_dir();
    let sent = invoke(&dir, &request);
    assert_eq!(sent["statusCode"], 200, "{sent}");
    assert!(
        sent["data"]["waMessageId"]
            .as_str()
            .is_some_and(|id| id.starts_with("wamid.")),
        "{sent}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `serve`'s first run seeds the store from `events/inbound/`: its terminal shows what it did,
/// not a metric line (EMF) per record, which belongs to Lambda's log stream.
#[test]
fn serve_prints_no_metric_lines_on_its_first_run() {
    use std::io::{BufRead, BufReader};
    let dir = data_dir();
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TABLE_NAME")
        .env_remove("RUST_LOG")
        .env("DATA_DIR", &dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the binary");
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let ready = line.contains("serving on");
        lines.push(line);
        if ready {
            break;
        }
    }
    child.kill().unwrap();
    let stdout = child.wait_with_output().unwrap().stdout;
    let all = format!("{}{}", String::from_utf8_lossy(&stdout), lines.join("\n"));
    assert!(
        lines.iter().any(|l| l.contains("seeded the empty store")),
        "{all}"
    );
    assert!(
        !all.contains("\"_aws\""),
        "metric lines on the terminal:\n{all}"
    );
    assert!(
        lines.len() < 10,
        "{} lines before serving:\n{all}",
        lines.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}
