//! One action, one file. Each file holds `NAME`, typed `Params`/`Output`, a typed `run`, and the
//! `SPEC` the registry stores. To add an action, add its file and one line to [`ALL`].

pub mod archive_conversation;
pub mod delete_media;
pub mod download_media;
pub mod get_conversation;
pub mod get_conversations;
pub mod get_media_url;
pub mod get_message;
pub mod get_messages;
pub mod get_stats;
pub mod health;
pub mod help;
mod interactive;
pub mod list_actions;
pub mod list_inbox_phones;
pub mod mark_conversation_read;
pub mod mark_read;
pub mod ping;
pub mod replay_webhook_events;
pub mod send_audio;
pub mod send_contacts;
pub mod send_cta_url;
pub mod send_document;
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
pub mod simulate_status;
pub mod upload_media;

use crate::registry::ActionSpec;

/// Every action the registry serves.
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
    list_inbox_phones::SPEC,
];
