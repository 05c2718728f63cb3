//! Local mode with no AWS: a sender that accepts every message with a generated wamid (the
//! send pipeline records it as OUTBOUND like a real send) and an in-memory media store.
//! `simulate_status` plays sent, delivered and read back through the inbound path.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;

use crate::ports::{
    FetchedMedia, MediaError, MediaObject, MediaStore, SendError, SendFailure, Sender,
};

/// See the module documentation.
pub struct SandboxSender {
    media: Arc<dyn MediaStore>,
}

/// The picture the sandbox stores for a WhatsApp media file it cannot fetch.
fn placeholder_svg(media_id: &str) -> String {
    // The id comes from a webhook: only characters that need no escaping in XML.
    let id: String = media_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .take(40)
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180"><rect width="320" height="180" rx="8" fill="#e9edef"/><g font-family="sans-serif" text-anchor="middle" fill="#3b4a54"><text x="160" y="78" font-size="16">Sandbox placeholder</text><text x="160" y="104" font-size="12">WhatsApp media {id}</text><text x="160" y="124" font-size="12">is fetched from EUM Social when deployed</text></g></svg>
"##
    )
}

impl SandboxSender {
    pub fn new(media: Arc<dyn MediaStore>) -> Self {
        SandboxSender { media }
    }

    /// A new id: the prefix and a time-ordered UUID, so ids sort by creation.
    fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}{}", uuid::Uuid::now_v7().simple())
    }
}

#[async_trait]
impl Sender for SandboxSender {
    async fn send(&self, _origination: &str, message: &Value) -> Result<Option<String>, SendError> {
        if message.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
            return Err(SendError::new(
                SendFailure::Invalid,
                "messaging_product must be whatsapp",
            ));
        }
        // A read receipt creates no message.
        if message.get("status").is_some() && message.get("type").is_none() {
            return Ok(None);
        }
        Ok(Some(self.next_id("wamid.SANDBOX")))
    }

    async fn upload_media(&self, _origination: &str, key: &str) -> Result<String, SendError> {
        match self.media.head(key).await {
            Ok(Some(_)) => Ok(self.next_id("sandbox-media-")),
            Ok(None) => Err(SendError::new(
                SendFailure::NotFound,
                format!("no media object `{key}` to upload"),
            )),
            Err(e) => Err(SendError::new(SendFailure::Failed, e.to_string()).with_source(e)),
        }
    }

    async fn fetch_media(
        &self,
        _origination: &str,
        media_id: &str,
        key_prefix: &str,
    ) -> Result<FetchedMedia, SendError> {
        // The sandbox cannot reach WhatsApp's media: it stores a labelled placeholder picture
        // so the rest of the path (keys, items, URLs, the inbox page) behaves as it will with
        // EUM Social, and a person sees that the file itself stayed at WhatsApp.
        let bytes = placeholder_svg(media_id).into_bytes();
        let size = bytes.len() as u64;
        self.media
            .put(
                &format!("{key_prefix}{media_id}.svg"),
                bytes,
                "image/svg+xml",
            )
            .await
            .map_err(|e| SendError::new(SendFailure::Failed, e.to_string()).with_source(e))?;
        Ok(FetchedMedia {
            mime_type: Some("image/svg+xml".into()),
            size: Some(size),
        })
    }

    async fn delete_media(&self, _origination: &str, _media_id: &str) -> Result<(), SendError> {
        Ok(())
    }

    fn is_sandbox(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        "sandbox".into()
    }
}

/// Media kept in memory (tests, and local mode without a data directory).
#[derive(Default)]
pub struct MemoryMedia {
    objects: Mutex<BTreeMap<String, (Vec<u8>, String)>>,
}

impl MemoryMedia {
    /// The bytes of an object (tests).
    pub fn bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.lock().ok()?.get(key).map(|(b, _)| b.clone())
    }
}

#[async_trait]
impl MediaStore for MemoryMedia {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<MediaObject, MediaError> {
        let size = bytes.len() as u64;
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_string(), (bytes, content_type.to_string()));
        Ok(MediaObject {
            key: key.to_string(),
            size: Some(size),
            content_type: Some(content_type.to_string()),
        })
    }

    async fn find(&self, prefix: &str) -> Result<Option<MediaObject>, MediaError> {
        let objects = self
            .objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(objects
            .range(prefix.to_string()..)
            .next()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, (b, t))| MediaObject {
                key: k.clone(),
                size: Some(b.len() as u64),
                content_type: Some(t.clone()),
            }))
    }

    async fn head(&self, key: &str) -> Result<Option<MediaObject>, MediaError> {
        let objects = self
            .objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(objects.get(key).map(|(b, t)| MediaObject {
            key: key.to_string(),
            size: Some(b.len() as u64),
            content_type: Some(t.clone()),
        }))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, MediaError> {
        Ok(self.bytes(key))
    }

    async fn presign_get(&self, key: &str, _expires_secs: u64) -> Result<String, MediaError> {
        Ok(format!("memory://{key}"))
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        if let Ok(mut objects) = self.objects.lock() {
            objects.remove(key);
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}
