//! The fast-ack path through SQS (moto at `AWS_ENDPOINT_URL_SQS`): webhooks verified and queued,
//! a batch with a poison message and a transient failure, a message that reaches the DLQ after
//! its attempts, and a redrive that processes it once. The test drives every receive itself
//! (visibility 0 between attempts): no sleeps decide an outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use handlers::ports::queue::{QueuedWebhook, WebhookQueue};
use handlers::{Ctx, Store, StoreError};
use serde_json::{Value, json};
use whatsapp_lambda::intake;
use whatsapp_lambda::sqs::SqsQueue;

use crate::helpers::*;
use crate::ingress::{TWILIO_TOKEN, answer, ingress_ctx, twilio_event};

/// Refuses every write of one item while `failing` is set, as an unavailable store would.
struct Outage {
    pk: String,
    failing: Arc<AtomicBool>,
}

impl Hooks for Outage {
    fn write(&self, method: &'static str, pks: &[&str]) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) && pks.contains(&self.pk.as_str()) {
            return Err(StoreError::Unavailable {
                operation: method,
                source: format!("{method} of {} refused by the test", self.pk).into(),
            });
        }
        Ok(())
    }
}

async fn client() -> Client {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_SQS").is_ok(),
        "AWS_ENDPOINT_URL_SQS is not set (moto)"
    );
    let shared = whatsapp_lambda::aws::shared_config().await;
    Client::from_conf(whatsapp_lambda::aws::sqs(&shared).build())
}

/// A queue and its DLQ, redriven after `max_receives` receives.
async fn queues(client: &Client, max_receives: u32) -> (String, String) {
    let name = unique_table().replace('_', "-");
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let policy = json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives.to_string()})
        .to_string();
    let queue = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (queue, dlq)
}

/// Receives what is visible (visibility 30 s: the consumer decides the next delay) and returns
/// it as the SQS event Lambda would deliver.
async fn receive(client: &Client, queue: &str) -> Value {
    let out = client
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .visibility_timeout(30)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let records: Vec<Value> = out
        .messages
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let attrs: serde_json::Map<String, Value> = m
                .attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_string(), json!(v)))
                .collect();
            json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                   "attributes": attrs, "messageAttributes": {}, "md5OfBody": m.md5_of_body(),
                   "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"})
        })
        .collect();
    json!({"Records": records})
}

/// What Lambda does with the batch response: deletes the records not listed as failed. The
/// failed ones are made visible again at once (their retry delay has "passed").
async fn settle(client: &Client, queue: &str, event: &Value, answer: &Value) {
    let failed = batch_item_failures(answer);
    for record in event["Records"].as_array().unwrap() {
        let handle = record["receiptHandle"].as_str().unwrap();
        if failed
            .iter()
            .any(|f| f == record["messageId"].as_str().unwrap())
        {
            client
                .change_message_visibility()
                .queue_url(queue)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        } else {
            client
                .delete_message()
                .queue_url(queue)
                .receipt_handle(handle)
                .send()
                .await
                .unwrap();
        }
    }
}

fn ids(event: &Value) -> Vec<String> {
    event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["messageId"].as_str().unwrap().to_string())
        .collect()
}

fn text(sid: &str) -> Vec<(&'static str, &'static str)> {
    let sid: &'static str = Box::leak(sid.to_string().into_boxed_str());
    vec![
        ("MessageSid", sid),
        ("AccountSid", "ACtest"),
        ("From", "whatsapp:+16505551234"),
        ("To", "whatsapp:+14155238886"),
        ("SmsStatus", "received"),
        ("NumMedia", "0"),
        ("Body", "hello"),
    ]
}

async fn rig(max_receives: u32) -> (Client, String, String, Ctx, Arc<AtomicBool>, Arc<dyn Store>) {
    let client = client().await;
    let (queue, dlq) = queues(&client, max_receives).await;
    let failing = Arc::new(AtomicBool::new(true));
    let inner: Arc<dyn Store> = embedded_store();
    let store: Arc<dyn Store> = Arc::new(HookedStore::new(
        inner.clone(),
        Outage {
            pk: "MSG#SMtransient".into(),
            failing: failing.clone(),
        },
    ));
    let sqs: Arc<dyn WebhookQueue> =
        Arc::new(SqsQueue::new(client.clone(), queue.clone(), dlq.clone()));
    (
        client,
        queue,
        dlq,
        ingress_ctx(store, Some(sqs)),
        failing,
        inner,
    )
}

#[tokio::test]
async fn a_batch_with_poison_and_a_transient_failure_lists_only_the_transient() {
    let (client, queue, _dlq, ctx, _failing, store) = rig(5).await;
    // two webhooks through the door: answered at once, nothing stored yet
    for sid in ["SMgood", "SMtransient"] {
        let response = intake::handle(&ctx, twilio_event(&text(sid), TWILIO_TOKEN))
            .await
            .unwrap();
        assert_eq!(answer(&response).0, 200);
    }
    assert!(store.get_message("SMgood").await.unwrap().is_none());
    // and a poison one: a queued Twilio body that can never be converted
    let poison = QueuedWebhook::new(
        "twilio",
        "From=nobody".into(),
        Default::default(),
        handlers::time::now_iso(),
    );
    ctx.ingress().queue.enqueue(&poison).await.unwrap();

    let event = receive(&client, &queue).await;
    assert_eq!(ids(&event).len(), 3);
    let response = intake::handle(&ctx, event.clone()).await.unwrap();
    let failed = batch_item_failures(&response);
    let transient_id = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["body"].as_str().unwrap().contains("SMtransient"))
        .unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(failed, vec![transient_id.clone()]);
    assert!(store.get_message("SMgood").await.unwrap().is_some());
    // the failure is recorded with its attempt and the delay before the next one
    let failure = store
        .get_item(&format!("QUEUE_FAILURE#{transient_id}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            failure["attempts"].as_u64(),
            failure["nextAttemptInSeconds"].as_u64()
        ),
        (Some(1), Some(2)),
        "{failure}"
    );
    assert!(
        failure["reason"]
            .as_str()
            .unwrap()
            .contains("refused by the test")
    );
    // the consumer hid it for its retry delay: a receive now does not see it
    settle(&client, &queue, &json!({"Records": []}), &response).await;
    let hidden = receive(&client, &queue).await;
    assert!(ids(&hidden).is_empty(), "{hidden}");
}

#[tokio::test]
async fn a_failing_message_reaches_the_dlq_and_a_redrive_processes_it_once() {
    let (client, queue, dlq, ctx, failing, store) = rig(3).await;
    let response = intake::handle(&ctx, twilio_event(&text("SMtransient"), TWILIO_TOKEN))
        .await
        .unwrap();
    assert_eq!(answer(&response).0, 200);
    let mut attempts = 0;
    loop {
        let event = receive(&client, &queue).await;
        if ids(&event).is_empty() {
            break;
        }
        attempts += 1;
        let response = intake::handle(&ctx, event.clone()).await.unwrap();
        assert_eq!(batch_item_failures(&response), ids(&event));
        settle(&client, &queue, &event, &response).await;
        assert!(
            attempts <= 3,
            "the redrive policy should have moved it after 3 receives"
        );
    }
    assert_eq!(attempts, 3);
    // the DLQ holds it; list_dlq shows why it failed and how often it was tried
    let stats = action(&ctx, json!({"action": "get_queue_stats"})).await;
    assert_eq!(stats["data"]["dlqVisible"], 1, "{stats}");
    assert_eq!(stats["data"]["visible"], 0);
    let listed = action(&ctx, json!({"action": "list_dlq"})).await;
    let dead = &listed["data"]["messages"][0];
    assert_eq!(dead["source"], "twilio", "{listed}");
    assert_eq!(dead["failure"]["attempts"], 3, "{listed}");
    assert!(
        dead["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("store unavailable")
    );
    // purging needs its confirmation
    let refused = action(
        &ctx,
        json!({"action": "purge_dlq", "confirm": "not-the-name"}),
    )
    .await;
    assert_eq!(refused["statusCode"], 400);

    // the store is back; the redrive moves it to the queue, where it is processed once
    failing.store(false, Ordering::SeqCst);
    let id = dead["messageId"].as_str().unwrap().to_string();
    let redriven = action(&ctx, json!({"action": "redrive_dlq", "messageIds": [id]})).await;
    assert_eq!(
        redriven["data"]["moved"].as_array().unwrap().len(),
        1,
        "{redriven}"
    );
    let event = receive(&client, &queue).await;
    assert_eq!(ids(&event).len(), 1);
    let response = intake::handle(&ctx, event.clone()).await.unwrap();
    assert!(batch_item_failures(&response).is_empty());
    settle(&client, &queue, &event, &response).await;
    assert_eq!(
        store
            .get_message("SMtransient")
            .await
            .unwrap()
            .unwrap()
            .text
            .as_deref(),
        Some("hello")
    );
    let stats = action(&ctx, json!({"action": "get_queue_stats"})).await;
    assert_eq!(
        (
            stats["data"]["dlqVisible"].as_u64(),
            stats["data"]["visible"].as_u64()
        ),
        (Some(0), Some(0)),
        "{stats}"
    );
    let _ = dlq;
}

/// A direct Meta webhook with fast acknowledgement: verified and queued at the door (nothing
/// stored yet), then processed once by the queue's consumer, a redelivery storing nothing more.
#[tokio::test]
async fn a_meta_webhook_is_queued_then_processed_once() {
    let (client, queue, _dlq, queued_ctx, _failing, store) = rig(5).await;
    let ctx = crate::webhooks::webhook_ctx(
        store.clone(),
        crate::webhooks::keys(&[crate::webhooks::SECRET], None),
    )
    .with_ingress(queued_ctx.ingress().clone());
    let customer = "15550007777";
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "changes": messages_change(customer, json!([text_message("wamid.FASTMETA", customer, now_secs(), "queued")]), json!([]))}]
    })
    .to_string();
    let signature = handlers::webhooks::sign(crate::webhooks::SECRET, body.as_bytes());
    let response = intake::handle(&ctx, crate::webhooks::post(&body, Some(&signature)))
        .await
        .unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    assert!(
        response["body"]
            .as_str()
            .unwrap()
            .contains("\"queued\":true")
    );
    assert!(store.get_message("wamid.FASTMETA").await.unwrap().is_none());

    let event = receive(&client, &queue).await;
    assert_eq!(ids(&event).len(), 1);
    let answer = intake::handle(&ctx, event.clone()).await.unwrap();
    assert!(batch_item_failures(&answer).is_empty(), "{answer}");
    let stored = store.get_message("wamid.FASTMETA").await.unwrap().unwrap();
    assert_eq!(stored.text.as_deref(), Some("queued"));
    // delivered again (SQS is at least once): nothing more is stored
    let again = intake::handle(&ctx, event).await.unwrap();
    assert!(batch_item_failures(&again).is_empty(), "{again}");
    let conversation = store
        .get_conversation(stored.conversation_pk.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        conversation.unread_count, 1,
        "stored once: {conversation:?}"
    );
}
