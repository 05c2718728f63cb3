//! [`crate::store::Transition`] as a plain function: the embedded store applies it; the DynamoDB
//! store expresses the same condition and `ADD` in a `TransactWriteItems`.

use serde_json::{Map, Value};

use crate::store::Transition;

/// True when `item` holds every expected value (`null`: the attribute is absent).
pub fn holds(item: &Map<String, Value>, expect: &Map<String, Value>) -> bool {
    expect
        .iter()
        .all(|(name, want)| match (item.get(name), want) {
            (None, Value::Null) => true,
            (Some(have), want) => same(have, want),
            (None, _) => false,
        })
}

/// Equality as DynamoDB compares: numbers by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The item after `t`, or `None` when it does not exist or the condition fails.
pub fn apply(item: Option<Value>, t: &Transition) -> Option<Value> {
    let Some(Value::Object(mut map)) = item else {
        return None;
    };
    if !holds(&map, &t.expect) {
        return None;
    }
    for (name, value) in &t.set {
        if name != crate::keys::PK {
            map.insert(name.clone(), value.clone());
        }
    }
    for name in &t.remove {
        map.remove(name);
    }
    Some(Value::Object(map))
}

/// The counter item `pk` after adding `add` (absent attributes count from 0).
pub fn add_counters(item: Option<Value>, pk: &str, add: &[(String, i64)]) -> Value {
    let mut map = match item {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.insert(crate::keys::PK.into(), Value::String(pk.to_string()));
    for (name, delta) in add {
        let now = map.get(name).and_then(Value::as_i64).unwrap_or(0) + delta;
        map.insert(name.clone(), Value::from(now));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(expect: Value, set: Value) -> Transition {
        Transition {
            pk: "X".into(),
            expect: expect.as_object().cloned().unwrap(),
            set: set.as_object().cloned().unwrap(),
            remove: vec!["lease".into()],
            ..Default::default()
        }
    }

    #[test]
    fn applies_only_when_every_expectation_holds() {
        let item = json!({"pk": "X", "state": "pending", "try": 1, "lease": 5});
        let change = t(
            json!({"state": "pending", "try": 1.0, "done": null}),
            json!({"state": "sent"}),
        );
        assert_eq!(
            apply(Some(item.clone()), &change),
            Some(json!({"pk": "X", "state": "sent", "try": 1}))
        );
        let stale = t(json!({"state": "sending"}), json!({"state": "sent"}));
        assert_eq!(apply(Some(item.clone()), &stale), None);
        let absent = t(json!({"done": true}), json!({}));
        assert_eq!(apply(Some(item), &absent), None);
        assert_eq!(apply(None, &change), None);
    }

    #[test]
    fn counters_add_from_zero() {
        let adds = vec![("sent".to_string(), 1), ("failed".to_string(), 2)];
        let one = add_counters(None, "C", &adds);
        assert_eq!(one, json!({"pk": "C", "sent": 1, "failed": 2}));
        assert_eq!(add_counters(Some(one), "C", &adds)["failed"], 4);
    }
}
