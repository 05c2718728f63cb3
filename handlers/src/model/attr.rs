//! Attribute names of the table's items, defined once: the stores name attributes in update and
//! condition expressions and in merges, and must use the names serde gives the item fields.
//! The test below serializes every item and checks that each constant is one of its fields, so
//! renaming a field cannot silently leave a store writing the old name.

/// The key, `pk` (the same name as `keys::PK`).
pub const PK: &str = "pk";
pub const ITEM_TYPE: &str = "itemType";
pub const ITEM_TYPE_PK: &str = "itemTypePk";
pub const CREATED_AT: &str = "createdAt";
pub const UPDATED_AT: &str = "updatedAt";
pub const WABA_ID: &str = "wabaId";
pub const PHONE_NUMBER_ID: &str = "phoneNumberId";
pub const ERROR: &str = "error";

// MESSAGE
pub const WA_MESSAGE_ID: &str = "waMessageId";
pub const DIRECTION: &str = "direction";
/// Meta's message type (`text`, `image`, ...); absent on an item a status created.
pub const TYPE: &str = "type";
pub const TO: &str = "to";
pub const TO_USER_ID: &str = "toUserId";
pub const CONVERSATION_PK: &str = "conversationPk";
pub const RECEIVED_AT: &str = "receivedAt";
pub const ARRIVED_AT: &str = "arrivedAt";
pub const STATUS: &str = "status";
pub const STATUS_RANK: &str = "statusRank";
pub const SENT_AT: &str = "sentAt";
pub const DELIVERED_AT: &str = "deliveredAt";
pub const READ_AT: &str = "readAt";
pub const PLAYED_AT: &str = "playedAt";
pub const FAILED_AT: &str = "failedAt";
pub const PRICING: &str = "pricing";
pub const BILLING_CONVERSATION: &str = "billingConversation";
pub const BIZ_OPAQUE_CALLBACK_DATA: &str = "bizOpaqueCallbackData";
pub const MEDIA: &str = "media";

// CONVERSATION
pub const INBOX_PK: &str = "inboxPk";
pub const CUSTOMER_ID: &str = "customerId";
pub const WA_ID: &str = "waId";
pub const USER_ID: &str = "userId";
pub const PROFILE_NAME: &str = "profileName";
pub const LAST_MESSAGE_AT: &str = "lastMessageAt";
pub const LAST_MESSAGE_ID: &str = "lastMessageId";
pub const LAST_MESSAGE_ARRIVED_AT: &str = "lastMessageArrivedAt";
pub const LAST_MESSAGE_PREVIEW: &str = "lastMessagePreview";
pub const LAST_MESSAGE_DIRECTION: &str = "lastMessageDirection";
pub const LAST_INBOUND_AT: &str = "lastInboundAt";
pub const UNREAD_COUNT: &str = "unreadCount";
pub const LAST_READ_AT: &str = "lastReadAt";
pub const LAST_READ_IDS: &str = "lastReadIds";
pub const ARCHIVED: &str = "archived";

// TEMPLATE and QUALITY
/// Meta's time of the event, which orders template and quality updates.
pub const STATUS_AT: &str = "statusAt";

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::Serialize;
    use serde_json::Value;

    use super::*;
    use crate::keys;
    use crate::model::*;

    fn fields<T: Serialize>(item: &T) -> BTreeSet<String> {
        match serde_json::to_value(item).unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("an item serializes as an object, not {other}"),
        }
    }

    fn some() -> Option<String> {
        Some("x".into())
    }

    #[test]
    fn every_attribute_name_is_a_field_of_an_item() {
        // GIVEN every item with each optional attribute the stores name set
        let message = MessageItem {
            kind: some(),
            to: some(),
            to_user_id: some(),
            phone_number_id: some(),
            waba_id: some(),
            conversation_pk: some(),
            arrived_at: some(),
            updated_at: some(),
            sent_at: some(),
            delivered_at: some(),
            read_at: some(),
            played_at: some(),
            failed_at: some(),
            error: Some(MetaError::default()),
            pricing: Some(Value::Null),
            billing_conversation: Some(Value::Null),
            biz_opaque_callback_data: some(),
            media: Some(MediaPart::default()),
            ..Default::default()
        };
        let conversation = ConversationItem {
            waba_id: some(),
            wa_id: some(),
            user_id: some(),
            profile_name: some(),
            last_message_id: some(),
            last_message_arrived_at: some(),
            last_message_preview: some(),
            last_message_direction: Some(Direction::Inbound),
            last_inbound_at: some(),
            last_read_at: some(),
            last_read_ids: vec![String::new()],
            ..Default::default()
        };
        let mut all = fields(&message);
        all.extend(fields(&conversation));
        all.extend(fields(&TemplateItem::default()));
        all.extend(fields(&QualityItem::default()));
        all.extend(fields(&WebhookEventItem {
            item_type_pk: some(),
            ..Default::default()
        }));
        // THEN every constant, and every index attribute, names one of their fields
        let names = [
            PK,
            ITEM_TYPE,
            ITEM_TYPE_PK,
            CREATED_AT,
            UPDATED_AT,
            WABA_ID,
            PHONE_NUMBER_ID,
            ERROR,
            WA_MESSAGE_ID,
            DIRECTION,
            TYPE,
            TO,
            TO_USER_ID,
            CONVERSATION_PK,
            RECEIVED_AT,
            ARRIVED_AT,
            STATUS,
            STATUS_RANK,
            SENT_AT,
            DELIVERED_AT,
            READ_AT,
            PLAYED_AT,
            FAILED_AT,
            PRICING,
            BILLING_CONVERSATION,
            BIZ_OPAQUE_CALLBACK_DATA,
            MEDIA,
            INBOX_PK,
            CUSTOMER_ID,
            WA_ID,
            USER_ID,
            PROFILE_NAME,
            LAST_MESSAGE_AT,
            LAST_MESSAGE_ID,
            LAST_MESSAGE_ARRIVED_AT,
            LAST_MESSAGE_PREVIEW,
            LAST_MESSAGE_DIRECTION,
            LAST_INBOUND_AT,
            UNREAD_COUNT,
            LAST_READ_AT,
            LAST_READ_IDS,
            ARCHIVED,
            STATUS_AT,
        ];
        for name in names {
            assert!(all.contains(name), "`{name}` is no item's field");
        }
        assert_eq!(PK, keys::PK);
        for index in keys::INDEXES {
            for name in [index.partition, index.sort] {
                assert!(all.contains(name), "index {} names `{name}`", index.name);
            }
        }
    }
}
