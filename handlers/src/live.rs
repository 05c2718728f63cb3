//! Live updates for deployed pages, through the API Gateway WebSocket API.
//!
//! A page asks for a ticket with the `create_live_ticket` action (through the HTTP API, so with
//! the same JWT or IAM identity as every other action) and opens `wss://…?ticket=…`. The
//! `$connect` route's authorizer (this function) consumes the ticket: it opens exactly one
//! connection, within [`TICKET_SECONDS`]. The connection is then an item that lives at most as
//! long as API Gateway keeps a connection open ([`CONNECTION_SECONDS`]); the inbound path and the
//! changing actions push to the connections of the phone they touched.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::keys::{self, item_type};
use crate::store::{Store, StoreError};
use crate::time;

/// How long a ticket can open a connection.
pub const TICKET_SECONDS: i64 = 60;

/// API Gateway closes a WebSocket connection after 2 hours: its item expires then.
pub const CONNECTION_SECONDS: i64 = 2 * 60 * 60;

/// What a page follows: one business phone, or every phone.
pub const EVERY_PHONE: &str = "*";

/// A fresh ticket (122 random bits) for `phone` (a Meta phone number id or [`EVERY_PHONE`]).
pub fn ticket_item(ticket: &str, phone: &str, now: DateTime<Utc>) -> Value {
    let expires = now + Duration::seconds(TICKET_SECONDS);
    json!({
        "pk": keys::live_ticket(ticket),
        "itemType": "LIVE_TICKET",
        "phoneNumberId": phone,
        "createdAt": time::iso(now),
        "expiresAt": time::iso(expires),
        "ttl": expires.timestamp(),
    })
}

/// A new random ticket.
pub fn new_ticket() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Consumes a ticket: the phone it was issued for, when it existed and had not expired. A
/// ticket opens one connection: a second use finds nothing.
///
/// # Errors
/// The store's.
pub async fn redeem(
    store: &dyn Store,
    ticket: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    if ticket.is_empty() || ticket.len() > 64 || !ticket.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Ok(None);
    }
    let Some(item) = store.take_record(&keys::live_ticket(ticket)).await? else {
        return Ok(None);
    };
    let fresh = item["expiresAt"]
        .as_str()
        .and_then(time::parse_iso)
        .is_some_and(|expires| now <= expires);
    Ok(fresh
        .then(|| item["phoneNumberId"].as_str().map(str::to_string))
        .flatten())
}

/// The item of an open connection following `phone`.
pub fn connection_item(connection_id: &str, phone: &str, now: DateTime<Utc>) -> Value {
    json!({
        "pk": keys::live_connection(connection_id),
        "itemType": "LIVE_CONNECTION",
        "itemTypePk": item_type::live_connections(phone),
        "connectionId": connection_id,
        "phoneNumberId": phone,
        "createdAt": time::iso(now),
        "ttl": (now + Duration::seconds(CONNECTION_SECONDS)).timestamp(),
    })
}

/// The `gsi-itemType` partitions to push to for a change of `phones`: each phone's followers
/// and those of every phone, each once.
pub fn audiences(phones: &[String]) -> Vec<String> {
    let mut out: Vec<String> = phones
        .iter()
        .filter(|p| !p.is_empty() && p.as_str() != EVERY_PHONE)
        .map(|p| item_type::live_connections(p))
        .collect();
    out.sort();
    out.dedup();
    out.push(item_type::live_connections(EVERY_PHONE));
    out
}

/// A connection item still within its lifetime (DynamoDB deletes expired items late).
pub fn is_current(item: &Value, now: DateTime<Utc>) -> bool {
    item["ttl"]
        .as_i64()
        .is_some_and(|ttl| ttl > now.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_are_each_phone_once_then_every_phone() {
        let phones = vec![
            "2".to_string(),
            "1".into(),
            "2".into(),
            "*".into(),
            String::new(),
        ];
        assert_eq!(audiences(&phones), ["LIVE#1", "LIVE#2", "LIVE#*"]);
        assert_eq!(audiences(&[]), ["LIVE#*"]);
    }

    #[test]
    fn a_ticket_expires_and_a_connection_lives_two_hours() {
        let now = Utc::now();
        let t = ticket_item("abc", "*", now);
        assert_eq!(t["ttl"], (now + Duration::seconds(60)).timestamp());
        let c = connection_item("id=", "123", now);
        assert_eq!(c["itemTypePk"], "LIVE#123");
        assert!(is_current(&c, now));
        assert!(!is_current(&c, now + Duration::seconds(CONNECTION_SECONDS)));
        assert_eq!(new_ticket().len(), 32);
    }
}
