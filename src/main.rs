//! The `whatsapp-lambda` binary: the Lambda `bootstrap` under Lambda, a command-line tool
//! elsewhere (`invoke`, `serve`, `create-table`, `schema`).
// The Lambda handler future nests every intake path (records, webhooks, actions, live).
#![recursion_limit = "256"]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use whatsapp_lambda::{Config, build, config::StoreConfig, intake, serve, store};

/// WhatsApp on AWS End User Messaging Social.
#[derive(Debug, Parser)]
// The environment variables (`after_help`) come from `config::settings::SETTINGS`.
#[command(name = "whatsapp-lambda", version)]
// Without a command the help goes to stderr with exit code 2, as for any usage error.
#[command(arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one Lambda event (SNS, SQS, API Gateway or {"action": ...}) and print the response JSON
    ///
    /// Stdout carries the response alone; logs go to stderr. A failed invocation (one Lambda
    /// would retry) prints {"errorType": "RetryableFailure", ...} and exits 1. Before it exits,
    /// it runs the local campaign work queue (a campaign it started is sent).
    Invoke {
        /// The event: a JSON file, or - to read it from stdin
        #[arg(value_name = "FILE|-")]
        file: PathBuf,
    },
    /// Local HTTP server: POST / with {"action": ...} (as API Gateway), POST /events with a raw
    /// Lambda event, the inbox page at /
    ///
    /// Routes: POST / (or GET /?action=...) an action, as API Gateway passes it; POST /events
    /// (or /invoke) a raw Lambda event (scope admin); GET / and /inbox/... the inbox page; GET
    /// /live its live updates (server-sent events); GET /media/... signed links to stored media;
    /// GET /metrics the counters (OpenMetrics); GET and POST /webhooks/meta, POST
    /// /webhooks/twilio and /webhooks/wix webhooks straight from Meta, Twilio and Wix, verified
    /// by their signature instead of the token (docs/ingress.md).
    ///
    /// Loopback only unless SERVE_TOKEN is set (then every request needs Authorization: Bearer
    /// <token>); requests must be addressed to this server (Host, Origin), GET runs only read
    /// actions. Campaign work in the local queue runs as it falls due. See docs/operations.md,
    /// "Running serve safely".
    Serve {
        /// Address to listen on
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
        addr: String,
        /// Webhook events (JSON files) an empty embedded store is seeded with on start, so that
        /// the inbox at / shows conversations on the first run
        #[arg(long, value_name = "DIR", default_value = "events/inbound")]
        seed: PathBuf,
        /// Start with an empty store (no seeding)
        #[arg(long)]
        no_seed: bool,
    },
    /// Create the DynamoDB table and its indexes (needs TABLE_NAME); idempotent
    CreateTable,
    /// Print the table definition (CloudFormation terms)
    Schema,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    let under_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    if under_lambda && std::env::args_os().len() <= 1 {
        whatsapp_lambda::logs::init(std::io::stdout);
        whatsapp_lambda::metrics::init(whatsapp_lambda::metrics::Sink::Stdout);
        return match run_lambda().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "runtime stopped");
                ExitCode::FAILURE
            }
        };
    }
    // Usage errors exit 2 and --help / --version exit 0, both with clap's message.
    let matches = Cli::command()
        .after_help(whatsapp_lambda::config::settings::help_text())
        .get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Outside Lambda, stdout is for the response alone: logs go to stderr.
    whatsapp_lambda::logs::init(std::io::stderr);
    let result = match cli.command {
        Command::Invoke { file } => invoke(&file).await,
        Command::Serve {
            addr,
            seed,
            no_seed,
        } => serve_cmd(&addr, (!no_seed).then_some(seed.as_path())).await,
        Command::CreateTable => create_table().await,
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&store::schema::describe()).unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

async fn run_lambda() -> Result<(), BoxError> {
    let config = Config::from_env()?;
    if let StoreConfig::Embedded { .. } = config.store {
        return Err("TABLE_NAME is not set: under Lambda the function stores into its DynamoDB table (see deploy/)".into());
    }
    let built = build(&config).await?;
    let ctx = built.ctx;
    // Without CAMPAIGN_QUEUE_URL, campaign work runs in this execution environment, as it
    // falls due (while Lambda keeps it alive).
    if let Some(local) = &built.local_work {
        local.spawn_runner();
    }
    let access = config.access.clone();
    // Warm the store's connection during init so the first event does not pay the TLS
    // handshake; a failure here is only logged, the first event will report it properly.
    if let Err(e) = ctx.store().ping().await {
        tracing::warn!(error = %e, "store not reachable during init");
    }
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        let access = access.clone();
        // Campaign runs stop well before the invocation's deadline (issue 9).
        let deadline = i64::try_from(event.context.deadline).unwrap_or(i64::MAX);
        async move {
            whatsapp_lambda::work_queue::DEADLINE_MS
                .scope(deadline, intake::handle_with(&ctx, &access, event.payload))
                .await
        }
    }))
    .await
}

async fn invoke(path: &Path) -> Result<ExitCode, BoxError> {
    let name = path.display();
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?
    };
    let event: Value =
        serde_json::from_str(&text).map_err(|e| format!("{name} is not JSON: {e}"))?;
    // The text is not needed once parsed: it would only add to the peak memory.
    drop(text);
    let config = Config::from_env()?;
    let built = build(&config).await?;
    let code = match intake::handle_with(&built.ctx, &config.access, event).await {
        Ok(response) => {
            println!("{}", serde_json::to_string_pretty(&response)?);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            // What Lambda would report for a failed invocation.
            let error =
                json!({"errorType": "RetryableFailure", "errorMessage": failure.to_string()});
            println!("{}", serde_json::to_string_pretty(&error)?);
            ExitCode::FAILURE
        }
    };
    // Work this event started (a campaign) and work an earlier process left in the local
    // queue is done before the process exits: nothing runs after it.
    if let Some(local) = &built.local_work {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let drained = local
            .drain(whatsapp_lambda::work_queue::INVOKE_WAIT_MS)
            .await?;
        if let Some(at) = drained.left_until {
            let at = chrono::DateTime::from_timestamp_millis(at).unwrap_or_default();
            eprintln!(
                "campaign work waits in the local queue until {at} (or another process runs it); \
                 the next `serve` or `invoke` on this data directory does it"
            );
        }
    }
    Ok(code)
}

async fn serve_cmd(addr: &str, seed: Option<&Path>) -> Result<ExitCode, BoxError> {
    // The terminal of a local server is for people: metric lines only at DEBUG.
    whatsapp_lambda::metrics::init(whatsapp_lambda::metrics::Sink::Debug);
    let config = Config::from_env()?;
    let built = build(&config).await?;
    let ctx = built.ctx;
    // Campaign work runs as it falls due, the items an earlier process left first.
    if let Some(local) = &built.local_work {
        local.spawn_runner();
    }
    if let (Some(dir), StoreConfig::Embedded { .. }) = (seed, &config.store)
        && let Some(seeded) = serve::seed(&ctx, dir).await?
    {
        eprintln!(
            "seeded the empty store with {seeded} webhook events from {} (--no-seed starts empty)",
            dir.display()
        );
    }
    serve::run(ctx, addr, config.serve.clone()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn create_table() -> Result<ExitCode, BoxError> {
    let config = Config::from_env()?;
    let StoreConfig::DynamoDb { table } = &config.store else {
        eprintln!(
            "create-table needs TABLE_NAME (and AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local)"
        );
        return Ok(ExitCode::from(2));
    };
    let client = store::dynamodb_client().await;
    let created = store::schema::create_table(&client, table).await?;
    println!(
        "{}",
        json!({"table": table, "result": format!("{created:?}")})
    );
    Ok(ExitCode::SUCCESS)
}
