//! Every key of the single table is built here, and only here.
//!
//! The table has one primary key, `pk` (a string), and three global secondary indexes. The
//! partition values of the indexes are composite or sparse on purpose: no index partition
//! receives every MESSAGE write (see `docs/data-model.md`).

/// Name of the table's only key attribute.
pub const PK: &str = "pk";

/// The global secondary indexes: name, partition-key attribute, sort-key attribute.
pub const INDEXES: [IndexDef; 3] = [
    IndexDef {
        name: GSI_INBOX,
        partition: "inboxPk",
        sort: "lastMessageAt",
    },
    IndexDef {
        name: GSI_CONVERSATION,
        partition: "conversationPk",
        sort: "receivedAt",
    },
    IndexDef {
        name: GSI_ITEM_TYPE,
        partition: "itemTypePk",
        sort: "createdAt",
    },
];

/// Conversations of one business phone, newest first.
pub const GSI_INBOX: &str = "gsi-inbox";
/// Messages of one conversation by time.
pub const GSI_CONVERSATION: &str = "gsi-conversation";
/// Low-volume item types (templates, quality, failed and account webhook events), by creation time.
pub const GSI_ITEM_TYPE: &str = "gsi-itemType";

/// One global secondary index of the table. All of them project every attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexDef {
    pub name: &'static str,
    pub partition: &'static str,
    pub sort: &'static str,
}

/// The index named `name` (one of the `GSI_*` constants), from [`INDEXES`].
///
/// # Panics
/// When `name` is not in [`INDEXES`]: a programming error that the test below and every store
/// test catch.
pub fn index(name: &str) -> &'static IndexDef {
    INDEXES
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("index `{name}` is not in keys::INDEXES"))
}

/// `MSG#{waMessageId}`
pub fn message(wa_message_id: &str) -> String {
    format!("MSG#{wa_message_id}")
}

/// `CONV#{business phone number id}#{customer id}`; the customer id is the wa_id, else the BSUID.
pub fn conversation(phone_number_id: &str, customer_id: &str) -> String {
    format!("CONV#{phone_number_id}#{customer_id}")
}

/// The business phone id and customer id of a conversation pk, when it is one.
pub fn parse_conversation(pk: &str) -> Option<(&str, &str)> {
    let rest = pk.strip_prefix("CONV#")?;
    let (phone, customer) = rest.split_once('#')?;
    (!phone.is_empty() && !customer.is_empty()).then_some((phone, customer))
}

/// Partition value of `gsi-inbox` for a business phone's open conversations.
pub fn inbox(phone_number_id: &str) -> String {
    phone_number_id.to_string()
}

/// Partition value of `gsi-inbox` for a business phone's archived conversations: archiving moves
/// a conversation out of the open inbox partition instead of filtering it at read time.
pub fn archived_inbox(phone_number_id: &str) -> String {
    format!("ARCHIVED#{phone_number_id}")
}

/// The business phones of `gsi-inbox` partition values (open and archived): distinct, sorted,
/// at most `limit`.
pub fn inbox_phones(partitions: impl IntoIterator<Item = String>, limit: usize) -> Vec<String> {
    let phones: std::collections::BTreeSet<String> = partitions
        .into_iter()
        .map(|p| match p.strip_prefix(archived_inbox("").as_str()) {
            Some(phone) => phone.to_string(),
            None => p,
        })
        .filter(|p| !p.is_empty())
        .collect();
    phones.into_iter().take(limit).collect()
}

/// `TEMPLATE#{wabaMetaId}#{name}#{language}`
pub fn template(waba_id: &str, name: &str, language: &str) -> String {
    format!("TEMPLATE#{waba_id}#{name}#{language}")
}

/// `FLOW#{wabaMetaId}#{flowId}`
pub fn flow(waba_id: &str, flow_id: &str) -> String {
    format!("FLOW#{waba_id}#{flow_id}")
}

/// `FLOW_MESSAGE#{waMessageId}`: which flow a sent flow message opened.
pub fn flow_message(wa_message_id: &str) -> String {
    format!("FLOW_MESSAGE#{wa_message_id}")
}

/// `QUALITY#{display phone number}`: Meta's quality webhook names the display number only.
pub fn quality(display_phone_number: &str) -> String {
    format!("QUALITY#{display_phone_number}")
}

/// `WEBHOOK_EVENT#{delivery id}`: the audit item of one received record. Keyed by the delivery's
/// own id so that a redelivery overwrites its audit item instead of adding another.
pub fn webhook_audit(delivery_id: &str) -> String {
    format!("WEBHOOK_EVENT#{delivery_id}")
}

/// `WEBHOOK_EVENT#{wabaId}#{field}#{delivery id}#{change index}`: a webhook field we keep as is.
pub fn webhook_field_event(waba_id: &str, field: &str, delivery_id: &str, index: usize) -> String {
    format!("WEBHOOK_EVENT#{waba_id}#{field}#{delivery_id}#{index}")
}

/// `webhook-payloads/{delivery id}.json`: the media-store object holding the whole body of a
/// failed or partial record too large to keep in its audit item. Characters other than ASCII
/// letters, digits, `.`, `-` and `_` in the delivery id become `_` (SNS and SQS ids are UUIDs).
pub fn webhook_payload(delivery_id: &str) -> String {
    let safe: String = delivery_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("webhook-payloads/{safe}.json")
}

/// `MEDIA_DOWNLOAD#{mediaId}`: an inbound media file copied into the media store.
pub fn media_download(media_id: &str) -> String {
    format!("MEDIA_DOWNLOAD#{media_id}")
}

/// `MEDIA_UPLOAD#{mediaId}`: a file uploaded to WhatsApp with `PostWhatsAppMessageMedia`.
pub fn media_upload(media_id: &str) -> String {
    format!("MEDIA_UPLOAD#{media_id}")
}

/// `SEND#{intent id}`: one attempt of a send under its idempotency key. The intent id is the
/// key for the first attempt and `{key}#{n}` for attempt `n` after a failed one
/// (`outbound::idempotency`).
pub fn send_intent(intent_id: &str) -> String {
    format!("SEND#{intent_id}")
}

/// Where inbound media of one business phone and UTC day is kept: `media/{phone}/{yyyy-mm-dd}/`.
pub fn media_prefix(phone_number_id: &str, received_at: &str) -> String {
    let day = received_at.get(..10).unwrap_or("unknown-date");
    format!("media/{phone_number_id}/{day}/")
}

/// Where uploaded media is kept: `uploads/{yyyy-mm-dd}/{name}`.
pub fn upload_key(now: &str, name: &str) -> String {
    let day = now.get(..10).unwrap_or("unknown-date");
    format!("uploads/{day}/{name}")
}

/// `CALL#{callId}`: one WhatsApp call (Meta's `wacid.…`), merged from its `calls` webhooks.
pub fn call(call_id: &str) -> String {
    format!("CALL#{call_id}")
}

/// `CALL#{callId}#CUSTOMER`: the same call, listed under its customer (`gsi-itemType` partition
/// [`item_type::calls_of_customer`]); the call itself is listed under its business phone.
pub fn call_of_customer(call_id: &str) -> String {
    format!("CALL#{call_id}#CUSTOMER")
}

/// `CUSTOMER#{customerId}`: a customer's preferences (marketing opt-out); the customer id is
/// the wa_id, else the BSUID.
pub fn customer(customer_id: &str) -> String {
    format!("CUSTOMER#{customer_id}")
}

/// `CTWA#{waMessageId}`: the click-to-WhatsApp ad referral an inbound message carried.
pub fn ctwa(wa_message_id: &str) -> String {
    format!("CTWA#{wa_message_id}")
}

/// `CTWA_EVENT#{waMessageId}#{eventName}`: a conversion Meta detected in a click-to-WhatsApp
/// thread (`automatic_events`: `LeadSubmitted`, `Purchase`, …), named by the message it was
/// detected on.
pub fn ctwa_event(wa_message_id: &str, event_name: &str) -> String {
    format!("CTWA_EVENT#{wa_message_id}#{event_name}")
}

/// `PAYMENT_CONFIG#{wabaId}#{configurationName}`: a payment configuration (India, Brazil) and
/// its gateway, from `payment_configuration_update`.
pub fn payment_configuration(waba_id: &str, configuration_name: &str) -> String {
    format!("PAYMENT_CONFIG#{waba_id}#{configuration_name}")
}

/// `GROUP#{groupId}`: a WhatsApp group the business manages.
pub fn group(group_id: &str) -> String {
    format!("GROUP#{group_id}")
}

/// `GROUP#{groupId}#MEMBER#{participant}`: one participant of a group.
pub fn group_member(group_id: &str, participant: &str) -> String {
    format!("GROUP#{group_id}#MEMBER#{participant}")
}

/// `CONTACT#{phone number id}#{contact phone}`: a WhatsApp Business app contact
/// (`smb_app_state_sync`).
pub fn contact(phone_number_id: &str, contact_phone: &str) -> String {
    format!("CONTACT#{phone_number_id}#{contact_phone}")
}

/// `ACCOUNT#{wabaId}`: a WABA's state as its account webhooks report it (review decision, ban
/// state, capabilities, last alert).
pub fn account(waba_id: &str) -> String {
    format!("ACCOUNT#{waba_id}")
}

/// `ACCOUNT_EVENT#{wabaId}#{field}#{delivery id}#{change index}`: one account webhook, typed.
pub fn account_event(waba_id: &str, field: &str, delivery_id: &str, index: usize) -> String {
    format!("ACCOUNT_EVENT#{waba_id}#{field}#{delivery_id}#{index}")
}

/// `PHONE_NAME#{display phone number}`: the display-name review of a business phone.
pub fn phone_name(display_phone_number: &str) -> String {
    format!("PHONE_NAME#{display_phone_number}")
}

/// `WABA#{meta waba id}`: a linked WABA as `get_config` last read it from EUM Social.
pub fn linked_waba(waba_id: &str) -> String {
    format!("WABA#{waba_id}")
}

/// `PHONE#{meta phone number id}`: a linked business phone as `get_config` last read it.
pub fn linked_phone(meta_phone_number_id: &str) -> String {
    format!("PHONE#{meta_phone_number_id}")
}

/// `PHONE_ALIAS#{id}`: another name of a linked phone (its EUM id, ARN, display or E.164
/// digits), pointing at its Meta phone number id.
pub fn phone_alias(alias: &str) -> String {
    format!("PHONE_ALIAS#{alias}")
}

/// `WABA_ALIAS#{eum id}`: a linked WABA's EUM id (`waba-…`), pointing at its Meta id.
pub fn waba_alias(eum_id: &str) -> String {
    format!("WABA_ALIAS#{eum_id}")
}

/// `LIVE_TICKET#{ticket}`: a one-time ticket that opens one WebSocket connection.
pub fn live_ticket(ticket: &str) -> String {
    format!("LIVE_TICKET#{ticket}")
}

/// `LIVE_CONN#{connectionId}`: one open WebSocket connection of a page.
pub fn live_connection(connection_id: &str) -> String {
    format!("LIVE_CONN#{connection_id}")
}

/// `ORDER#{waMessageId}`: the order a customer sent from a catalog (commerce), keyed by the
/// inbound `order` message's wamid so that a redelivery finds it.
pub fn order(wa_message_id: &str) -> String {
    format!("ORDER#{wa_message_id}")
}

/// `PAYMENT#{phoneNumberId}#{referenceId}`: one payment request (`order_details`) and its
/// status webhooks, keyed by the business's `reference_id`.
pub fn payment(phone_number_id: &str, reference_id: &str) -> String {
    format!("PAYMENT#{phone_number_id}#{reference_id}")
}

/// `AUTOMATION#{ruleId}`: one automation rule (welcome, keyword, away, opt-out).
pub fn automation(rule_id: &str) -> String {
    format!("AUTOMATION#{rule_id}")
}

/// `AUTOMATION_COOLDOWN#{ruleId}#{conversation pk}`: the lease that keeps a rule from
/// answering one customer again before its cooldown has run out.
pub fn automation_cooldown(rule_id: &str, conversation_pk: &str) -> String {
    format!("AUTOMATION_COOLDOWN#{rule_id}#{conversation_pk}")
}

/// `ANALYTICS_COUNTER#{phone}#{yyyy-mm-dd}#{shard}`: one shard of a business phone's counters
/// for one UTC day (`analytics::SHARDS` shards, chosen by the message id, so no item takes
/// every write).
pub fn analytics_counter(phone_number_id: &str, day: &str, shard: u32) -> String {
    format!("ANALYTICS_COUNTER#{phone_number_id}#{day}#{shard}")
}

/// `ACTIVE#{conversation pk}#{yyyy-mm-dd}`: the conversation had a message that UTC day (a
/// marker created once, so a conversation counts once per day).
pub fn conversation_active(conversation_pk: &str, day: &str) -> String {
    format!("ACTIVE#{conversation_pk}#{day}")
}

/// `CONV_SEEN#{conversation pk}`: the conversation has been counted as new.
pub fn conversation_seen(conversation_pk: &str) -> String {
    format!("CONV_SEEN#{conversation_pk}")
}

/// `REPLY_WAIT#{conversation pk}`: the first customer message the business has not answered
/// yet; taken by the business's next reply, which measures its first-response time.
pub fn reply_wait(conversation_pk: &str) -> String {
    format!("REPLY_WAIT#{conversation_pk}")
}

/// `CAMPAIGN#{campaignId}`: a campaign (issue 9).
pub fn campaign(campaign_id: &str) -> String {
    format!("CAMPAIGN#{campaign_id}")
}

/// `CAMPAIGN#{campaignId}#R#{seq}`: one recipient of a campaign, by its place in the audience.
pub fn campaign_recipient(campaign_id: &str, seq: u64) -> String {
    format!("CAMPAIGN#{campaign_id}#R#{seq:07}")
}

/// `CAMPAIGN#{campaignId}#COUNT#{shard}`: one shard of a campaign's counters.
pub fn campaign_counter(campaign_id: &str, shard: u64) -> String {
    format!("CAMPAIGN#{campaign_id}#COUNT#{shard:02}")
}

/// `CAMPAIGN_TOUCH#{phoneNumberId}#{customerId}`: the last campaign message a customer got from
/// a business phone, so that their reply is counted for it.
pub fn campaign_touch(phone_number_id: &str, customer_id: &str) -> String {
    format!("CAMPAIGN_TOUCH#{phone_number_id}#{customer_id}")
}

/// `gsi-itemType` partition values. Only low-volume item types get one (the index is sparse).
pub mod item_type {
    pub const TEMPLATE: &str = "TEMPLATE";
    pub const QUALITY: &str = "QUALITY";
    pub const FLOW: &str = "FLOW";
    pub const FAILED_WEBHOOK_EVENT: &str = "WEBHOOK_EVENT#FAILED";
    /// Send intents still `pending` (in flight, or awaiting their status webhook).
    pub const PENDING_SEND: &str = "SEND#PENDING";

    /// Automation rules (few: one partition).
    pub const AUTOMATION: &str = "AUTOMATION";
    /// Orders of one shop (`WIX_ORDER`), newest event first.
    pub fn shop_orders(shop_prefix: &str) -> String {
        format!("{shop_prefix}_ORDER")
    }

    /// Linked WABAs and phones cached by `get_config`.
    pub const LINKED_WABA: &str = "WABA";
    pub const LINKED_PHONE: &str = "PHONE";

    /// Open WebSocket connections following one business phone (`*`: every phone).
    pub fn live_connections(phone_number_id: &str) -> String {
        format!("LIVE#{phone_number_id}")
    }

    /// Calls of one business phone (Meta's phone number id), by start time.
    pub fn calls_of_phone(phone_number_id: &str) -> String {
        format!("CALL#{phone_number_id}")
    }

    /// Calls of one customer of one business phone, by start time.
    pub fn calls_of_customer(phone_number_id: &str, customer_id: &str) -> String {
        format!("CALL#{phone_number_id}#{customer_id}")
    }

    /// Click-to-WhatsApp referrals of one customer, newest first.
    pub fn ctwa_of_customer(customer_id: &str) -> String {
        format!("CTWA#{customer_id}")
    }

    /// Payment configurations of one WABA.
    pub fn payment_configurations(waba_id: &str) -> String {
        format!("PAYMENT_CONFIG#{waba_id}")
    }

    /// Groups of one business phone.
    pub fn groups_of_phone(phone_number_id: &str) -> String {
        format!("GROUP#{phone_number_id}")
    }

    /// Participants of one group.
    pub fn group_members(group_id: &str) -> String {
        format!("GROUP_MEMBER#{group_id}")
    }

    /// Account webhooks (alerts, updates, reviews, capabilities, security) of one WABA.
    pub fn account_events(waba_id: &str) -> String {
        format!("ACCOUNT_EVENT#{waba_id}")
    }

    /// Contacts of one business phone (WhatsApp Business app).
    pub fn contacts_of_phone(phone_number_id: &str) -> String {
        format!("CONTACT#{phone_number_id}")
    }

    /// Orders of one business phone, by the time the customer sent them (commerce).
    pub fn orders_of_phone(phone_number_id: &str) -> String {
        format!("ORDER#{phone_number_id}")
    }

    /// Payments of one business phone, by the time they were first recorded (commerce).
    pub fn payments_of_phone(phone_number_id: &str) -> String {
        format!("PAYMENT#{phone_number_id}")
    }

    /// Every campaign, newest first.
    pub const CAMPAIGNS: &str = "CAMPAIGN";

    /// The recipients of a campaign in one state (`pending`, `sending`, `sent`, `failed`,
    /// `skipped`): the worker reads the pending ones, `list_campaign_recipients` any.
    pub fn campaign_recipients(campaign_id: &str, state: &str) -> String {
        format!("CAMPAIGN_RECIPIENT#{campaign_id}#{state}")
    }

    /// Kept webhook fields (account_update, ...) by field name.
    pub fn webhook_field(field: &str) -> String {
        format!("WEBHOOK_EVENT#{field}")
    }
}

/// `QUEUE_FAILURE#{queue message id}`: why the fast-ack consumer failed a queued webhook (its
/// last attempt's error), read by `list_dlq`. Kept for 14 days (SQS's longest retention).
pub fn queue_failure(message_id: &str) -> String {
    format!("QUEUE_FAILURE#{message_id}")
}

/// `{SHOP}_ORDER#{orderId}`: an order a shop's webhook told us about (`WIX_ORDER#…`).
pub fn shop_order(shop_prefix: &str, order_id: &str) -> String {
    format!("{shop_prefix}_ORDER#{order_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_name_resolves() {
        for name in [GSI_INBOX, GSI_CONVERSATION, GSI_ITEM_TYPE] {
            assert_eq!(index(name).name, name);
        }
    }

    #[test]
    fn index_names_are_unique() {
        let mut names: Vec<_> = INDEXES.iter().map(|i| i.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), INDEXES.len());
    }
}
