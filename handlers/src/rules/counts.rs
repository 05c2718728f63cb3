//! The rules of the analytics counters and of leases (automation cooldowns), applied by the
//! embedded store; the DynamoDB store writes the same rules as update and condition
//! expressions (`src/store/dynamodb/counts.rs`).

use serde_json::{Map, Value};

use crate::model::attr;
use crate::store::{Lease, lease};

/// The item `pk` after [`crate::store::Store::add_counts`]: every count added to its number
/// (absent = 0), every attribute of `set` written (`createdAt` only when absent).
pub fn add_counts(
    existing: Option<Value>,
    pk: &str,
    set: &Value,
    counts: &[(String, i64)],
) -> Value {
    let mut item = match existing {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    item.insert(crate::keys::PK.into(), Value::String(pk.to_string()));
    for (name, value) in set.as_object().into_iter().flatten() {
        if name == attr::CREATED_AT && item.contains_key(attr::CREATED_AT) {
            continue;
        }
        item.insert(name.clone(), value.clone());
    }
    for (name, n) in counts {
        let old = item.get(name).and_then(Value::as_i64).unwrap_or(0);
        item.insert(name.clone(), Value::from(old + n));
    }
    Value::Object(item)
}

/// True when `lease` may be written over `existing`: nothing there, a claim that has run out
/// (`until <= now`), or the same holder's.
pub fn lease_allows(existing: Option<&Value>, lease: &Lease) -> bool {
    let Some(old) = existing else {
        return true;
    };
    let expired = old
        .get(lease::UNTIL)
        .and_then(Value::as_i64)
        .is_none_or(|until| until <= lease.now);
    let same = old.get(lease::HOLDER).and_then(Value::as_str) == Some(lease.holder.as_str());
    expired || same
}

/// The item a granted `lease` writes.
pub fn lease_item(lease: &Lease) -> Value {
    let mut item = match &lease.attrs {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    item.insert(crate::keys::PK.into(), Value::String(lease.pk.clone()));
    item.insert(lease::HOLDER.into(), Value::String(lease.holder.clone()));
    item.insert(lease::UNTIL.into(), Value::from(lease.until));
    Value::Object(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_add_and_created_at_stays() {
        let one = add_counts(None, "A#1", &json!({"createdAt": "t1"}), &[("x".into(), 2)]);
        let two = add_counts(
            Some(one),
            "A#1",
            &json!({"createdAt": "t2"}),
            &[("x".into(), 3), ("y".into(), 1)],
        );
        assert_eq!(two, json!({"pk": "A#1", "createdAt": "t1", "x": 5, "y": 1}));
    }

    #[test]
    fn a_lease_is_granted_when_absent_expired_or_held_by_the_same_holder() {
        let lease = Lease {
            pk: "L".into(),
            holder: "w2".into(),
            now: 100,
            until: 160,
            attrs: json!({}),
        };
        assert!(lease_allows(None, &lease));
        assert!(!lease_allows(
            Some(&json!({"holder": "w1", "until": 101})),
            &lease
        ));
        assert!(lease_allows(
            Some(&json!({"holder": "w1", "until": 100})),
            &lease
        ));
        assert!(lease_allows(
            Some(&json!({"holder": "w2", "until": 150})),
            &lease
        ));
        assert_eq!(
            lease_item(&lease),
            json!({"pk": "L", "holder": "w2", "until": 160})
        );
    }
}
