//! The binary as a user runs it: `create-table` then `invoke` against DynamoDB Local, and
//! `invoke` on the embedded store. Stdout must be the response JSON alone.

use std::process::{Command, Output};

use serde_json::Value;

use crate::helpers::{dynamodb_endpoint, unique_table};

const BIN: &str = env!("CARGO_BIN_EXE_whatsapp-lambda");

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TABLE_NAME")
        .env("RUST_LOG", "info");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run the binary")
}

fn json_stdout(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not only JSON ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn invoke_against_dynamodb_local_prints_only_the_response() {
    let endpoint = dynamodb_endpoint();
    let table = unique_table();
    let envs = [
        ("TABLE_NAME", table.as_str()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
    ];
    let created = run(&["create-table"], &envs);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert_eq!(json_stdout(&created)["result"], "Created");
    let again = run(&["create-table"], &envs);
    assert_eq!(json_stdout(&again)["result"], "AlreadyExists", "idempotent");

    // An ordinary record logs at DEBUG (its counts are in the metrics line).
    let debug = [envs[0], envs[1], ("RUST_LOG", "debug")];
    let stored = run(&["invoke", "events/inbound/image.json"], &debug);
    assert!(stored.status.success());
    assert_eq!(json_stdout(&stored)["data"]["messages"], 1);
    let stderr = String::from_utf8_lossy(&stored.stderr);
    assert!(stderr.contains("record processed"), "logs go to stderr");
    let emf: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v.get("_aws").is_some())
        .collect();
    assert!(
        emf.iter()
            .any(|m| m["MessageType"] == "image" && m["MessagesReceived"] == 1.0),
        "EMF metrics on stderr: {stderr}"
    );

    let listed = run(&["invoke", "events/actions/get_conversations.json"], &envs);
    let body = json_stdout(&listed);
    assert_eq!(body["data"]["count"], 1, "{body}");
    assert_eq!(
        body["data"]["conversations"][0]["lastMessagePreview"]
            .as_str()
            .map(|p| p.starts_with("[image]")),
        Some(true)
    );
}

#[test]
fn invoke_reports_a_failed_invocation_with_a_non_zero_exit() {
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    let out = run(
        &["invoke", "events/inbound/text.json"],
        &[
            ("TABLE_NAME", "t"),
            ("AWS_ENDPOINT_URL_DYNAMODB", &dead),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    assert!(!out.status.success());
    assert_eq!(json_stdout(&out)["errorType"], "RetryableFailure");
}

#[test]
fn invoke_on_the_embedded_store_persists_between_runs() {
    let dir = std::env::temp_dir().join(unique_table());
    let data_dir = dir.to_string_lossy().into_owned();
    let envs = [("DATA_DIR", data_dir.as_str())];
    for _ in 0..2 {
        assert!(
            run(&["invoke", "events/inbound/text.json"], &envs)
                .status
                .success()
        );
    }
    let conv = json_stdout(&run(
        &["invoke", "events/actions/get_conversation.json"],
        &envs,
    ));
    assert_eq!(
        conv["data"]["unreadCount"], 1,
        "the second delivery was a duplicate: {conv}"
    );
    let bad = run(&["invoke", "-"], &envs);
    assert!(!bad.status.success(), "empty stdin is not an event");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn invoke_with_eum_social_and_s3_configured_from_the_environment() {
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    std::env::var("AWS_ENDPOINT_URL_S3").expect("run under tests/run.sh (moto)");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique_table().to_lowercase();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let standin = crate::standin::StandIn::start(Some((s3, bucket.clone()))).await;
    let dir = std::env::temp_dir().join(unique_table());
    let data_dir = dir.to_string_lossy().into_owned();
    let url = standin.url.clone();
    let envs: Vec<(String, String)> = vec![
        ("DATA_DIR".into(), data_dir),
        ("SENDER".into(), "eum".into()),
        ("MEDIA_BUCKET".into(), bucket.clone()),
        ("AWS_ENDPOINT_URL_SOCIALMESSAGING".into(), url),
        (
            "ORIGINATION_PHONE_NUMBER_ID".into(),
            "phone-number-id-0123456789abcdef0123456789abcdef".into(),
        ),
        (
            "DEFAULT_PHONE_NUMBER_ID".into(),
            crate::helpers::PHONE.into(),
        ),
        ("META_API_VERSION".into(), "v23.0".into()),
    ];
    let invoke = |args: Vec<&'static str>, stdin: Option<String>| {
        let envs = envs.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(BIN);
            cmd.args(&args)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env_remove("TABLE_NAME");
            for (k, v) in &envs {
                cmd.env(k, v);
            }
            if let Some(input) = stdin {
                use std::io::Write;
                let mut child = cmd
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(input.as_bytes())
                    .unwrap();
                return child.wait_with_output().unwrap();
            }
            cmd.output().unwrap()
        })
    };
    let out = invoke(vec!["invoke", "events/inbound/image.json"], None)
        .await
        .unwrap();
    assert_eq!(
        json_stdout(&out)["data"]["reports"][0]["counts"]["mediaFetched"],
        1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = invoke(
        vec!["invoke", "-"],
        Some(r#"{"action":"send_text","to":"16505551234","text":"hi","force":true}"#.into()),
    )
    .await
    .unwrap();
    assert_eq!(json_stdout(&sent)["statusCode"], 200);
    let seen = standin.last();
    assert_eq!(seen.body["metaApiVersion"], "v23.0");
    assert_eq!(
        seen.body["originationPhoneNumberId"],
        "phone-number-id-0123456789abcdef0123456789abcdef"
    );
    assert_eq!(seen.message()["text"]["body"], "hi");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn help_lists_the_commands_and_the_environment() {
    let out = run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "invoke",
        "serve",
        "create-table",
        "schema",
        "TABLE_NAME",
        "AWS_LAMBDA_RUNTIME_API",
    ] {
        assert!(help.contains(expected), "`{expected}` in:\n{help}");
    }
    let serve = run(&["serve", "--help"], &[]);
    assert_eq!(serve.status.code(), Some(0));
    let help = String::from_utf8_lossy(&serve.stdout);
    assert!(help.contains("--addr <ADDR>"), "{help}");
    assert!(
        help.contains("127.0.0.1:3000"),
        "the default address: {help}"
    );
}

#[test]
fn usage_errors_exit_2_with_a_message_on_stderr() {
    for (args, expected) in [
        (&["invoice"][..], "unrecognized subcommand 'invoice'"),
        (&["invoke"][..], "<FILE|->"),
        (
            &["serve", "--port", "1"][..],
            "unexpected argument '--port'",
        ),
        (&[][..], "Usage:"),
    ] {
        let out = run(args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: stdout stays empty");
    }
}
