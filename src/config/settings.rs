//! Every environment variable the function reads, with its one-line meaning: the list `--help`
//! prints, and the one the README's Configuration table is checked against (both ways) by
//! `tests/it/docs.rs`. `Config::from_lookup` may read no name missing here (a unit test
//! records what it reads).

/// One setting: the variables it is made of, and what it means.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub names: &'static [&'static str],
    pub meaning: &'static str,
}

const fn s(names: &'static [&'static str], meaning: &'static str) -> Setting {
    Setting { names, meaning }
}

/// See the module documentation.
pub const SETTINGS: &[Setting] = &[
    s(
        &["TABLE_NAME"],
        "DynamoDB table; unset = embedded store under DATA_DIR",
    ),
    s(
        &["DATA_DIR"],
        "embedded store directory (default .whatsapp-lambda)",
    ),
    s(
        &["DEFAULT_PHONE_NUMBER_ID"],
        "business phone (Meta's id) used when a request names none",
    ),
    s(
        &["DEFAULT_WABA_ID"],
        "WABA (Meta's id or EUM's waba-...) template and flow actions use when a request names none (locally: the sandbox's)",
    ),
    s(
        &["ORIGINATION_PHONE_NUMBER_ID"],
        "EUM Social phone-number-id-... (or ARN) sends go from (selects SENDER=eum)",
    ),
    s(
        &["PHONE_NUMBERS"],
        "several numbers: metaPhoneNumberId=phone-number-id-...,...",
    ),
    s(
        &["SENDER"],
        "eum, sandbox, twilio or graph (default: eum under Lambda or with an origination, else sandbox)",
    ),
    s(
        &[
            "META_VERIFY_TOKEN",
            "META_APP_SECRET",
            "META_REPLAY_WINDOW_SECS",
        ],
        "direct Meta webhooks: handshake token, app secret(s) (comma-separated; value or Secrets Manager/SSM ARN), replay window in seconds",
    ),
    s(
        &["GRAPH_API_TOKEN", "GRAPH_API_URL", "GRAPH_API_VERSION"],
        "SENDER=graph: token (value or ARN), address (default https://graph.facebook.com), version (default META_API_VERSION)",
    ),
    s(
        &["MEDIA_BUCKET"],
        "S3 bucket for media; unset = files under DATA_DIR/media",
    ),
    s(
        &["META_API_VERSION"],
        "Meta Cloud API version for sends (default v24.0)",
    ),
    s(
        &["AUTO_DOWNLOAD_MEDIA"],
        "copy inbound media on arrival (default true)",
    ),
    s(
        &["AUDIT_TTL_DAYS"],
        "days audit items are kept (default 30)",
    ),
    s(
        &["AUDIT_PROCESSED_RECORDS"],
        "audit processed records too, not only failed/partial (default false)",
    ),
    s(
        &["KEEP_DELETED_CONTENT"],
        "a message its sender deleted keeps its content, marked deletedAt (default false)",
    ),
    s(
        &["INBOUND_CONCURRENCY"],
        "records of one invocation processed at once (1-256, default 16)",
    ),
    s(
        &["ALLOWED_WABA_IDS", "ALLOWED_PHONE_NUMBER_IDS"],
        "WABA / business phone ids whose webhooks are processed (comma-separated; empty = all)",
    ),
    s(
        &["NOTIFY_TOPIC_ARN", "NOTIFY_INBOUND_MESSAGES"],
        "SNS topic for notifications; also notify every inbound message (default false)",
    ),
    s(
        &["LIVE_SOCKET_URL", "LIVE_MANAGEMENT_URL"],
        "deployed inbox live updates: the WebSocket API's wss:// URL; its management endpoint when not the https:// twin",
    ),
    s(
        &[
            "AWS_CONNECT_TIMEOUT_MS",
            "AWS_MAX_ATTEMPTS",
            "DYNAMODB_ATTEMPT_TIMEOUT_MS",
            "DYNAMODB_TIMEOUT_MS",
            "S3_ATTEMPT_TIMEOUT_MS",
            "S3_TIMEOUT_MS",
            "EUM_ATTEMPT_TIMEOUT_MS",
            "EUM_TIMEOUT_MS",
            "SNS_ATTEMPT_TIMEOUT_MS",
            "SNS_TIMEOUT_MS",
            "LIVE_ATTEMPT_TIMEOUT_MS",
            "LIVE_TIMEOUT_MS",
            "SQS_ATTEMPT_TIMEOUT_MS",
            "SQS_TIMEOUT_MS",
        ],
        "AWS client bounds (defaults in src/aws.rs and docs/deploy.md)",
    ),
    s(
        &["IAM_SCOPES", "API_SCOPE_PREFIX"],
        "API scopes of IAM callers (arn:...:role/ops=admin;...); count only token scopes with this prefix",
    ),
    s(
        &["SERVE_TOKEN", "SERVE_SCOPES", "SERVE_PUBLIC_HOST"],
        "serve: bearer token (required off loopback), the scopes requests get, other Host names",
    ),
    s(
        &[
            "SERVE_MAX_BODY_BYTES",
            "SERVE_HEADER_TIMEOUT_SECS",
            "SERVE_BODY_TIMEOUT_SECS",
        ],
        "serve limits (24 MiB, 10 s, 30 s)",
    ),
    s(
        &[
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_API_BASE_URL",
            "TWILIO_STATUS_CALLBACK_URL",
            "WEBHOOK_BASE_URL",
        ],
        "Twilio webhooks and the Twilio sender (SENDER=twilio); the webhook routes' public URL",
    ),
    s(
        &[
            "WIX_PUBLIC_KEY",
            "ORDER_CONFIRMATION_TEMPLATE",
            "ORDER_CONFIRMATION_LANGUAGE",
            "ORDER_CONFIRMATION_PARAMS",
        ],
        "Wix order webhooks (PEM or ARN) and the buyer's confirmation template",
    ),
    s(
        &[
            "FAST_ACK_QUEUE_URL",
            "FAST_ACK_DLQ_URL",
            "FAST_ACK_MAX_RECEIVES",
        ],
        "queue webhooks and answer at once, consumed with retries and a DLQ",
    ),
    s(
        &["CAMPAIGN_QUEUE_URL"],
        "SQS work queue campaigns continue through; unset = the local queue in DATA_DIR's SQLite file",
    ),
    s(
        &[
            "CAMPAIGN_RATE",
            "CAMPAIGN_CONCURRENCY",
            "CAMPAIGN_TIME_BUDGET_SECS",
        ],
        "campaign sends per second per phone (80; 0 = no pacing), sends in flight (16), work time of one run (60 s)",
    ),
    s(
        &["AWS_ENDPOINT_URL_DYNAMODB"],
        "DynamoDB endpoint override (DynamoDB Local)",
    ),
    s(
        &["AWS_ENDPOINT_URL_SOCIALMESSAGING"],
        "EUM Social endpoint override (a local stand-in)",
    ),
    s(
        &["RUST_LOG", "AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT"],
        "log level (logs go to stderr outside Lambda); AWS_LAMBDA_LOG_FORMAT=JSON for JSON logs",
    ),
];

/// Every variable of [`SETTINGS`].
pub fn names() -> impl Iterator<Item = &'static str> {
    SETTINGS.iter().flat_map(|s| s.names.iter().copied())
}

/// The environment part of `--help`: one line per setting.
pub fn help_text() -> String {
    let mut text = String::from(
        "Under Lambda (AWS_LAMBDA_RUNTIME_API set) and without arguments it runs the Lambda runtime.\n\nEnvironment:\n",
    );
    for setting in SETTINGS {
        text.push_str(&format!(
            "  {}\n      {}\n",
            setting.names.join(", "),
            setting.meaning
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_configuration_reads_only_listed_settings() {
        let read = RefCell::new(BTreeSet::new());
        let _ = crate::Config::from_lookup(|k| {
            read.borrow_mut().insert(k.to_string());
            None
        });
        let listed: BTreeSet<String> = names().map(str::to_string).collect();
        let unlisted: Vec<_> = read
            .borrow()
            .iter()
            .filter(|k| !listed.contains(*k) && *k != "AWS_LAMBDA_RUNTIME_API")
            .cloned()
            .collect();
        assert!(
            unlisted.is_empty(),
            "read but not in SETTINGS: {unlisted:?}"
        );
    }
}
