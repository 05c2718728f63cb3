//! A small builder for DynamoDB update and condition expressions: every attribute name goes
//! through a `#name` placeholder and every value through a `:vN` placeholder, and only the
//! placeholders an expression uses are sent (DynamoDB rejects unused ones).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

#[derive(Debug, Default)]
pub struct Expr {
    sets: Vec<String>,
    removes: Vec<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
    next: usize,
}

impl Expr {
    /// The placeholder of an attribute name.
    pub fn name(&mut self, attr: &str) -> String {
        let placeholder = format!(
            "#{}",
            attr.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    /// The placeholder of a value.
    pub fn value(&mut self, v: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.next);
        self.next += 1;
        self.values.insert(placeholder.clone(), v);
        placeholder
    }

    pub fn s(&mut self, v: &str) -> String {
        self.value(AttributeValue::S(v.to_string()))
    }

    /// `SET attr = v`
    pub fn set(&mut self, attr: &str, v: AttributeValue) {
        let (n, v) = (self.name(attr), self.value(v));
        self.sets.push(format!("{n} = {v}"));
    }

    /// `SET attr = v` for a string.
    pub fn set_s(&mut self, attr: &str, v: &str) {
        self.set(attr, AttributeValue::S(v.to_string()));
    }

    /// `SET attr = v` when `v` is present.
    pub fn set_opt(&mut self, attr: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.set_s(attr, v);
        }
    }

    /// `SET attr = if_not_exists(attr, v)`
    pub fn set_if_absent(&mut self, attr: &str, v: AttributeValue) {
        let (n, v) = (self.name(attr), self.value(v));
        self.sets.push(format!("{n} = if_not_exists({n}, {v})"));
    }

    /// `REMOVE attr`
    pub fn remove(&mut self, attr: &str) {
        let n = self.name(attr);
        self.removes.push(n);
    }

    /// The `UpdateExpression` made of every `set` and `remove` call.
    pub fn update_expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.sets.is_empty() {
            parts.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.removes.is_empty() {
            parts.push(format!("REMOVE {}", self.removes.join(", ")));
        }
        parts.join(" ")
    }

    pub fn names_opt(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values_opt(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_set_and_remove_with_placeholders() {
        let mut e = Expr::default();
        e.set_s("lastMessageAt", "2026");
        e.set_if_absent("createdAt", AttributeValue::S("now".into()));
        e.remove("lastReadIds");
        assert_eq!(
            e.update_expression(),
            "SET #lastMessageAt = :v0, #createdAt = if_not_exists(#createdAt, :v1) REMOVE #lastReadIds"
        );
        assert_eq!(e.names.len(), 3);
        assert_eq!(e.values.len(), 2);
    }
}
