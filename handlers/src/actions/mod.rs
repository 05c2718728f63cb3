//! One action, one file. Each file holds `NAME`, typed `Params`/`Output`, a typed `run`, and the
//! `SPEC` the registry stores. To add an action, add its file and one line to [`ALL`].

pub mod archive_conversation;
pub mod get_conversation;
pub mod get_conversations;
pub mod get_message;
pub mod get_messages;
pub mod help;
pub mod list_actions;
pub mod mark_conversation_read;
pub mod ping;

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
];
