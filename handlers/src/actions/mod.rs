//! One action, one file. Each file holds `NAME`, typed `Params`/`Output`, a typed `run`, and the
//! `SPEC` the registry stores. To add an action, add its file and one line to [`ALL`].

pub mod archive_conversation;
mod campaign_common;
pub mod cancel_campaign;
pub mod create_automation;
pub mod create_campaign;
pub mod create_dataset;
pub mod create_flow;
pub mod create_live_ticket;
pub mod create_template;
pub mod create_template_from_library;
pub mod delete_automation;
pub mod delete_flow;
pub mod delete_media;
pub mod delete_template;
pub mod deprecate_flow;
pub mod download_media;
mod flow_common;
pub mod get_analytics;
pub mod get_call_logs;
pub mod get_call_permission;
pub mod get_campaign;
pub mod get_campaign_stats;
pub mod get_config;
pub mod get_conversation;
pub mod get_conversations;
pub mod get_customer;
pub mod get_flow;
pub mod get_flow_preview;
pub mod get_funnel;
pub mod get_media_url;
pub mod get_message;
pub mod get_messages;
pub mod get_phone_number;
pub mod get_quality;
pub mod get_queue_stats;
pub mod get_stats;
pub mod get_template;
pub mod get_templates;
pub mod health;
pub mod help;
mod interactive;
pub mod list_actions;
pub mod list_automations;
pub mod list_campaign_recipients;
pub mod list_campaigns;
pub mod list_dlq;
pub mod list_flow_assets;
pub mod list_flows;
pub mod list_inbox_phones;
pub mod list_template_library;
pub mod mark_conversation_read;
pub mod mark_read;
pub mod pause_campaign;
pub mod ping;
pub mod publish_flow;
pub mod purge_dlq;
pub mod redrive_dlq;
pub mod register_webhook;
pub mod replay_webhook_events;
pub mod request_call_permission;
pub mod resume_campaign;
pub mod send_audio;
pub mod send_call_event;
pub mod send_contacts;
pub mod send_conversion_event;
pub mod send_cta_url;
pub mod send_document;
pub mod send_flow;
pub mod send_image;
pub mod send_interactive_buttons;
pub mod send_interactive_list;
pub mod send_location;
mod send_media;
pub mod send_reaction;
pub mod send_sticker;
pub mod send_template;
pub mod send_text;
pub mod send_video;
pub mod set_customer_preferences;
pub mod simulate_status;
pub mod start_campaign;
pub mod sync_templates;
pub mod test_automation;
pub mod update_automation;
pub mod update_call_settings;
pub mod update_flow;
pub mod update_flow_assets;
pub mod update_template;
pub mod upload_media;

use crate::registry::ActionSpec;

pub mod get_order;
pub mod get_payments;
pub mod list_orders;
pub mod send_carousel_template;
pub mod send_catalog_message;
pub mod send_order_details;
pub mod send_order_status;
/// Every action the registry serves.
// commerce (issue 9)
pub mod send_product;
pub mod send_product_list;
pub mod update_order_status;

pub static ALL: &[ActionSpec] = &[
    ping::SPEC,
    help::SPEC,
    list_actions::SPEC,
    get_message::SPEC,
    get_messages::SPEC,
    get_conversation::SPEC,
    get_conversations::SPEC,
    mark_conversation_read::SPEC,
    archive_conversation::SPEC,
    send_text::SPEC,
    send_image::SPEC,
    send_video::SPEC,
    send_audio::SPEC,
    send_document::SPEC,
    send_sticker::SPEC,
    send_location::SPEC,
    send_contacts::SPEC,
    send_reaction::SPEC,
    send_interactive_buttons::SPEC,
    send_interactive_list::SPEC,
    send_cta_url::SPEC,
    send_template::SPEC,
    mark_read::SPEC,
    download_media::SPEC,
    get_media_url::SPEC,
    upload_media::SPEC,
    delete_media::SPEC,
    simulate_status::SPEC,
    health::SPEC,
    get_stats::SPEC,
    replay_webhook_events::SPEC,
    get_templates::SPEC,
    get_template::SPEC,
    create_template::SPEC,
    create_template_from_library::SPEC,
    list_template_library::SPEC,
    update_template::SPEC,
    delete_template::SPEC,
    sync_templates::SPEC,
    create_flow::SPEC,
    update_flow::SPEC,
    update_flow_assets::SPEC,
    get_flow::SPEC,
    list_flows::SPEC,
    list_flow_assets::SPEC,
    get_flow_preview::SPEC,
    publish_flow::SPEC,
    deprecate_flow::SPEC,
    delete_flow::SPEC,
    send_flow::SPEC,
    get_config::SPEC,
    get_phone_number::SPEC,
    get_quality::SPEC,
    register_webhook::SPEC,
    update_call_settings::SPEC,
    get_call_permission::SPEC,
    request_call_permission::SPEC,
    send_call_event::SPEC,
    get_call_logs::SPEC,
    create_dataset::SPEC,
    send_conversion_event::SPEC,
    get_customer::SPEC,
    set_customer_preferences::SPEC,
    list_inbox_phones::SPEC,
    create_live_ticket::SPEC,
    // commerce (issue 9)
    send_product::SPEC,
    send_product_list::SPEC,
    send_catalog_message::SPEC,
    send_carousel_template::SPEC,
    send_order_details::SPEC,
    send_order_status::SPEC,
    update_order_status::SPEC,
    get_order::SPEC,
    list_orders::SPEC,
    get_payments::SPEC,
    create_automation::SPEC,
    list_automations::SPEC,
    update_automation::SPEC,
    delete_automation::SPEC,
    test_automation::SPEC,
    get_analytics::SPEC,
    get_queue_stats::SPEC,
    list_dlq::SPEC,
    redrive_dlq::SPEC,
    purge_dlq::SPEC,
    create_campaign::SPEC,
    start_campaign::SPEC,
    pause_campaign::SPEC,
    resume_campaign::SPEC,
    cancel_campaign::SPEC,
    get_campaign::SPEC,
    get_campaign_stats::SPEC,
    list_campaigns::SPEC,
    list_campaign_recipients::SPEC,
    get_funnel::SPEC,
];
