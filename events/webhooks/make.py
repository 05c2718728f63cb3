#!/usr/bin/env python3
"""Writes the console events of direct Meta webhooks (API Gateway proxy events) in this
directory, each POST signed as Meta signs it:

    X-Hub-Signature-256: sha256=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$META_APP_SECRET")

with META_APP_SECRET=example-app-secret and META_VERIFY_TOKEN=example-verify-token (the
values tests/it/webhooks.rs configures). Run it again after changing a body:
`python3 events/webhooks/make.py`."""

import base64
import hashlib
import hmac
import json
import os

SECRET = b"example-app-secret"
TOKEN = "example-verify-token"
HERE = os.path.dirname(os.path.abspath(__file__))
WABA, PHONE, CUSTOMER = "102290129340398", "106540352242922", "16505551234"
PAGE, PSID = "109876543210987", "7301234567890123"
IG, IGSID = "17841400000000001", "5301234567890123"
T = 1795168800  # 2026-11-20T10:00:00Z


def v2(method, body=None, query=None, headers=None, base64_body=False):
    event = {
        "version": "2.0",
        "routeKey": f"{method} /webhooks/meta",
        "rawPath": "/webhooks/meta",
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", "user-agent": "facebookexternalua", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {"method": method, "path": "/webhooks/meta", "protocol": "HTTP/1.1",
                     "sourceIp": "173.252.127.1", "userAgent": "facebookexternalua"},
            "requestId": "req-webhook", "routeKey": f"{method} /webhooks/meta", "stage": "$default",
            "time": "20/Nov/2026:10:00:00 +0000", "timeEpoch": T * 1000,
        },
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    return event


def signed(payload, rest_v1=False, base64_body=False):
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    raw = body.encode()
    sig = "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    sent = base64.b64encode(raw).decode() if base64_body else body
    if rest_v1:
        return {
            "resource": "/webhooks/meta", "path": "/webhooks/meta", "httpMethod": "POST",
            "headers": {"Content-Type": "application/json", "X-Hub-Signature-256": sig},
            "multiValueHeaders": {"Content-Type": ["application/json"], "X-Hub-Signature-256": [sig]},
            "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": None, "stageVariables": None,
            "requestContext": {"accountId": "123456789012", "apiId": "abc123", "httpMethod": "POST",
                               "path": "/prod/webhooks/meta", "resourcePath": "/webhooks/meta",
                               "stage": "prod", "requestId": "req-webhook-v1",
                               "identity": {"sourceIp": "173.252.127.1"}},
            "body": sent, "isBase64Encoded": base64_body,
        }
    return v2("POST", sent, headers={"x-hub-signature-256": sig}, base64_body=base64_body)


def whatsapp(messages=None, statuses=None):
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE}}
    if messages:
        value["contacts"] = [{"profile": {"name": "Kerry Fisher"}, "wa_id": CUSTOMER}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA, "changes": [{"value": value, "field": "messages"}]}]}


def social(obj, account, events):
    return {"object": obj, "entry": [{"id": account, "time": T * 1000 + 900, "messaging": events}]}


def inbound(account, person, ms, **event):
    return {"sender": {"id": person}, "recipient": {"id": account}, "timestamp": T * 1000 + ms, **event}


def echo(account, person, ms, **event):
    return {"sender": {"id": account}, "recipient": {"id": person}, "timestamp": T * 1000 + ms, **event}


IG_MID = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTk5"
FB_MID = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"

EVENTS = {
    "meta-handshake": v2("GET", query={"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}),
    "meta-whatsapp-text": signed(whatsapp(messages=[{"from": CUSTOMER, "id": "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTdEMEZDMjQxMUI4OEVDN0VCRgA=",
                                                    "timestamp": str(T), "type": "text", "text": {"body": "Olá! Is my order on its way? 📦"}}])),
    "meta-whatsapp-status-rest-v1-base64": signed(whatsapp(statuses=[{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
                                                                     "status": "delivered", "timestamp": str(T), "recipient_id": CUSTOMER}]),
                                                  rest_v1=True, base64_body=True),
    "instagram-text": signed(social("instagram", IG, [inbound(IG, IGSID, 1, message={"mid": IG_MID + "01", "text": "Do you ship to Lisbon? 🇵🇹"})])),
    "instagram-image": signed(social("instagram", IG, [inbound(IG, IGSID, 2, message={"mid": IG_MID + "02", "attachments": [{"type": "image", "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x"}}]})])),
    "instagram-share": signed(social("instagram", IG, [inbound(IG, IGSID, 3, message={"mid": IG_MID + "03", "attachments": [{"type": "share", "payload": {"url": "https://www.instagram.com/p/Cx1/"}}]})])),
    "instagram-story-mention": signed(social("instagram", IG, [inbound(IG, IGSID, 4, message={"mid": IG_MID + "04", "attachments": [{"type": "story_mention", "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2&signature=y"}}]})])),
    "instagram-story-reply": signed(social("instagram", IG, [inbound(IG, IGSID, 5, message={"mid": IG_MID + "05", "text": "Love this look!", "reply_to": {"story": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=3&signature=z", "id": "18012345678901234"}}})])),
    "instagram-reply": signed(social("instagram", IG, [inbound(IG, IGSID, 6, message={"mid": IG_MID + "06", "text": "this one", "reply_to": {"mid": IG_MID + "01"}})])),
    "instagram-quick-reply": signed(social("instagram", IG, [inbound(IG, IGSID, 7, message={"mid": IG_MID + "07", "text": "Track my order", "quick_reply": {"payload": "TRACK_ORDER"}})])),
    "instagram-postback": signed(social("instagram", IG, [inbound(IG, IGSID, 8, postback={"mid": IG_MID + "08", "title": "Talk to a human", "payload": "HUMAN"})])),
    "instagram-reaction": signed(social("instagram", IG, [inbound(IG, IGSID, 9, reaction={"mid": IG_MID + "01", "action": "react", "reaction": "love", "emoji": "❤️"})])),
    "instagram-unreaction": signed(social("instagram", IG, [inbound(IG, IGSID, 10, reaction={"mid": IG_MID + "01", "action": "unreact"})])),
    "instagram-echo": signed(social("instagram", IG, [echo(IG, IGSID, 11, message={"mid": IG_MID + "11", "text": "Yes, we ship to Portugal.", "is_echo": True})])),
    "instagram-seen": signed(social("instagram", IG, [inbound(IG, IGSID, 12, read={"mid": IG_MID + "11"})])),
    "instagram-deleted": signed(social("instagram", IG, [inbound(IG, IGSID, 13, message={"mid": IG_MID + "03", "is_deleted": True})])),
    "messenger-text": signed(social("page", PAGE, [inbound(PAGE, PSID, 1, message={"mid": FB_MID + "01", "text": "hello, world!"})])),
    "messenger-attachments": signed(social("page", PAGE, [inbound(PAGE, PSID, 2, message={"mid": FB_MID + "02", "attachments": [
        {"type": "file", "payload": {"url": "https://cdn.fbsbx.com/v/t59/invoice.pdf"}},
        {"type": "audio", "payload": {"url": "https://cdn.fbsbx.com/v/t59/voice.mp4"}}]})])),
    "messenger-quick-reply": signed(social("page", PAGE, [inbound(PAGE, PSID, 3, message={"mid": FB_MID + "03", "text": "Red", "quick_reply": {"payload": "COLOR_RED"}})])),
    "messenger-postback": signed(social("page", PAGE, [inbound(PAGE, PSID, 4, postback={"mid": FB_MID + "04", "title": "Get Started", "payload": "GET_STARTED"})])),
    "messenger-reaction": signed(social("page", PAGE, [inbound(PAGE, PSID, 5, reaction={"mid": FB_MID + "01", "action": "react", "reaction": "like", "emoji": "👍"})])),
    "messenger-echo": signed(social("page", PAGE, [echo(PAGE, PSID, 6, message={"mid": FB_MID + "06", "text": "Thanks! An agent will answer shortly.", "is_echo": True, "app_id": 1517776481860111})])),
    "messenger-delivery": signed(social("page", PAGE, [{"sender": {"id": PSID}, "recipient": {"id": PAGE}, "delivery": {"mids": [FB_MID + "06"], "watermark": T * 1000 + 7}}])),
    "messenger-read": signed(social("page", PAGE, [inbound(PAGE, PSID, 8, read={"watermark": T * 1000 + 7})])),
}

for name, event in EVENTS.items():
    with open(os.path.join(HERE, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(event, f, ensure_ascii=False, indent=2)
        f.write("\n")
print(f"wrote {len(EVENTS)} events")
