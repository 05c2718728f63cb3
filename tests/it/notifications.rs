//! Notifications over SNS: moto's SNS with an SQS queue subscribed; what arrived is read back
//! from the queue (SQS through its query API over plain HTTP: the function has no SQS client).

use std::sync::Arc;

use handlers::ctx::Platform;
use handlers::ports::notify::{Notification, Notifier, NotifyError};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use whatsapp_lambda::notify::SnsNotifier;

use crate::helpers::{PHONE, WABA, ctx, embedded_store, load, unique_table};
use crate::platform::{change_event, ingest};

fn moto() -> String {
    std::env::var("AWS_ENDPOINT_URL_SQS").unwrap_or_else(|_| "http://127.0.0.1:8766".into())
}

/// One SQS query-API call; the XML answer as text.
async fn sqs(params: &[(&str, &str)]) -> String {
    let url = moto();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().copied().chain([("Version", "2012-11-05")]))
        .finish();
    let mut stream = tokio::net::TcpStream::connect(&host)
        .await
        .expect("moto answers");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    text.split(open)
        .skip(1)
        .filter_map(|s| s.split(close).next())
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

struct Rig {
    topic_arn: String,
    queue_url: String,
    notifier: Arc<SnsNotifier>,
}

async fn rig() -> Rig {
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sns = aws_sdk_sns::Client::new(&shared);
    let name = unique_table().to_lowercase();
    let topic_arn = sns
        .create_topic()
        .name(&name)
        .send()
        .await
        .expect("moto SNS")
        .topic_arn
        .unwrap();
    let created = sqs(&[("Action", "CreateQueue"), ("QueueName", &name)]).await;
    let queue_url = between(&created, "<QueueUrl>", "</QueueUrl>")
        .first()
        .copied()
        .expect("queue url")
        .to_string();
    let attrs = sqs(&[
        ("Action", "GetQueueAttributes"),
        ("QueueUrl", &queue_url),
        ("AttributeName.1", "QueueArn"),
    ])
    .await;
    let queue_arn = between(&attrs, "<Value>", "</Value>")
        .first()
        .copied()
        .expect("queue arn")
        .to_string();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();
    let notifier = Arc::new(SnsNotifier::new(sns, topic_arn.clone()));
    Rig {
        topic_arn,
        queue_url,
        notifier,
    }
}

impl Rig {
    /// Every SNS notification that reached the queue (the SNS envelope of each, parsed).
    async fn arrived(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for _ in 0..5 {
            let answer = sqs(&[
                ("Action", "ReceiveMessage"),
                ("QueueUrl", &self.queue_url),
                ("MaxNumberOfMessages", "10"),
            ])
            .await;
            let bodies = between(&answer, "<Body>", "</Body>");
            if bodies.is_empty() {
                break;
            }
            out.extend(
                bodies
                    .into_iter()
                    .map(|b| serde_json::from_str::<Value>(&unescape(b)).expect("SNS envelope")),
            );
        }
        out
    }

    fn ctx(&self, notify_inbound: bool) -> handlers::Ctx {
        ctx(embedded_store()).with_platform(Platform {
            notifier: Some(self.notifier.clone()),
            notify_inbound,
            ..Default::default()
        })
    }
}

#[tokio::test]
async fn security_alerts_quality_templates_and_poison_are_published_once_with_attributes() {
    let rig = rig().await;
    let ctx = rig.ctx(false);
    // GIVEN a security event, delivered twice, an account alert, a quality downgrade, a rejected
    // template, a poison record, and an approved template (not notified)
    ingest(&ctx, load("events/inbound/security.json")).await;
    ingest(&ctx, load("events/inbound/security.json")).await;
    ingest(&ctx, load("events/inbound/account_alerts.json")).await;
    ingest(&ctx, change_event("q-1", "phone_number_quality_update", json!({
        "display_phone_number": "15550783881", "event": "DOWNGRADE", "current_limit": "TIER_1K", "old_limit": "TIER_10K"}))).await;
    ingest(&ctx, change_event("t-1", "message_template_status_update", json!({
        "event": "REJECTED", "message_template_id": 594425479261596_i64, "message_template_name": "summer_sale",
        "message_template_language": "en_US", "reason": "INCORRECT_CATEGORY"}))).await;
    ingest(&ctx, change_event("t-2", "message_template_status_update", json!({
        "event": "APPROVED", "message_template_id": 594425479261597_i64, "message_template_name": "order_update",
        "message_template_language": "en_US", "reason": "NONE"}))).await;
    ingest(
        &ctx,
        crate::helpers::sns_event(&[("poison-1", "not json at all".to_string())]),
    )
    .await;
    // THEN each arrived once, with a subject and the filter attributes
    let arrived = rig.arrived().await;
    let kinds: Vec<String> = {
        let mut k: Vec<String> = arrived
            .iter()
            .map(|n| {
                n["MessageAttributes"]["kind"]["Value"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds,
        [
            "account_alert",
            "poison_record",
            "quality",
            "security",
            "template"
        ],
        "{arrived:#?}"
    );
    let security = arrived
        .iter()
        .find(|n| n["MessageAttributes"]["kind"]["Value"] == "security")
        .unwrap();
    assert_eq!(security["TopicArn"], rig.topic_arn);
    assert_eq!(
        security["Subject"],
        "WhatsApp CRITICAL: security PIN_RESET_REQUEST on 15550783881"
    );
    assert_eq!(
        security["MessageAttributes"]["severity"]["Value"],
        "CRITICAL"
    );
    assert_eq!(
        security["MessageAttributes"]["phoneNumberId"]["Value"],
        "15550783881"
    );
    let message: Value = serde_json::from_str(security["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message["kind"], "security");
    assert_eq!(message["wabaId"], WABA);
    assert_eq!(message["detail"]["requester"], "61555822107539");
    let template = arrived
        .iter()
        .find(|n| n["MessageAttributes"]["kind"]["Value"] == "template")
        .unwrap();
    assert!(
        template["Subject"]
            .as_str()
            .unwrap()
            .contains("summer_sale REJECTED"),
        "{template}"
    );
}

#[tokio::test]
async fn failed_sends_and_optionally_every_inbound_message_are_published() {
    let rig = rig().await;
    let ctx = rig.ctx(true);
    ingest(&ctx, load("events/inbound/text.json")).await;
    ingest(&ctx, load("events/inbound/text.json")).await; // a redelivery is not new
    ingest(&ctx, load("events/inbound/status_failed.json")).await;
    let arrived = rig.arrived().await;
    let mut kinds: Vec<&str> = arrived
        .iter()
        .map(|n| n["MessageAttributes"]["kind"]["Value"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["inbound_message", "send_failed"], "{arrived:#?}");
    let failed = arrived
        .iter()
        .find(|n| n["MessageAttributes"]["kind"]["Value"] == "send_failed")
        .unwrap();
    let message: Value = serde_json::from_str(failed["Message"].as_str().unwrap()).unwrap();
    assert!(
        message["detail"]["errorCode"].is_i64(),
        "Meta's error code: {message}"
    );
    assert_eq!(failed["MessageAttributes"]["phoneNumberId"]["Value"], PHONE);
}

/// A notifier that fails a given number of times, then publishes into a list.
struct Flaky {
    failures: std::sync::Mutex<u32>,
    published: std::sync::Mutex<Vec<Notification>>,
    lost: std::sync::Mutex<u32>,
}

#[async_trait::async_trait]
impl Notifier for Flaky {
    async fn publish(&self, n: &Notification) -> Result<(), NotifyError> {
        let mut failures = self.failures.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return Err(NotifyError {
                message: "SNS throttled".into(),
                source: None,
            });
        }
        self.published.lock().unwrap().push(n.clone());
        Ok(())
    }
    fn lost(&self, _: &Notification) {
        *self.lost.lock().unwrap() += 1;
    }
}

#[tokio::test]
async fn a_failed_publish_is_retried_once_and_never_fails_the_record() {
    for (failures, published, lost) in [(1, 1, 0), (2, 0, 1)] {
        let flaky = Arc::new(Flaky {
            failures: failures.into(),
            published: Default::default(),
            lost: 0.into(),
        });
        let ctx = ctx(embedded_store()).with_platform(Platform {
            notifier: Some(flaky.clone()),
            ..Default::default()
        });
        let answer = ingest(&ctx, load("events/inbound/security.json")).await;
        assert_eq!(answer["data"]["poison"], 0, "{answer}");
        assert_eq!(
            flaky.published.lock().unwrap().len(),
            published,
            "after {failures} failures"
        );
        assert_eq!(
            *flaky.lost.lock().unwrap(),
            lost,
            "after {failures} failures"
        );
    }
}

#[tokio::test]
async fn an_unreachable_topic_is_lost_not_fatal() {
    // a topic that does not exist: SNS answers NotFound, the record is still processed
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let notifier = Arc::new(SnsNotifier::new(
        aws_sdk_sns::Client::new(&shared),
        "arn:aws:sns:us-east-1:123456789012:no-such-topic",
    ));
    let ctx = ctx(embedded_store()).with_platform(Platform {
        notifier: Some(notifier),
        ..Default::default()
    });
    let answer = ingest(&ctx, load("events/inbound/security.json")).await;
    assert_eq!(answer["data"]["records"], 1, "{answer}");
    assert_eq!(answer["data"]["poison"], 0, "{answer}");
}
