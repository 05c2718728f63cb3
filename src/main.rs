//! The `whatsapp-lambda` binary: the Lambda `bootstrap` under Lambda, a command-line tool
//! elsewhere (`invoke`, `create-table`, `serve`).

use std::io::Read;
use std::process::ExitCode;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use whatsapp_lambda::{Config, build_ctx, config::StoreConfig, intake, serve, store};

const USAGE: &str = "\
whatsapp-lambda — WhatsApp on AWS End User Messaging Social

Usage:
  whatsapp-lambda invoke FILE|-            run one Lambda event (SNS, SQS, API Gateway or
                                           {\"action\": ...}) and print the response JSON
  whatsapp-lambda serve [--addr ADDR]      local HTTP: POST / with {\"action\": ...} (as API
                                           Gateway), POST /events with a raw Lambda event
                                           (default ADDR 127.0.0.1:3000)
  whatsapp-lambda create-table             create the DynamoDB table and its indexes (TABLE_NAME)
  whatsapp-lambda schema                   print the table definition (CloudFormation terms)

Under Lambda (AWS_LAMBDA_RUNTIME_API set) it runs the Lambda runtime.

Environment:
  TABLE_NAME                 DynamoDB table; unset = embedded store under DATA_DIR
  DATA_DIR                   embedded store directory (default .whatsapp-lambda)
  DEFAULT_PHONE_NUMBER_ID    business phone used when a request names none
  AUDIT_TTL_DAYS             days audit items are kept (default 30)
  AWS_ENDPOINT_URL_DYNAMODB  DynamoDB endpoint override (DynamoDB Local)
  RUST_LOG                   log level (logs go to stderr outside Lambda)
";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let under_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    if under_lambda && args.is_empty() {
        lambda_runtime::tracing::init_default_subscriber();
        whatsapp_lambda::metrics::init(whatsapp_lambda::metrics::Sink::Stdout);
        return match run_lambda().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "runtime stopped");
                ExitCode::FAILURE
            }
        };
    }
    // Outside Lambda, stdout is for the response alone: logs go to stderr.
    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
    let result = match args.first().map(String::as_str) {
        Some("invoke") => invoke(args.get(1).map(String::as_str)).await,
        Some("serve") => serve_cmd(&args[1..]).await,
        Some("create-table") => create_table().await,
        Some("schema") => {
            println!(
                "{}",
                serde_json::to_string_pretty(&store::schema::describe()).unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
        None => {
            eprint!("{USAGE}");
            Ok(ExitCode::from(2))
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
    let ctx = build_ctx(&config).await?;
    // Warm the store's connection during init so the first event does not pay the TLS
    // handshake; a failure here is only logged, the first event will report it properly.
    if let Err(e) = ctx.store().ping().await {
        tracing::warn!(error = %e, "store not reachable during init");
    }
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        async move { intake::handle(&ctx, event.payload).await }
    }))
    .await
}

async fn invoke(path: Option<&str>) -> Result<ExitCode, BoxError> {
    let Some(path) = path else {
        eprintln!("invoke needs a FILE (or - for stdin)\n\n{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let text = if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
    };
    let event: Value =
        serde_json::from_str(&text).map_err(|e| format!("{path} is not JSON: {e}"))?;
    let config = Config::from_env()?;
    let ctx = build_ctx(&config).await?;
    match intake::handle(&ctx, event).await {
        Ok(response) => {
            println!("{}", serde_json::to_string_pretty(&response)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            // What Lambda would report for a failed invocation.
            let error =
                json!({"errorType": "RetryableFailure", "errorMessage": failure.to_string()});
            println!("{}", serde_json::to_string_pretty(&error)?);
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn serve_cmd(args: &[String]) -> Result<ExitCode, BoxError> {
    let mut addr = "127.0.0.1:3000".to_string();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--addr" => {
                addr = rest
                    .next()
                    .ok_or("--addr needs a value like 127.0.0.1:3000")?
                    .clone()
            }
            other => {
                eprintln!("unknown option `{other}`\n\n{USAGE}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let config = Config::from_env()?;
    let ctx = build_ctx(&config).await?;
    serve::run(ctx, &addr).await?;
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
