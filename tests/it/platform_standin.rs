//! What the EUM Social stand-in answers for the account operations (linked WABAs and phones,
//! event destinations, call settings and permissions, call events, datasets, conversion events),
//! shaped as aws-sdk-socialmessaging 1.81 reads them.

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::WABA;

/// The stand-in's linked WABA and its phone (another phone than the configured default).
pub const EUM_WABA: &str = "waba-fb2594b8a7974770b128a409e2a1c0d3";
pub const PHONE2: &str = "114503234599312";
pub const PHONE2_EUM: &str = "phone-number-id-7f3c1e9a0b2d4c6e8f1a3b5c7d9e0f12";
pub const PHONE2_ARN: &str = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/7f3c1e9a0b2d4c6e8f1a3b5c7d9e0f12";

pub fn query_id(query: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn phone_summary() -> Value {
    json!({
        "arn": PHONE2_ARN, "phoneNumber": "+15550102233", "phoneNumberId": PHONE2_EUM,
        "metaPhoneNumberId": PHONE2, "displayPhoneNumberName": "Lucky Shrub",
        "displayPhoneNumber": "+1 555-010-2233", "qualityRating": "GREEN"
    })
}

fn account(id: &str) -> Value {
    let second = id != EUM_WABA;
    json!({
        "arn": format!("arn:aws:social-messaging:us-east-1:123456789012:waba/{}", id.trim_start_matches("waba-")),
        "id": id,
        "wabaId": if second { "390273918264511" } else { WABA },
        "registrationStatus": "COMPLETE",
        "linkDate": 1763600000,
        "wabaName": if second { "Lucky Shrub Test" } else { "Lucky Shrub" },
        "eventDestinations": [{"eventDestinationArn": "arn:aws:sns:us-east-1:123456789012:eum-whatsapp-events"}],
        "marketingMessagesOnboardingStatus": "ONBOARDED",
        "datasetId": if second { Value::Null } else { json!("1234567890123456") },
        "phoneNumbers": if second { json!([]) } else { json!([phone_summary()]) },
    })
}

/// What the stand-in answers for the account operations, as EUM Social would.
pub fn standin_answer(method: &str, path: &str, query: &str, body: &Value) -> Value {
    match (method, path) {
        ("GET", "/v1/whatsapp/waba/list") if query.contains("nextToken=page-2") => {
            let mut a = account("waba-0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f");
            a.as_object_mut().unwrap().remove("phoneNumbers");
            json!({"linkedAccounts": [a]})
        }
        ("GET", "/v1/whatsapp/waba/list") => {
            let mut a = account(EUM_WABA);
            a.as_object_mut().unwrap().remove("phoneNumbers");
            json!({"linkedAccounts": [a], "nextToken": "page-2"})
        }
        ("GET", "/v1/whatsapp/waba/details") => json!({"account": account(&query_id(query))}),
        ("GET", "/v1/whatsapp/waba/phone/details") => json!({
            "phoneNumber": phone_summary(),
            "linkedWhatsAppBusinessAccountId": EUM_WABA,
            "callSettings": {"callEnabled": true, "callIconVisibility": "DEFAULT", "callbackPermissionStatus": "ENABLED",
                "callHours": {"enabled": true, "timezone": "America/Los_Angeles",
                    "weeklyOperatingHours": [{"dayOfWeek": "MONDAY", "openTime": {"hours": 9, "minutes": 0}, "closeTime": {"hours": 17, "minutes": 30}}]}}
        }),
        ("PUT", "/v1/whatsapp/waba/eventdestinations") => json!({}),
        ("PUT", "/v1/whatsapp/waba/phone") => json!({"phoneNumberId": query_id(query)}),
        ("POST", "/v1/whatsapp/call/event") => {
            let event = blob(&body["callEvent"]);
            json!({"callId": event["call_id"].as_str().unwrap_or("wacid.HBgLMTY1MDU1NTEyMzQVAgARGBJTVEFORElOQ0FMTAA")})
        }
        ("POST", "/v1/whatsapp/call/permission/get") => json!({
            "permission": {"status": "granted", "expirationTime": 1764201600},
            "actions": [{"actionName": "start_call", "canPerformAction": true,
                "limits": [{"timePeriod": "PT24H", "maxAllowed": 5, "currentUsage": 1}]}]
        }),
        ("POST", "/v1/whatsapp/waba/dataset") => json!({"datasetId": "1234567890123456"}),
        ("POST", "/v1/whatsapp/waba/dataset/events") => {
            json!({"requestId": "4f6c1d2e-8a9b-4c3d-9e0f-1a2b3c4d5e6f"})
        }
        _ => json!({}),
    }
}

/// A base64 JSON blob of a request, decoded.
pub fn blob(v: &Value) -> Value {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap_or_default())
        .unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}
