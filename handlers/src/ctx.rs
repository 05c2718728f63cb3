//! The request context every action and the inbound path share: the store, the outbound ports
//! and the settings. It lives apart from the registry so that code which needs the context does
//! not depend on the action map.

use std::sync::Arc;

use crate::error::HandlerError;
use crate::ports::templates::TemplatesApi;
use crate::ports::{MediaStore, Sender};
use crate::store::Store;

/// What every action can use: the store, the ports and the core settings. Cheap to clone.
#[derive(Clone)]
pub struct Ctx(Arc<App>);

#[derive(Clone)]
struct App {
    store: Arc<dyn Store>,
    sender: Arc<dyn Sender>,
    media: Arc<dyn MediaStore>,
    settings: Settings,
    /// Templates and flows through EUM Social (the in-memory sandbox unless set).
    templates: Arc<dyn TemplatesApi>,
    platform: Platform,
    /// The webhook routes' settings and the fast-ack queue (`with_ingress`).
    ingress: crate::ingress::Ingress,
    /// Live updates to deployed pages (`LIVE_SOCKET_URL`); none locally and when not configured.
    live: Option<Arc<dyn crate::ports::live::LiveFeed>>,
    /// Campaigns' work queue, clock and settings (issue 9).
    campaigns: crate::campaigns::Runtime,
}

/// The account port, the notifier and their settings (`with_platform`).
#[derive(Clone)]
pub struct Platform {
    /// EUM Social's account operations; [`crate::ports::account::LocalAccount`] in local mode.
    pub account: Arc<dyn crate::ports::account::AccountApi>,
    /// Where notifications go (`NOTIFY_TOPIC_ARN`); none when not configured.
    pub notifier: Option<Arc<dyn crate::ports::notify::Notifier>>,
    /// `NOTIFY_INBOUND_MESSAGES`: also notify every new inbound message.
    pub notify_inbound: bool,
    /// `DEFAULT_WABA_ID`: the WABA (Meta id or EUM `waba-…`) account actions use by default.
    pub default_waba_id: Option<String>,
    /// EUM ids of WABAs named by Meta id, found once in the linked accounts and kept for the
    /// life of the context (a Lambda execution environment, a `serve`), shared by its clones.
    pub resolved_wabas: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            account: Arc::new(crate::ports::account::LocalAccount),
            notifier: None,
            notify_inbound: false,
            default_waba_id: None,
            resolved_wabas: Arc::default(),
        }
    }
}

/// Settings the core needs (read from the environment by the binary).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The business phone (Meta's phone number id) used when a request names none.
    pub default_phone_number_id: Option<String>,
    /// The EUM Social phone (`phone-number-id-...` or its ARN) sends go from by default.
    pub origination_phone_number_id: Option<String>,
    /// Meta phone number id → EUM origination id, for businesses with several numbers.
    pub phone_numbers: Vec<(String, String)>,
    /// Meta Cloud API version passed to `SendWhatsAppMessage`.
    pub meta_api_version: String,
    /// Copy inbound media into the media store as it arrives.
    pub auto_download_media: bool,
    pub inbound: InboundSettings,
    /// `DEFAULT_WABA_ID`: the WhatsApp Business Account (Meta's id or EUM's `waba-…`) template
    /// and flow actions use when a request names none.
    pub default_waba_id: Option<String>,
    /// The secrets of direct Meta webhooks (`META_VERIFY_TOKEN`, `META_APP_SECRET`,
    /// `META_REPLAY_WINDOW_SECS`), resolved at init; see [`crate::webhooks`].
    pub meta_webhooks: crate::webhooks::MetaWebhookKeys,
}

/// How the inbound path treats records.
#[derive(Debug, Clone)]
pub struct InboundSettings {
    /// How long audit items are kept before DynamoDB's TTL removes them.
    pub audit_ttl_days: i64,
    /// `ALLOWED_WABA_IDS`: when not empty, a record naming any other WABA is refused as poison.
    pub allowed_waba_ids: Vec<String>,
    /// `ALLOWED_PHONE_NUMBER_IDS`: when not empty, a record naming any other business phone
    /// (Meta phone number id) is refused as poison.
    pub allowed_phone_number_ids: Vec<String>,
    /// `INBOUND_CONCURRENCY`: how many groups of records of one invocation (records of one
    /// conversation or message form a group, processed in delivery order) run at once.
    pub concurrency: usize,
    /// `AUDIT_PROCESSED_RECORDS`: also write the audit item of a record processed completely.
    /// Failed and partial records are always audited, with their whole body.
    pub audit_processed_records: bool,
    /// `KEEP_DELETED_CONTENT`: a message its sender deleted keeps its content (marked deleted)
    /// instead of losing it as it does on the customer's phone. For compliance archives.
    pub keep_deleted_content: bool,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            audit_ttl_days: 30,
            allowed_waba_ids: Vec::new(),
            allowed_phone_number_ids: Vec::new(),
            concurrency: crate::inbound::DEFAULT_CONCURRENCY,
            audit_processed_records: false,
            keep_deleted_content: false,
        }
    }
}

/// The Meta Cloud API version used when none is configured.
pub const DEFAULT_META_API_VERSION: &str = "v24.0";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_phone_number_id: None,
            origination_phone_number_id: None,
            phone_numbers: Vec::new(),
            meta_api_version: DEFAULT_META_API_VERSION.into(),
            auto_download_media: true,
            inbound: InboundSettings::default(),
            default_waba_id: None,
            meta_webhooks: crate::webhooks::MetaWebhookKeys::default(),
        }
    }
}

impl Ctx {
    /// A context with the local sandbox sender and an in-memory media store.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        let media: Arc<dyn MediaStore> = Arc::new(crate::sandbox::MemoryMedia::default());
        let sender = Arc::new(crate::sandbox::SandboxSender::new(media.clone()));
        Self::with(store, sender, media, settings)
    }

    pub fn with(
        store: Arc<dyn Store>,
        sender: Arc<dyn Sender>,
        media: Arc<dyn MediaStore>,
        settings: Settings,
    ) -> Self {
        Ctx(Arc::new(App {
            store,
            sender,
            media,
            settings,
            templates: Arc::new(crate::sandbox_templates::SandboxTemplates::default()),
            platform: Platform::default(),
            ingress: crate::ingress::Ingress::default(),
            live: None,
            campaigns: crate::campaigns::Runtime::default(),
        }))
    }

    /// The same context with `templates` as its templates and flows port.
    #[must_use]
    pub fn with_templates(self, templates: Arc<dyn TemplatesApi>) -> Self {
        self.changed(|app| app.templates = templates)
    }

    /// The same context with the account port and notifier given.
    #[must_use]
    pub fn with_platform(self, platform: Platform) -> Self {
        self.changed(|app| app.platform = platform)
    }

    /// The same context with the webhook routes' settings and queue given.
    #[must_use]
    pub fn with_ingress(self, ingress: crate::ingress::Ingress) -> Self {
        self.changed(|app| app.ingress = ingress)
    }

    /// The same context with `live` telling deployed pages what changed.
    #[must_use]
    pub fn with_live(self, live: Arc<dyn crate::ports::live::LiveFeed>) -> Self {
        self.changed(|app| app.live = Some(live))
    }

    /// The same context with `media` as its media store (the sender keeps the one it has).
    #[must_use]
    pub fn with_media(self, media: Arc<dyn MediaStore>) -> Self {
        self.changed(|app| app.media = media)
    }

    /// The media store, shared (to wrap it, [`Ctx::with_media`]).
    pub fn media_handle(&self) -> Arc<dyn MediaStore> {
        self.0.media.clone()
    }

    /// The live-updates port, when the WebSocket API is configured.
    pub fn live(&self) -> Option<&dyn crate::ports::live::LiveFeed> {
        self.0.live.as_deref()
    }

    /// A copy of this context with one part changed (the `with_*` methods).
    fn changed(self, change: impl FnOnce(&mut App)) -> Self {
        let mut app = (*self.0).clone();
        change(&mut app);
        Ctx(Arc::new(app))
    }

    /// The webhook routes' settings and the fast-ack queue.
    pub fn ingress(&self) -> &crate::ingress::Ingress {
        &self.0.ingress
    }

    /// The same context with campaigns' work queue, clock and settings.
    #[must_use]
    pub fn with_campaigns(self, campaigns: crate::campaigns::Runtime) -> Self {
        self.changed(|app| app.campaigns = campaigns)
    }

    /// Campaigns' work queue, clock and settings.
    pub fn campaigns(&self) -> &crate::campaigns::Runtime {
        &self.0.campaigns
    }

    /// EUM Social's template and flow operations.
    pub fn templates(&self) -> &dyn TemplatesApi {
        self.0.templates.as_ref()
    }

    /// The account port, the notifier and their settings.
    pub fn platform(&self) -> &Platform {
        &self.0.platform
    }

    pub fn store(&self) -> &dyn Store {
        self.0.store.as_ref()
    }

    pub fn sender(&self) -> &dyn Sender {
        self.0.sender.as_ref()
    }

    pub fn media(&self) -> &dyn MediaStore {
        self.0.media.as_ref()
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub fn default_phone(&self) -> Option<&str> {
        self.0.settings.default_phone_number_id.as_deref()
    }

    /// The EUM origination id for a Meta phone number id, when one can be found: the
    /// configured mapping, else the default origination (the sandbox needs no real phone).
    pub fn origination_for(&self, meta_phone: Option<&str>) -> Option<String> {
        let settings = &self.0.settings;
        meta_phone
            .and_then(|p| settings.phone_numbers.iter().find(|(meta, _)| meta == p))
            .map(|(_, origination)| origination.clone())
            .or_else(|| settings.origination_phone_number_id.clone())
            // The Graph API sender sends from the Meta phone number id itself.
            .or_else(|| {
                meta_phone
                    .filter(|_| self.0.sender.addresses_meta_ids())
                    .map(str::to_string)
            })
            .or_else(|| self.0.sender.is_sandbox().then(|| "sandbox".to_string()))
    }

    /// The EUM origination phone a request goes from: the one the caller gave, else the one
    /// configured for `meta_phone`, else the default.
    ///
    /// # Errors
    /// [`HandlerError::MissingParam`] naming `originationPhoneNumberId` when none is given or
    /// configured.
    pub fn origination(
        &self,
        given: Option<&str>,
        meta_phone: Option<&str>,
    ) -> Result<String, HandlerError> {
        given
            .filter(|o| !o.trim().is_empty())
            .map(str::to_string)
            .or_else(|| self.origination_for(meta_phone))
            .ok_or_else(|| {
                HandlerError::MissingParam(
                    "originationPhoneNumberId (no ORIGINATION_PHONE_NUMBER_ID is configured)"
                        .into(),
                )
            })
    }
}
