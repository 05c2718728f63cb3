//! Meta's amount objects (`{"value": 21000, "offset": 100}` is 210.00) and the sums an
//! `order_details` message must satisfy: the subtotal is the sum of the items (sale amount when
//! given, times quantity), and the total is subtotal + tax + shipping − discount.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::HandlerError;

/// Meta's only accepted offset: amounts are in hundredths of the currency unit.
pub const OFFSET: i64 = 100;

/// An amount as Meta writes it: `value / offset` units of the currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Amount {
    /// The amount times the offset, an integer (21000 with offset 100 is 210.00).
    pub value: i64,
    /// Must be 100.
    #[serde(default = "offset")]
    pub offset: i64,
    /// Optional text shown with it (tax, shipping, discount); we accept at most 60 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn offset() -> i64 {
    OFFSET
}

impl Amount {
    /// Checks the amount: a non-negative value and Meta's offset.
    ///
    /// # Errors
    /// 400 naming `field`.
    pub fn check(&self, field: &str) -> Result<(), HandlerError> {
        if self.value < 0 {
            return Err(HandlerError::invalid(
                &format!("{field}.value"),
                "must not be negative",
            ));
        }
        if let Some(d) = &self.description {
            crate::params::check_len(&format!("{field}.description"), d, 60)?;
        }
        if self.offset != OFFSET {
            return Err(HandlerError::invalid(
                &format!("{field}.offset"),
                format!("is {}; WhatsApp accepts only {OFFSET}", self.offset),
            ));
        }
        Ok(())
    }

    /// Meta's JSON, with the description when there is one.
    pub fn json(&self) -> Value {
        let mut v = json!({"value": self.value, "offset": self.offset});
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        v
    }
}

/// Checks `given` equals `expected`, saying how it was computed.
///
/// # Errors
/// 400 naming `field`, with both amounts.
pub fn check_sum(field: &str, given: i64, expected: i64, how: &str) -> Result<(), HandlerError> {
    if given != expected {
        return Err(HandlerError::invalid(
            field,
            format!("is {given}; WhatsApp requires {how} = {expected}"),
        ));
    }
    Ok(())
}

/// The sum of `price × quantity` in the smallest unit, refusing an overflow.
///
/// # Errors
/// 400 naming `field` when the sum overflows.
pub fn line_total(field: &str, price: i64, quantity: i64) -> Result<i64, HandlerError> {
    price
        .checked_mul(quantity)
        .ok_or_else(|| HandlerError::invalid(field, "the amount times the quantity is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_metas_offset() {
        let ok = Amount {
            value: 21000,
            offset: 100,
            description: Some("GST".into()),
        };
        ok.check("totalAmount").unwrap();
        assert_eq!(
            ok.json(),
            json!({"value": 21000, "offset": 100, "description": "GST"})
        );
        let err = Amount {
            value: 1,
            offset: 1000,
            description: None,
        }
        .check("order.tax")
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `order.tax.offset`: is 1000; WhatsApp accepts only 100"
        );
        let err = Amount {
            value: -1,
            offset: 100,
            description: None,
        }
        .check("totalAmount")
        .unwrap_err();
        assert!(err.to_string().contains("`totalAmount.value`"), "{err}");
        assert!(line_total("x", i64::MAX, 2).is_err());
        assert!(check_sum("totalAmount", 5, 6, "a + b").is_err());
    }
}
