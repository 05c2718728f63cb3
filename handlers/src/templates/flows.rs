//! Flow items: `FLOW#{wabaId}#{flowId}` (state from the flow actions and the `flows` webhook
//! field), `FLOW_MESSAGE#{waMessageId}` (which flow a sent flow message opened), and the link
//! from a completed flow's `nfm_reply` to its flow.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::keys;
use crate::model::{FlowItem, ItemType, MessageItem};
use crate::ports::templates::FlowSummary;
use crate::store::{Store, StoreError, get_item_as, put_item};

/// The cached item of a flow, if any.
///
/// # Errors
/// The store's.
pub async fn get(
    store: &dyn Store,
    waba_id: &str,
    flow_id: &str,
) -> Result<Option<FlowItem>, StoreError> {
    get_item_as(store, &keys::flow(waba_id, flow_id)).await
}

/// Reads the flow's item (or a new one), changes it with `f` and writes it whole.
///
/// # Errors
/// The store's.
pub async fn update(
    store: &dyn Store,
    waba_id: &str,
    flow_id: &str,
    now: &str,
    f: impl FnOnce(&mut FlowItem),
) -> Result<FlowItem, StoreError> {
    let mut item = get(store, waba_id, flow_id)
        .await?
        .unwrap_or_else(|| FlowItem {
            pk: keys::flow(waba_id, flow_id),
            item_type: ItemType::Flow,
            item_type_pk: keys::item_type::FLOW.into(),
            waba_id: waba_id.into(),
            flow_id: flow_id.into(),
            created_at: now.into(),
            ..Default::default()
        });
    f(&mut item);
    item.updated_at = now.into();
    put_item(store, &item).await?;
    Ok(item)
}

/// Refreshes a flow's item from EUM Social's view of it.
///
/// # Errors
/// The store's.
pub async fn refresh(
    store: &dyn Store,
    waba_id: &str,
    s: &FlowSummary,
    now: &str,
) -> Result<FlowItem, StoreError> {
    update(store, waba_id, &s.flow_id, now, |item| {
        item.name = Some(s.name.clone());
        item.status = Some(s.status.clone());
        item.categories.clone_from(&s.categories);
    })
    .await
}

/// Applies one `flows` webhook change: a status change sets the status; an endpoint or
/// client alert is kept under its event name. `Ok(false)` when the change names no flow.
///
/// # Errors
/// The store's.
pub async fn apply_webhook(
    store: &dyn Store,
    value: &Value,
    waba_id: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let Some(flow_id) = value.get("flow_id").and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }) else {
        return Ok(false);
    };
    let event = value["event"].as_str().unwrap_or("UNKNOWN").to_string();
    update(store, waba_id, &flow_id, now, |item| {
        if event == "FLOW_STATUS_CHANGE" {
            if let Some(status) = value["new_status"].as_str() {
                item.status = Some(status.into());
            }
        } else {
            let mut alerts = item.alerts.take().unwrap_or_else(|| json!({}));
            alerts[&event] = value.clone();
            item.alerts = Some(alerts);
        }
        item.last_event = Some(value.clone());
    })
    .await?;
    Ok(true)
}

/// `FLOW_MESSAGE#{waMessageId}`: the flow a sent flow message opened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowMessageItem {
    pub pk: String,
    pub item_type: ItemType,
    pub wa_message_id: String,
    pub waba_id: String,
    pub flow_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token: Option<String>,
    pub created_at: String,
}

/// Remembers which flow a sent message opened, so that its reply can be linked.
///
/// # Errors
/// The store's.
pub async fn remember_sent(
    store: &dyn Store,
    waba_id: &str,
    wa_message_id: &str,
    flow_id: &str,
    flow_token: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    put_item(
        store,
        &FlowMessageItem {
            pk: keys::flow_message(wa_message_id),
            item_type: ItemType::FlowMessage,
            wa_message_id: wa_message_id.into(),
            waba_id: waba_id.into(),
            flow_id: flow_id.into(),
            flow_token: flow_token.map(str::to_string),
            created_at: now.into(),
        },
    )
    .await
}

/// Links an inbound `nfm_reply` to its flow: the flow message it replies to (its `context`)
/// names the flow, which is set on the reply's interactive part; the flow's item records its
/// latest reply. Nothing happens for other messages or replies to unknown messages.
///
/// # Errors
/// The store's.
pub async fn link_reply(
    store: &dyn Store,
    message: &mut MessageItem,
    now: &str,
) -> Result<(), StoreError> {
    let Some(part) = message
        .interactive
        .as_mut()
        .filter(|p| p.kind == "nfm_reply")
    else {
        return Ok(());
    };
    let Some(context) = message.context.as_ref().and_then(|c| c.id.as_deref()) else {
        return Ok(());
    };
    let Some(sent) = get_item_as::<FlowMessageItem>(store, &keys::flow_message(context)).await?
    else {
        return Ok(());
    };
    part.flow_id = Some(sent.flow_id.clone());
    let (id, at) = (message.wa_message_id.clone(), message.received_at.clone());
    update(store, &sent.waba_id, &sent.flow_id, now, |item| {
        item.last_reply_message_id = Some(id);
        item.last_reply_at = Some(at);
    })
    .await?;
    Ok(())
}
