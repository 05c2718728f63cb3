//! Decoding one Meta inbound message object into a [`MessageItem`].

use serde_json::Value;

use crate::keys;
use crate::model::items::MessageItem;
use crate::model::parts::*;
use crate::model::states::{Direction, ItemType, MessageStatus};
use crate::time;

/// Why one element of `messages[]` cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundMessageError {
    /// No `id`: the message could be neither stored nor deduplicated.
    #[error("message has no `id`")]
    MissingId,
    /// Neither `from` nor a business-scoped user id: no conversation to thread it into.
    #[error("message {id} has neither `from` nor a business-scoped user id")]
    NoCustomer { id: String },
    /// An id that would not be one part of a key (a `#`, control characters, an odd
    /// alphabet): refused rather than escaped, since Meta's ids never hold them and an escaped
    /// key would differ from the one an action builds from the same id.
    #[error("{0}")]
    NotAnId(String),
}

/// What the message's change tells about where it belongs.
#[derive(Debug, Clone, Default)]
pub struct Arrival<'a> {
    pub phone_number_id: &'a str,
    pub display_phone_number: Option<&'a str>,
    pub waba_id: &'a str,
    pub now: &'a str,
    /// When this system learned of the message (`time::arrival`): its `arrivedAt`.
    pub arrived_at: &'a str,
}

/// The customer side of a message: wa_id (phone) and/or BSUID.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub profile_name: Option<String>,
}

impl Customer {
    /// The conversation's customer id: the wa_id when present, else the BSUID.
    pub fn id(&self) -> Option<&str> {
        self.wa_id.as_deref().or(self.user_id.as_deref())
    }
}

/// The customer of one element of `messages[]`: its `from` (wa_id) and business-scoped user id,
/// completed from the change's `contacts` (the matching contact, else the only one). The
/// conversation is `keys::conversation(phone, customer.id())`.
pub fn inbound_customer(msg: &Value, contacts: &[crate::model::webhook::Contact]) -> Customer {
    let wa_id = str_field(msg, "from");
    let user_id = str_field(msg, "from_user_id").or_else(|| str_field(msg, "user_id"));
    let contact = contacts.iter().find(|c| {
        (wa_id.is_some() && c.wa_id == wa_id) || (user_id.is_some() && c.user_id == user_id)
    });
    let contact = contact.or(if contacts.len() == 1 {
        contacts.first()
    } else {
        None
    });
    Customer {
        wa_id: wa_id.or_else(|| contact.and_then(|c| c.wa_id.clone())),
        user_id: user_id.or_else(|| contact.and_then(|c| c.user_id.clone())),
        profile_name: contact.and_then(|c| c.profile.as_ref()?.name.clone()),
    }
}

/// The message's ids that become parts of keys.
fn check_ids(id: &str, customer: &Customer) -> Result<(), String> {
    use crate::params::ids::IdKind;
    IdKind::WaMessageId.check_part("message id", id)?;
    if let Some(wa_id) = &customer.wa_id {
        IdKind::CustomerId.check_part("message `from`", wa_id)?;
    }
    if let Some(user_id) = &customer.user_id {
        IdKind::Bsuid.check_part("message user id", user_id)?;
    }
    Ok(())
}

/// Decodes one element of `messages[]`.
///
/// Every type is kept: a type this version does not model is stored with its object in `raw`.
///
/// # Errors
/// A message without `id` ([`InboundMessageError::MissingId`]), or without any customer identity
/// ([`InboundMessageError::NoCustomer`]), cannot be stored.
pub fn parse_inbound(
    msg: &Value,
    arrival: &Arrival<'_>,
    contacts: &[crate::model::webhook::Contact],
) -> Result<(MessageItem, Customer), InboundMessageError> {
    let id = str_field(msg, "id").ok_or(InboundMessageError::MissingId)?;
    let customer = inbound_customer(msg, contacts);
    check_ids(&id, &customer).map_err(InboundMessageError::NotAnId)?;
    let kind = str_field(msg, "type").unwrap_or_else(|| "unknown".to_string());
    let customer_id = customer
        .id()
        .ok_or_else(|| InboundMessageError::NoCustomer { id: id.clone() })?
        .to_string();

    let received_at = msg
        .get("timestamp")
        .and_then(time::from_meta_timestamp)
        .unwrap_or_else(|| arrival.now.to_string());
    let conversation_pk = keys::conversation(arrival.phone_number_id, &customer_id);

    let mut item = MessageItem {
        pk: keys::message(&id),
        item_type: ItemType::Message,
        wa_message_id: id,
        direction: Direction::Inbound,
        kind: Some(kind.clone()),
        from: customer.wa_id.clone().or_else(|| customer.user_id.clone()),
        from_user_id: customer.user_id.clone(),
        to: arrival
            .display_phone_number
            .map(str::to_string)
            .or_else(|| Some(arrival.phone_number_id.to_string())),
        phone_number_id: Some(arrival.phone_number_id.to_string()),
        waba_id: Some(arrival.waba_id.to_string()),
        conversation_pk: Some(conversation_pk),
        created_at: arrival.now.to_string(),
        received_at,
        arrived_at: Some(arrival.arrived_at.to_string()).filter(|a| !a.is_empty()),
        status: MessageStatus::Received,
        referral: msg.get("referral").cloned(),
        context: msg.get("context").map(parse_context),
        ..Default::default()
    };
    if let Some(err) = msg.get("errors").and_then(|e| e.get(0)) {
        item.error = serde_json::from_value::<crate::model::webhook::RawMetaError>(err.clone())
            .ok()
            .map(|e| (&e).into());
    }

    let body = msg.get(kind.as_str());
    match kind.as_str() {
        "text" => item.text = body.and_then(|b| str_field(b, "body")),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let b = body.cloned().unwrap_or_default();
            item.text = str_field(&b, "caption");
            item.media = Some(MediaPart {
                id: str_field(&b, "id"),
                mime_type: str_field(&b, "mime_type"),
                sha256: str_field(&b, "sha256"),
                filename: str_field(&b, "filename"),
                voice: b.get("voice").and_then(Value::as_bool),
                animated: b.get("animated").and_then(Value::as_bool),
                url: str_field(&b, "url"),
                ..Default::default()
            });
        }
        "location" => {
            let b = body.cloned().unwrap_or_default();
            item.location = Some(LocationPart {
                latitude: num_field(&b, "latitude").unwrap_or_default(),
                longitude: num_field(&b, "longitude").unwrap_or_default(),
                name: str_field(&b, "name"),
                address: str_field(&b, "address"),
                url: str_field(&b, "url"),
            });
            item.text = item.location.as_ref().and_then(|l| l.name.clone());
        }
        "contacts" => item.contacts = body.cloned(),
        "interactive" => item.interactive = body.map(parse_interactive),
        "button" => {
            let b = body.cloned().unwrap_or_default();
            item.button = Some(ButtonPart {
                text: str_field(&b, "text"),
                payload: str_field(&b, "payload"),
            });
            item.text = str_field(&b, "text");
        }
        "reaction" => {
            let b = body.cloned().unwrap_or_default();
            let emoji = str_field(&b, "emoji").filter(|e| !e.is_empty());
            item.reaction = Some(ReactionPart {
                message_id: str_field(&b, "message_id"),
                removed: emoji.is_none(),
                emoji,
            });
        }
        "order" => {
            let b = body.cloned().unwrap_or_default();
            let items = b.get("product_items").and_then(Value::as_array);
            item.order = Some(OrderPart {
                catalog_id: str_field(&b, "catalog_id"),
                text: str_field(&b, "text"),
                product_items: items
                    .into_iter()
                    .flatten()
                    .map(|p| OrderItem {
                        product_retailer_id: str_field(p, "product_retailer_id"),
                        quantity: num_field(p, "quantity"),
                        item_price: num_field(p, "item_price"),
                        currency: str_field(p, "currency"),
                    })
                    .collect(),
            });
            item.text = str_field(&b, "text");
        }
        "system" => {
            let b = body.cloned().unwrap_or_default();
            item.system = Some(SystemPart {
                kind: str_field(&b, "type"),
                body: str_field(&b, "body"),
                wa_id: str_field(&b, "wa_id").or_else(|| str_field(&b, "customer")),
                new_wa_id: str_field(&b, "new_wa_id"),
                user_id: str_field(&b, "user_id"),
            });
            item.text = str_field(&b, "body");
        }
        "unsupported" | "unknown" => item.raw = body.cloned(),
        // A type this version does not know: keep the whole message as Meta sent it.
        _ => item.raw = Some(msg.clone()),
    }
    Ok((item, customer))
}

fn parse_context(c: &Value) -> ContextPart {
    ContextPart {
        id: str_field(c, "id"),
        from: str_field(c, "from"),
        forwarded: c.get("forwarded").and_then(Value::as_bool).unwrap_or(false),
        frequently_forwarded: c
            .get("frequently_forwarded")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        referred_product: c.get("referred_product").cloned(),
    }
}

fn parse_interactive(b: &Value) -> InteractivePart {
    let kind = str_field(b, "type").unwrap_or_else(|| "unknown".into());
    let reply = b.get(kind.as_str()).cloned().unwrap_or_default();
    let mut part = InteractivePart {
        id: str_field(&reply, "id"),
        title: str_field(&reply, "title"),
        description: str_field(&reply, "description"),
        kind,
        ..Default::default()
    };
    if part.kind == "call_permission_reply" {
        let expiration = reply.get("expiration_timestamp").and_then(|t| match t {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        part.call_permission = Some(CallPermissionReply {
            response: str_field(&reply, "response"),
            expires_at: expiration.and_then(|t| time::from_meta_timestamp(&Value::from(t))),
            expiration_timestamp: expiration,
            is_permanent: reply.get("is_permanent").and_then(Value::as_bool),
            response_source: str_field(&reply, "response_source"),
        });
    }
    if part.kind == "nfm_reply" {
        part.flow_name = str_field(&reply, "name");
        part.flow_body = str_field(&reply, "body");
        part.flow_response = reply.get("response_json").map(|r| match r {
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| r.clone()),
            other => other.clone(),
        });
    }
    part
}

/// What a conversation list shows for a message its sender deleted, as WhatsApp does.
pub const DELETED_PREVIEW: &str = "This message was deleted";

/// A short, single-line text for conversation lists.
pub fn preview(item: &MessageItem) -> String {
    const MAX: usize = 100;
    if item.deleted_at.is_some() {
        return DELETED_PREVIEW.into();
    }
    let kind = item.kind.as_deref().unwrap_or("message");
    let text = match kind {
        "reaction" => item.reaction.as_ref().map(|r| match &r.emoji {
            Some(e) => format!("reacted {e}"),
            None => "removed a reaction".into(),
        }),
        "interactive" => item.interactive.as_ref().and_then(|i| {
            i.title.clone().or_else(|| i.flow_body.clone()).or_else(|| {
                let answer = i.call_permission.as_ref()?.response.as_deref()?;
                Some(format!("call permission: {answer}"))
            })
        }),
        _ => item.text.clone(),
    };
    let line = match (kind, text) {
        ("text" | "reaction", Some(t)) => t,
        (_, Some(t)) if !t.is_empty() => format!("[{kind}] {t}"),
        _ => format!("[{kind}]"),
    };
    let line = line.replace(['\n', '\r'], " ");
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A finite number, or a string of one: `"1e309"`, `"NaN"` and `"inf"` parse as floats that JSON
/// cannot hold (they would be stored as null, and the item would no longer decode).
fn num_field(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn arrival() -> Arrival<'static> {
        Arrival {
            phone_number_id: "106540352242922",
            display_phone_number: Some("15550783881"),
            waba_id: "102290129340398",
            now: "2026-11-20T10:00:05Z",
            arrived_at: "2026-11-20T10:00:05.250000000Z",
        }
    }

    #[test]
    fn unknown_type_is_kept_whole() {
        let msg = json!({"id":"wamid.X","from":"16505551234","timestamp":"1763632800","type":"hologram","hologram":{"x":1}});
        let (item, _) = parse_inbound(&msg, &arrival(), &[]).unwrap();
        assert_eq!(item.kind.as_deref(), Some("hologram"));
        assert_eq!(item.raw.unwrap()["hologram"]["x"], 1);
        assert_eq!(item.received_at, "2025-11-20T10:00:00Z");
    }

    /// Fuzz regression: a latitude of `"1e309"` was stored as null and the message no longer
    /// decoded (every read of it answered 500).
    #[test]
    fn numbers_json_cannot_hold_are_dropped() {
        for odd in [
            json!("1e309"),
            json!("NaN"),
            json!("-inf"),
            json!("infinity"),
        ] {
            let msg = json!({"id":"wamid.L","from":"1","timestamp":"1","type":"location","location":{"latitude": odd, "longitude": "2.5", "name": "x"}});
            let (item, _) = parse_inbound(&msg, &arrival(), &[]).unwrap();
            let location = item.location.clone().unwrap();
            assert_eq!((location.latitude, location.longitude), (0.0, 2.5), "{odd}");
            let stored = serde_json::to_value(&item).unwrap();
            serde_json::from_value::<crate::model::MessageItem>(stored).unwrap();
        }
    }

    #[test]
    fn reaction_removal_has_no_emoji() {
        let msg = json!({"id":"wamid.R","from":"1","timestamp":"1","type":"reaction","reaction":{"message_id":"wamid.A"}});
        let (item, _) = parse_inbound(&msg, &arrival(), &[]).unwrap();
        let r = item.reaction.clone().unwrap();
        assert!(r.removed && r.emoji.is_none());
        assert_eq!(preview(&item), "removed a reaction");
    }

    #[test]
    fn bsuid_only_customer_threads_by_user_id() {
        let msg = json!({"id":"wamid.B","from_user_id":"US.13491208655302741918","timestamp":"1","type":"text","text":{"body":"hi"}});
        let (item, customer) = parse_inbound(&msg, &arrival(), &[]).unwrap();
        assert_eq!(customer.id(), Some("US.13491208655302741918"));
        assert_eq!(
            item.conversation_pk.as_deref(),
            Some("CONV#106540352242922#US.13491208655302741918")
        );
    }

    #[test]
    fn message_without_identity_is_an_error() {
        let msg = json!({"id":"wamid.N","type":"text"});
        assert_eq!(
            parse_inbound(&msg, &arrival(), &[]).unwrap_err(),
            InboundMessageError::NoCustomer {
                id: "wamid.N".into()
            }
        );
        assert!(
            parse_inbound(&msg, &arrival(), &[])
                .unwrap_err()
                .to_string()
                .contains("neither")
        );
        let no_id = json!({"from":"1","type":"text"});
        assert_eq!(
            parse_inbound(&no_id, &arrival(), &[]).unwrap_err(),
            InboundMessageError::MissingId
        );
    }

    #[test]
    fn preview_is_one_short_line() {
        let item = MessageItem {
            kind: Some("text".into()),
            text: Some(format!("a\nb{}", "x".repeat(200))),
            ..Default::default()
        };
        let p = preview(&item);
        assert!(p.starts_with("a b") && p.chars().count() == 101 && !p.contains('\n'));
    }
}
