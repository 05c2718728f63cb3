use serde_json::{Value, json};

use super::*;
use crate::twilio::parse_form;

fn event(body: &str) -> (Converted, Value) {
    let converted = convert(&parse_form(body), 1_763_632_800).unwrap();
    let value: Value = serde_json::from_str(&converted.body).unwrap();
    (converted, value)
}

fn change(event: &Value) -> &Value {
    &event["whatsAppWebhookEntry"]["changes"][0]["value"]
}

#[test]
fn a_text_message_becomes_a_meta_message_with_its_contact() {
    let (converted, event) = event(
        "SmsMessageSid=SM1&NumMedia=0&ProfileName=Ana+Mar%C3%ADa&MessageType=text&SmsSid=SM1&WaId=16505551234&SmsStatus=received&Body=Hola+%F0%9F%91%8B&To=whatsapp%3A%2B14155238886&NumSegments=1&MessageSid=SM1&AccountSid=AC1&From=whatsapp%3A%2B16505551234&ApiVersion=2010-04-01",
    );
    assert_eq!(converted.delivery_id, "twilio-SM1");
    assert_eq!(converted.kind, "message");
    assert_eq!(event["whatsAppWebhookEntry"]["id"], "AC1");
    let value = change(&event);
    assert_eq!(value["metadata"]["phone_number_id"], "14155238886");
    assert_eq!(
        value["contacts"],
        json!([{"wa_id": "16505551234", "profile": {"name": "Ana María"}}])
    );
    assert_eq!(
        value["messages"],
        json!([{"from": "16505551234", "id": "SM1", "timestamp": "1763632800", "type": "text", "text": {"body": "Hola 👋"}}])
    );
    // the inbound path reads it as an EUM event
    let envelope = crate::model::Envelope::parse(&converted.body).unwrap();
    assert_eq!(envelope.entry().unwrap().changes[0].field, "messages");
}

#[test]
fn media_location_button_and_reply_are_mapped() {
    let (_, media) = event(
        "MessageSid=MM1&From=whatsapp%3A%2B1650&To=whatsapp%3A%2B1415&Body=look&NumMedia=2&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fm0&MediaContentType0=image%2Fjpeg&MediaUrl1=https%3A%2F%2Fapi.twilio.com%2Fm1&MediaContentType1=application%2Fpdf&OriginalRepliedMessageSid=SM0&OriginalRepliedMessageSender=whatsapp%3A%2B1415",
    );
    let messages = &change(&media)["messages"];
    assert_eq!(messages[0]["id"], "MM1");
    assert_eq!(
        messages[0]["image"],
        json!({"mime_type": "image/jpeg", "url": "https://api.twilio.com/m0", "caption": "look"})
    );
    assert_eq!(messages[0]["context"], json!({"id": "SM0", "from": "1415"}));
    assert_eq!(messages[1]["id"], "MM1#1");
    assert_eq!(messages[1]["type"], "document");
    assert_eq!(messages[1]["document"]["url"], "https://api.twilio.com/m1");

    let (_, place) = event(
        "MessageSid=SM2&From=whatsapp%3A%2B1650&To=whatsapp%3A%2B1415&Body=&NumMedia=0&Latitude=37.48&Longitude=-122.14&Label=Office&Address=1+Hacker+Way",
    );
    assert_eq!(
        change(&place)["messages"][0]["location"],
        json!({"latitude": 37.48, "longitude": -122.14, "name": "Office", "address": "1 Hacker Way"})
    );

    let (_, button) = event(
        "MessageSid=SM3&From=whatsapp%3A%2B1650&To=whatsapp%3A%2B1415&Body=Yes&ButtonText=Yes&ButtonPayload=confirm-123",
    );
    assert_eq!(
        change(&button)["messages"][0]["button"],
        json!({"payload": "confirm-123", "text": "Yes"})
    );
}

#[test]
fn status_callbacks_map_to_ranked_statuses() {
    let (converted, event) = event(
        "MessageSid=SM9&MessageStatus=undelivered&SmsStatus=undelivered&ErrorCode=63016&From=whatsapp%3A%2B14155238886&To=whatsapp%3A%2B16505551234&AccountSid=AC1",
    );
    assert_eq!(converted.delivery_id, "twilio-SM9-undelivered");
    assert_eq!(converted.kind, "status");
    let value = change(&event);
    // the business is the sender of a status
    assert_eq!(value["metadata"]["phone_number_id"], "14155238886");
    let status = &value["statuses"][0];
    assert_eq!(status["status"], "failed");
    assert_eq!(status["recipient_id"], "16505551234");
    assert_eq!(status["errors"][0]["code"], 63016);
    for (twilio, ours) in [
        ("queued", "accepted"),
        ("sending", "accepted"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "read"),
        ("failed", "failed"),
    ] {
        assert_eq!(status_of(twilio), ours);
    }
}

#[test]
fn missing_or_non_whatsapp_addresses_are_refused() {
    assert_eq!(
        convert(&parse_form("From=whatsapp%3A%2B1&To=whatsapp%3A%2B2"), 0).unwrap_err(),
        TwilioError::Missing("MessageSid")
    );
    assert_eq!(
        convert(
            &parse_form("MessageSid=SM1&From=%2B15551234&To=whatsapp%3A%2B2"),
            0
        )
        .unwrap_err(),
        TwilioError::NotWhatsApp("From", "+15551234".into())
    );
}
