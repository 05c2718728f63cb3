//! Our side of the EUM Social wire: the real SDK against the local stand-in, media through S3
//! (moto), the 24-hour rule, Meta's limits and EUM's errors.

use std::sync::Arc;

use handlers::Ctx;
use handlers::store::Store;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use whatsapp_lambda::eum::EumSender;
use whatsapp_lambda::intake;
use whatsapp_lambda::media::S3Media;
use whatsapp_lambda::store::EmbeddedStore;

use crate::helpers::*;
use crate::standin::{self, StandIn};

struct Rig {
    standin: StandIn,
    ctx: Ctx,
    store: Arc<EmbeddedStore>,
    s3: aws_sdk_s3::Client,
    bucket: String,
}

async fn s3_client() -> aws_sdk_s3::Client {
    std::env::var("AWS_ENDPOINT_URL_S3").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL_S3 is not set: run the suite with `bash tests/run.sh`, which starts moto")
    });
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    )
}

async fn rig(max_attempts: u32) -> Rig {
    let s3 = s3_client().await;
    let bucket = unique_table().to_lowercase();
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket in moto");
    let standin = StandIn::start(Some((s3.clone(), bucket.clone()))).await;
    let sender = Arc::new(EumSender::new(
        standin.client(max_attempts).await,
        "v24.0",
        Some(bucket.clone()),
    ));
    let media = Arc::new(S3Media::new(s3.clone(), bucket.clone()));
    let store = embedded_store();
    seed_template(store.as_ref(), "order_update", "en_US", 2).await;
    seed_template(store.as_ref(), "hello_world", "en_US", 0).await;
    let ctx = Ctx::with(store.clone(), sender, media, settings());
    Rig {
        standin,
        ctx,
        store,
        s3,
        bucket,
    }
}

/// The customer writes now: the 24-hour window is open.
async fn open_window(ctx: &Ctx) {
    intake::handle(
        ctx,
        text_event("open", "wamid.OPEN", CUSTOMER, now_secs(), "hi"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn every_send_builds_the_exact_meta_request() {
    let rig = rig(1).await;
    open_window(&rig.ctx).await;
    let reply = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ001A=";
    let base =
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER});
    let with = |kind: &str, body: Value| {
        let mut m = base.clone();
        m["type"] = json!(kind);
        m[kind] = body;
        m
    };
    let cases = vec![
        (
            "send_text",
            with(
                "text",
                json!({"preview_url": false, "body": "Hello from whatsapp-lambda! Your order #1234 has shipped."}),
            ),
        ),
        (
            "send_image",
            with(
                "image",
                json!({"link": "https://example.com/images/order-1234.jpg", "caption": "Your order, packed"}),
            ),
        ),
        (
            "send_video",
            with(
                "video",
                json!({"link": "https://example.com/videos/unboxing.mp4", "caption": "How to set it up"}),
            ),
        ),
        (
            "send_audio",
            with(
                "audio",
                json!({"link": "https://example.com/audio/welcome.mp3"}),
            ),
        ),
        (
            "send_document",
            with(
                "document",
                json!({"link": "https://example.com/invoices/1234.pdf", "caption": "Your invoice", "filename": "invoice-1234.pdf"}),
            ),
        ),
        (
            "send_sticker",
            with(
                "sticker",
                json!({"link": "https://example.com/stickers/thanks.webp"}),
            ),
        ),
        (
            "send_location",
            with(
                "location",
                json!({"latitude": 37.4847, "longitude": -122.1477, "name": "Our store", "address": "1 Hacker Way, Menlo Park, CA"}),
            ),
        ),
        (
            "send_contacts",
            with(
                "contacts",
                json!([{"name": {"formatted_name": "Support Team", "first_name": "Support"}, "phones": [{"phone": "+1 555 078 3881", "type": "WORK"}], "emails": [{"email": "support@example.com", "type": "WORK"}]}]),
            ),
        ),
        (
            "send_reaction",
            with("reaction", json!({"message_id": reply, "emoji": "👍"})),
        ),
        (
            "send_interactive_buttons",
            with(
                "interactive",
                json!({"type": "button", "header": {"type": "text", "text": "Order #1234"}, "body": {"text": "Did your order arrive in good condition?"}, "footer": {"text": "Reply with a button"}, "action": {"buttons": [{"type": "reply", "reply": {"id": "arrived_ok", "title": "Yes, all good"}}, {"type": "reply", "reply": {"id": "arrived_damaged", "title": "Something's wrong"}}]}}),
            ),
        ),
        (
            "send_interactive_list",
            with(
                "interactive",
                json!({"type": "list", "header": {"type": "text", "text": "Support"}, "body": {"text": "How can we help you today?"}, "action": {"button": "Choose a topic", "sections": [{"title": "Orders", "rows": [{"id": "track", "title": "Track my order", "description": "Where is my parcel?"}, {"id": "return", "title": "Return an item"}]}, {"title": "Account", "rows": [{"id": "billing", "title": "Billing question"}]}]}}),
            ),
        ),
        (
            "send_cta_url",
            with(
                "interactive",
                json!({"type": "cta_url", "body": {"text": "Track your parcel live."}, "action": {"name": "cta_url", "parameters": {"display_text": "Track order", "url": "https://example.com/track/1234"}}}),
            ),
        ),
        (
            "send_template",
            with(
                "template",
                json!({"name": "order_update", "language": {"code": "en_US"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "Kerry"}, {"type": "text", "text": "#1234"}]}, {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "TRACK_1234"}]}]}),
            ),
        ),
    ];
    for (action, expected) in cases {
        rig.standin.clear();
        let answer = intake::handle(&rig.ctx, load(&format!("events/actions/{action}.json")))
            .await
            .unwrap();
        assert_eq!(answer["statusCode"], 200, "{action}: {answer}");
        let seen = rig.standin.last();
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            ("POST", "/v1/whatsapp/send"),
            "{action}"
        );
        assert_eq!(
            seen.body["originationPhoneNumberId"], ORIGINATION,
            "{action}"
        );
        assert_eq!(seen.body["metaApiVersion"], "v24.0", "{action}");
        // every send carries its idempotency tag, which Meta echoes on its statuses
        let mut message = seen.message();
        let key = answer["data"]["idempotencyKey"].as_str().unwrap();
        assert_eq!(
            message["biz_opaque_callback_data"],
            format!("wl1:{}:{key}", key.len()),
            "{action}"
        );
        message
            .as_object_mut()
            .unwrap()
            .remove("biz_opaque_callback_data");
        assert_eq!(message, expected, "{action}");
        // the send is stored as OUTBOUND under the id EUM returned, threaded into the conversation
        let id = answer["data"]["waMessageId"].as_str().unwrap();
        let stored = rig.store.get_message(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.direction.as_str(), stored.status.as_str()),
            ("OUTBOUND", "accepted"),
            "{action}"
        );
        let conv = rig
            .store
            .get_conversation(stored.conversation_pk.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conv.last_message_id.as_deref(), Some(id), "{action}");
    }
}

#[tokio::test]
async fn reply_context_bsuid_recipient_and_callback_data_are_sent() {
    let rig = rig(1).await;
    let request = json!({"action": "send_template", "recipient": "US.13491208655302741918", "name": "hello_world",
        "replyTo": "wamid.ABC", "bizOpaqueCallbackData": "order-1234"});
    let answer = intake::handle(&rig.ctx, request).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let message = rig.standin.last().message();
    assert_eq!(message["recipient"], "US.13491208655302741918");
    assert!(message.get("to").is_none());
    assert_eq!(message["context"], json!({"message_id": "wamid.ABC"}));
    // the caller's data follows the idempotency tag
    let key = answer["data"]["idempotencyKey"].as_str().unwrap();
    assert_eq!(
        message["biz_opaque_callback_data"],
        format!("wl1:{}:{key}order-1234", key.len())
    );
    // its statuses merge into it through the inbound path
    let id = answer["data"]["waMessageId"].as_str().unwrap();
    intake::handle(&rig.ctx, status_event("st-1", id, "delivered", now_secs()))
        .await
        .unwrap();
    let stored = rig.store.get_message(id).await.unwrap().unwrap();
    assert_eq!(stored.status, handlers::model::MessageStatus::Delivered);
    assert_eq!(
        stored.biz_opaque_callback_data.as_deref(),
        Some("order-1234")
    );
}

#[tokio::test]
async fn mark_read_sends_the_receipt_and_zeroes_unread() {
    let rig = rig(1).await;
    open_window(&rig.ctx).await;
    let answer = intake::handle(
        &rig.ctx,
        json!({"action": "mark_read", "messageId": "wamid.OPEN", "typingIndicator": true}),
    )
    .await
    .unwrap();
    assert_eq!(answer["data"]["unreadCount"], 0, "{answer}");
    assert_eq!(
        rig.standin.last().message(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.OPEN", "typing_indicator": {"type": "text"}})
    );
}

#[tokio::test]
async fn eum_errors_map_to_clear_statuses_and_failed_sends_are_kept() {
    let rig = rig(2).await;
    open_window(&rig.ctx).await;
    let send = json!({"action": "send_text", "to": CUSTOMER, "text": "hello"});
    for (failures, status, fragment) in [
        (
            vec![standin::THROTTLED, standin::THROTTLED],
            429,
            "throttled",
        ),
        (vec![standin::INVALID], 400, "Invalid parameter: message.to"),
        (vec![standin::NOT_FOUND], 404, "Phone number not found"),
        (vec![standin::DENIED], 403, "Not authorized"),
        (
            vec![standin::INTERNAL, standin::INTERNAL],
            502,
            "InternalServiceException",
        ),
    ] {
        rig.standin.clear();
        rig.standin.fail_next(&failures);
        let answer = intake::handle(&rig.ctx, send.clone()).await.unwrap();
        assert_eq!(answer["statusCode"], status, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(fragment),
            "{answer}"
        );
        // throttling and internal errors were retried by the SDK (2 attempts configured)
        assert_eq!(rig.standin.seen().len(), failures.len(), "{fragment}");
    }
    // no send is silently lost: each failure left a failed MESSAGE
    let page = rig
        .store
        .list_messages(
            "CONV#106540352242922#16505551234",
            &handlers::store::PageRequest {
                limit: 50,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let failed: Vec<_> = page
        .items
        .iter()
        .filter(|m| m.status == handlers::model::MessageStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 5);
    assert!(
        failed
            .iter()
            .all(|m| m.error.as_ref().and_then(|e| e.message.as_ref()).is_some())
    );
    // not the conversation's last message: the customer never got them
    let conv = rig
        .store
        .get_conversation("CONV#106540352242922#16505551234")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.last_message_id.as_deref(), Some("wamid.OPEN"));
    // a throttle that clears within the retries succeeds
    rig.standin.fail_next(&[standin::THROTTLED]);
    let answer = intake::handle(&rig.ctx, send).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
}

#[tokio::test]
async fn the_24_hour_window_is_enforced_both_ways() {
    let rig = rig(1).await;
    let send = |extra: Value| {
        let mut r = json!({"action": "send_text", "to": CUSTOMER, "text": "hello"});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    // never wrote: refused, explained, nothing sent
    let answer = intake::handle(&rig.ctx, send(json!({}))).await.unwrap();
    assert_eq!(answer["statusCode"], 400);
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.contains("24-hour") && error.contains("send_template") && error.contains("force"),
        "{error}"
    );
    assert!(rig.standin.seen().is_empty());
    // wrote 25 hours ago: refused
    intake::handle(
        &rig.ctx,
        text_event("old", "wamid.OLD", CUSTOMER, now_secs() - 25 * 3600, "hi"),
    )
    .await
    .unwrap();
    assert_eq!(
        intake::handle(&rig.ctx, send(json!({}))).await.unwrap()["statusCode"],
        400
    );
    // force sends anyway; templates need no window
    assert_eq!(
        intake::handle(&rig.ctx, send(json!({"force": true})))
            .await
            .unwrap()["statusCode"],
        200
    );
    let template = json!({"action": "send_template", "to": CUSTOMER, "name": "hello_world"});
    assert_eq!(
        intake::handle(&rig.ctx, template).await.unwrap()["statusCode"],
        200
    );
    // wrote 23 hours ago: allowed
    intake::handle(
        &rig.ctx,
        text_event(
            "recent",
            "wamid.RECENT",
            CUSTOMER,
            now_secs() - 23 * 3600,
            "hi",
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        intake::handle(&rig.ctx, send(json!({}))).await.unwrap()["statusCode"],
        200
    );
}

#[tokio::test]
async fn every_limit_is_checked_before_sending() {
    let rig = rig(1).await;
    open_window(&rig.ctx).await;
    let long = |n: usize| "x".repeat(n);
    let button = |t: &str| json!({"id": t, "title": t});
    let row = |id: &str| json!({"id": id, "title": "Row"});
    let cases = vec![
        (
            json!({"action": "send_text", "text": long(4097)}),
            "invalid parameter `text`: is 4097 characters; ",
        ),
        (
            json!({"action": "send_text", "text": ""}),
            "invalid parameter `text`: must not be empty",
        ),
        (
            json!({"action": "send_text"}),
            "missing required parameter `text`",
        ),
        (
            json!({"action": "send_image", "link": "https://e.com/a.jpg", "caption": long(1025)}),
            "invalid parameter `caption`: is 1025 characters; ",
        ),
        (
            json!({"action": "send_image", "link": "https://e.com/a.jpg", "mediaId": "1"}),
            "invalid parameter `mediaId`: give exactly one of",
        ),
        (
            json!({"action": "send_image", "link": "ftp://e.com/a.jpg"}),
            "invalid parameter `link`",
        ),
        (
            json!({"action": "send_interactive_buttons", "body": "b", "buttons": [button("a"), button("b"), button("c"), button("d")]}),
            "invalid parameter `buttons`: has 4 buttons; WhatsApp allows 1 to 3",
        ),
        (
            json!({"action": "send_interactive_buttons", "body": "b", "buttons": [{"id": "a", "title": long(21)}]}),
            "invalid parameter `buttons[0].title`: is 21 characters; WhatsApp allows at most 20",
        ),
        (
            json!({"action": "send_interactive_buttons", "body": long(1025), "buttons": [button("a")]}),
            "invalid parameter `body`: is 1025 characters; ",
        ),
        (
            json!({"action": "send_interactive_buttons", "body": "b", "header": long(61), "buttons": [button("a")]}),
            "invalid parameter `header`: is 61 characters; at most 60 are accepted",
        ),
        (
            json!({"action": "send_interactive_buttons", "body": "b", "footer": long(61), "buttons": [button("a")]}),
            "invalid parameter `footer`: is 61 characters; at most 60 are accepted",
        ),
        (
            json!({"action": "send_interactive_list", "body": "b", "button": "Menu", "sections": [{"rows": [{"id": "r", "title": long(25)}]}]}),
            "invalid parameter `sections[0].rows[0].title`: is 25 characters; WhatsApp allows at most 24",
        ),
        (
            json!({"action": "send_interactive_list", "body": "b", "button": "Menu", "sections": [{"rows": [{"id": "r", "title": "t", "description": long(73)}]}]}),
            "invalid parameter `sections[0].rows[0].description`: is 73 characters; WhatsApp allows at most 72",
        ),
        (
            json!({"action": "send_interactive_list", "body": "b", "button": "Menu", "sections": [{"rows": (0..11).map(|i| row(&i.to_string())).collect::<Vec<_>>()}]}),
            "invalid parameter `sections`: has 11 rows in all; WhatsApp allows 1 to 10",
        ),
        (
            json!({"action": "send_interactive_list", "body": "b", "button": long(21), "sections": [{"rows": [row("a")]}]}),
            "invalid parameter `button`: is 21 characters; at most 20 are accepted",
        ),
        (
            json!({"action": "send_cta_url", "body": "b", "displayText": long(21), "url": "https://e.com"}),
            "invalid parameter `displayText`: is 21 characters; at most 20 are accepted",
        ),
        (
            json!({"action": "send_location", "latitude": 91, "longitude": 0}),
            "invalid parameter `latitude`",
        ),
        (
            json!({"action": "send_contacts", "contacts": [{"phones": []}]}),
            "missing required parameter `contacts[0].name.formatted_name`",
        ),
        (
            json!({"action": "send_template", "name": "x", "body": [true]}),
            "invalid parameter `body[0]`",
        ),
        (
            json!({"action": "send_text", "text": "hi", "to": "not-a-number"}),
            "invalid parameter `to`",
        ),
        (
            json!({"action": "send_text", "text": "hi", "to": "16505551234", "recipient": "US.1"}),
            "invalid parameter `to`: give either",
        ),
    ];
    for (mut request, expected) in cases {
        if request.get("to").is_none() && request.get("recipient").is_none() {
            request["to"] = json!(CUSTOMER);
        }
        let answer = intake::handle(&rig.ctx, request.clone()).await.unwrap();
        assert_eq!(answer["statusCode"], 400, "{request} → {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(
            error.starts_with(expected),
            "{request}\n  got:      {error}\n  expected: {expected}"
        );
    }
    assert!(
        rig.standin.seen().is_empty(),
        "nothing invalid reached EUM Social"
    );
}

/// GET over plain HTTP (the presigned URL points at moto on loopback).
async fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

#[tokio::test]
async fn inbound_media_lands_in_s3_and_a_presigned_url_fetches_it() {
    let rig = rig(1).await;
    let event = load("events/inbound/image.json");
    let answer = intake::handle(&rig.ctx, event.clone()).await.unwrap();
    assert_eq!(
        answer["data"]["reports"][0]["counts"]["mediaFetched"], 1,
        "{answer}"
    );
    // the exact GetWhatsAppMessageMedia request: the phone's ARN from the event, a key prefix
    let seen = rig.standin.last();
    assert_eq!(seen.path, "/v1/whatsapp/media/get");
    let message: Value =
        serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    let entry: Value =
        serde_json::from_str(message["whatsAppWebhookEntry"].as_str().unwrap()).unwrap();
    let msg = &entry["changes"][0]["value"]["messages"][0];
    let (wamid, media_id) = (
        msg["id"].as_str().unwrap(),
        msg["image"]["id"].as_str().unwrap(),
    );
    let stored = rig.store.get_message(wamid).await.unwrap().unwrap();
    let day = &stored.received_at[..10];
    let prefix = format!("media/{PHONE}/{day}/");
    assert_eq!(
        seen.body,
        json!({"mediaId": media_id, "originationPhoneNumberId": message["context"]["MetaPhoneNumberIds"][0]["arn"],
               "destinationS3File": {"bucketName": rig.bucket, "key": prefix}})
    );
    // the MESSAGE and MEDIA_DOWNLOAD items point at the object EUM wrote
    let key = format!("{prefix}{media_id}.jpg");
    let media = stored.media.unwrap();
    assert_eq!(media.s3_key.as_deref(), Some(key.as_str()));
    assert_eq!(
        media.size,
        Some(format!("JPEG bytes of {media_id}").len() as u64)
    );
    let download = rig
        .store
        .get_item(&handlers::keys::media_download(media_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (download["outcome"].as_str(), download["key"].as_str()),
        (Some("downloaded"), Some(key.as_str()))
    );
    // and the presigned URL fetches the bytes
    let answer = intake::handle(
        &rig.ctx,
        json!({"action": "get_media_url", "waMessageId": wamid, "expiresIn": 60}),
    )
    .await
    .unwrap();
    let url = answer["data"]["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires=60"), "{url}");
    let (status, bytes) = http_get(url).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, format!("JPEG bytes of {media_id}").into_bytes());
}

#[tokio::test]
async fn a_failed_media_copy_keeps_the_message_and_can_be_retried() {
    let rig = rig(1).await;
    rig.standin.fail_next(&[standin::NOT_FOUND]);
    let answer = intake::handle(&rig.ctx, load("events/inbound/video.json"))
        .await
        .unwrap();
    let counts = &answer["data"]["reports"][0]["counts"];
    assert_eq!(
        (counts["messages"].as_u64(), counts["mediaFailed"].as_u64()),
        (Some(1), Some(1)),
        "{answer}"
    );
    let wamid = answer["data"]["reports"][0]["messageIds"][0]
        .as_str()
        .unwrap()
        .to_string();
    let stored = rig.store.get_message(&wamid).await.unwrap().unwrap();
    let media_id = stored.media.as_ref().unwrap().id.clone().unwrap();
    assert!(stored.media.unwrap().s3_key.is_none());
    let failed = rig
        .store
        .get_item(&handlers::keys::media_download(&media_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed["outcome"], "failed");
    let retry = intake::handle(
        &rig.ctx,
        json!({"action": "download_media", "waMessageId": wamid}),
    )
    .await
    .unwrap();
    assert_eq!(retry["statusCode"], 200, "{retry}");
    assert!(
        retry["data"]["key"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{media_id}.jpg"))
    );
}

#[tokio::test]
async fn uploads_go_to_s3_then_whatsapp_and_sends_use_the_media_id() {
    let rig = rig(1).await;
    open_window(&rig.ctx).await;
    let answer = intake::handle(&rig.ctx, load("events/actions/upload_media.json"))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let (media_id, key) = (
        answer["data"]["mediaId"].as_str().unwrap(),
        answer["data"]["key"].as_str().unwrap(),
    );
    let object = rig
        .s3
        .get_object()
        .bucket(&rig.bucket)
        .key(key)
        .send()
        .await
        .expect("uploaded to S3 first");
    assert_eq!(object.content_type(), Some("image/png"));
    let seen = rig.standin.last();
    assert_eq!(seen.path, "/v1/whatsapp/media");
    assert_eq!(
        seen.body,
        json!({"originationPhoneNumberId": ORIGINATION, "sourceS3File": {"bucketName": rig.bucket, "key": key}})
    );
    assert!(
        rig.store
            .get_item(&handlers::keys::media_upload(media_id))
            .await
            .unwrap()
            .is_some()
    );
    // a send by S3 key uploads, then sends by id
    rig.standin.clear();
    let send = json!({"action": "send_image", "to": CUSTOMER, "s3Key": key, "caption": "pixel"});
    let answer = intake::handle(&rig.ctx, send).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let seen = rig.standin.seen();
    assert_eq!(
        seen.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        ["/v1/whatsapp/media", "/v1/whatsapp/send"]
    );
    let uploaded = seen[0].clone();
    let sent_id = rig
        .store
        .get_item(&format!(
            "MSG#{}",
            answer["data"]["waMessageId"].as_str().unwrap()
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent_id["media"]["s3Key"], key);
    assert_eq!(seen[1].message()["image"]["caption"], "pixel");
    assert!(
        seen[1].message()["image"]["id"]
            .as_str()
            .unwrap()
            .starts_with("77000"),
        "{:?}",
        uploaded
    );
    // delete removes it from WhatsApp and, on request, from S3
    let answer = intake::handle(
        &rig.ctx,
        json!({"action": "delete_media", "mediaId": media_id, "deleteStored": true}),
    )
    .await
    .unwrap();
    assert_eq!(answer["data"]["deletedKey"], key, "{answer}");
    let seen = rig.standin.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("DELETE", "/v1/whatsapp/media")
    );
    assert!(seen.query.contains(&format!("mediaId={media_id}")));
    assert!(
        rig.s3
            .head_object()
            .bucket(&rig.bucket)
            .key(key)
            .send()
            .await
            .is_err(),
        "deleted from S3"
    );
}
