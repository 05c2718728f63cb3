//! Cold start benchmark (not a test): process start → first event answered, through the real
//! Lambda runtime. A local stand-in for the Lambda Runtime API serves one SNS event to the
//! release binary and times the response; init includes warming the DynamoDB connection.
//!
//! Needs DynamoDB Local (`AWS_ENDPOINT_URL_DYNAMODB`), as under `tests/run.sh`; otherwise it
//! says so and stops. `cargo bench --bench cold_start`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const RUNS: usize = 10;

#[derive(Default)]
struct Api {
    served: bool,
}

async fn runtime_api(
    api: Arc<Mutex<Api>>,
    event: Arc<String>,
    done: mpsc::UnboundedSender<(Instant, String)>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if path.ends_with("/invocation/next") {
        let first = {
            let mut api = api.lock().unwrap();
            !std::mem::replace(&mut api.served, true)
        };
        if !first {
            // Park the runtime's next poll: one event per process.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        return Ok(Response::builder()
            .header("lambda-runtime-aws-request-id", "bench-1")
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:whatsapp",
            )
            .body(Full::new(Bytes::from(event.as_bytes().to_vec())))
            .unwrap());
    }
    let _ = done.send((
        Instant::now(),
        format!("{path} {}", String::from_utf8_lossy(&body)),
    ));
    Ok(Response::builder()
        .status(202)
        .body(Full::new(Bytes::new()))
        .unwrap())
}

#[tokio::main]
async fn main() {
    println!("whatsapp-lambda cold start benchmark");
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
        println!(
            "skipped: needs DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB), e.g. under tests/run.sh"
        );
        return;
    }
    let client = whatsapp_lambda::store::dynamodb_client().await;
    let table = format!("coldstart-{}", std::process::id());
    whatsapp_lambda::store::schema::create_table(&client, &table)
        .await
        .expect("create table");
    let event = Arc::new(
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/events/inbound/text.json"
        ))
        .expect("event"),
    );
    let mut times = Vec::new();
    for run in 0..RUNS {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let api = Arc::new(Mutex::new(Api::default()));
        let server = {
            let (api, event) = (api.clone(), event.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let (api, event, tx) = (api.clone(), event.clone(), tx.clone());
                    tokio::spawn(async move {
                        let service = service_fn(move |req| {
                            runtime_api(api.clone(), event.clone(), tx.clone(), req)
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            })
        };
        let started = Instant::now();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_whatsapp-lambda"))
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "whatsapp")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("TABLE_NAME", &table)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the binary");
        let (answered, what) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("answered in time")
            .unwrap();
        assert!(what.contains("/response"), "run {run}: {what}");
        times.push(answered - started);
        let _ = child.kill().await;
        server.abort();
    }
    times.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    println!(
        "process start → first SNS event answered ({RUNS} runs, DynamoDB Local): min {:.1} ms, median {:.1} ms, max {:.1} ms",
        ms(&times[0]),
        ms(&times[RUNS / 2]),
        ms(&times[RUNS - 1])
    );
}
