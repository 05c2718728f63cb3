//! What the webhook routes need (Twilio, the shops, the fast-ack queue): their settings and the
//! queue port, kept in the [`crate::Ctx`] (`Ctx::with_ingress`). Read from the environment by
//! the root crate (`src/config.rs`, `src/intake/webhooks/`).

use std::fmt;
use std::sync::Arc;

use crate::ports::queue::{MemoryQueue, WebhookQueue};

/// The order-confirmation template a shop's new order sends to the buyer's WhatsApp.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTemplate {
    /// `ORDER_CONFIRMATION_TEMPLATE`.
    pub name: String,
    /// `ORDER_CONFIRMATION_LANGUAGE` (default `en_US`).
    pub language: String,
    /// `ORDER_CONFIRMATION_PARAMS`: the body parameters in order, each one of `buyerName`,
    /// `orderNumber`, `total`, `orderId` (default `buyerName,orderNumber,total`).
    pub params: Vec<String>,
}

/// The default body parameters of the order confirmation.
pub const DEFAULT_ORDER_PARAMS: &str = "buyerName,orderNumber,total";

/// Settings of the webhook routes.
#[derive(Clone, Default)]
pub struct IngressSettings {
    /// `TWILIO_AUTH_TOKEN` (comma-separated for rotation): verifies `X-Twilio-Signature`.
    pub twilio_auth_tokens: Vec<String>,
    /// `WEBHOOK_BASE_URL`: the public URL the webhook routes are reached under
    /// (`https://api.example.com/prod`), when the request cannot tell it (a proxy, a custom
    /// domain with a base path). Twilio signs the exact URL it called.
    pub public_base_url: Option<String>,
    /// `WIX_PUBLIC_KEY` (PEM, several separated by blank lines for rotation): verifies Wix's JWT.
    pub wix_public_keys: Vec<String>,
    pub order_template: Option<OrderTemplate>,
    /// `FAST_ACK_QUEUE_URL` is set: verified webhooks go to the queue and are answered at once.
    pub fast_ack: bool,
    /// `FAST_ACK_MAX_RECEIVES`: the queue's `maxReceiveCount` (after it, SQS moves the message to
    /// the DLQ); the consumer records why on the last attempt.
    pub max_receives: u32,
}

impl fmt::Debug for IngressSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IngressSettings")
            .field(
                "twilio_auth_tokens",
                &format!("<{} redacted>", self.twilio_auth_tokens.len()),
            )
            .field("public_base_url", &self.public_base_url)
            .field("wix_public_keys", &self.wix_public_keys.len())
            .field("order_template", &self.order_template)
            .field("fast_ack", &self.fast_ack)
            .field("max_receives", &self.max_receives)
            .finish()
    }
}

/// The queue port and the settings, cheap to clone.
#[derive(Clone)]
pub struct Ingress {
    pub queue: Arc<dyn WebhookQueue>,
    pub settings: Arc<IngressSettings>,
}

/// The default `FAST_ACK_MAX_RECEIVES` (and the template's default `FastAckMaxReceives`).
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

impl Default for Ingress {
    fn default() -> Self {
        Ingress {
            queue: Arc::new(MemoryQueue::default()),
            settings: Arc::new(IngressSettings {
                max_receives: DEFAULT_MAX_RECEIVES,
                ..Default::default()
            }),
        }
    }
}
