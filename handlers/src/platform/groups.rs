//! The group webhook fields → `GROUP#{groupId}` items and their participants
//! (`GROUP#{groupId}#MEMBER#{participant}`, listed per group on `gsi-itemType`).
//!
//! Every field carries `groups[]`, each with `group_id`, `type` and `timestamp`:
//! - `group_lifecycle_update`: `group_create` (subject, invite link, join approval mode) and
//!   `group_delete`, each possibly with `errors`;
//! - `group_participants_update`: participants added (`added_participants`), removed or left
//!   (`removed_participants`, `initiated_by`), join requests (`group_join_request_*`);
//! - `group_settings_update`: `group_subject`, `group_description`, `profile_picture`;
//! - `group_status_update`: `group_suspend`, `group_suspend_cleared`.
//!
//! Each aspect (lifecycle, settings, status) and each participant is merged forward by the
//! event's time, so redeliveries and late arrivals never move a group back.

use serde_json::{Map, Value, json};

use super::{FieldChange, FieldOutcome, business_phone, meta_time, text, tolerate};
use crate::ctx::Ctx;
use crate::keys;
use crate::store::{Forward, StoreError};

pub const ITEM_TYPE: &str = "GROUP";
pub const MEMBER_ITEM_TYPE: &str = "GROUP_MEMBER";

/// A participant object's id: its wa_id, else its BSUID or what the business sent.
fn participant_id(p: &Value) -> Option<String> {
    match p {
        Value::String(s) => Some(s.clone()),
        _ => text(p, "wa_id")
            .or_else(|| text(p, "user_id"))
            .or_else(|| text(p, "input")),
    }
}

fn ok(part: Option<&Value>) -> bool {
    part.and_then(|p| p.get("update_successful"))
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// Stores each element of `groups[]`.
pub(super) async fn record(
    ctx: &Ctx,
    change: &FieldChange<'_>,
) -> Result<FieldOutcome, StoreError> {
    let mut outcome = FieldOutcome::default();
    let phone = business_phone(change.value);
    let groups = change.value.get("groups").and_then(Value::as_array);
    for (i, g) in groups.into_iter().flatten().enumerate() {
        let (Some(group_id), Some(kind), Some((at, secs))) = (
            text(g, "group_id"),
            text(g, "type"),
            meta_time(g.get("timestamp")),
        ) else {
            outcome.poison.push(format!(
                "changes[{}] ({}): groups[{i}] needs group_id, type and timestamp",
                change.index, change.field
            ));
            continue;
        };
        let failed = g
            .get("errors")
            .is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty()));
        let mut set = Map::new();
        set.insert("itemType".into(), json!(ITEM_TYPE));
        set.insert("groupId".into(), json!(group_id));
        set.insert("wabaId".into(), json!(change.waba_id));
        set.insert("createdAt".into(), json!(at));
        set.insert("updatedAt".into(), json!(change.now));
        if let Some(phone) = &phone {
            set.insert("phoneNumberId".into(), json!(phone));
            set.insert(
                "itemTypePk".into(),
                json!(keys::item_type::groups_of_phone(phone)),
            );
        }
        let rank = secs * 1000;
        let mut attrs = Map::new();
        let mut members: Vec<(String, &'static str)> = Vec::new();
        let rank_attr = match change.field {
            "group_lifecycle_update" => {
                let state = match (kind.as_str(), failed) {
                    ("group_create", false) => "ACTIVE",
                    ("group_create", true) => "CREATE_FAILED",
                    ("group_delete", false) => "DELETED",
                    ("group_delete", true) => "ACTIVE",
                    _ => "UNKNOWN",
                };
                attrs.insert("lifecycle".into(), json!(state));
                for (k, attr) in [
                    ("subject", "subject"),
                    ("description", "description"),
                    ("invite_link", "inviteLink"),
                    ("join_approval_mode", "joinApprovalMode"),
                ] {
                    if let Some(v) = text(g, k) {
                        attrs.insert(attr.into(), json!(v));
                    }
                }
                "lifecycleRank"
            }
            "group_settings_update" => {
                if let Some(s) = g.get("group_subject").filter(|p| ok(Some(p))) {
                    attrs.insert("subject".into(), json!(text(s, "text")));
                }
                if let Some(d) = g.get("group_description").filter(|p| ok(Some(p))) {
                    attrs.insert("description".into(), json!(text(d, "text")));
                }
                if let Some(p) = g.get("profile_picture").filter(|p| ok(Some(p))) {
                    attrs.insert("profilePicture".into(), p.clone());
                }
                "settingsRank"
            }
            "group_status_update" => {
                let state = match kind.as_str() {
                    "group_suspend" => "SUSPENDED",
                    "group_suspend_cleared" => "ACTIVE",
                    other => other,
                };
                attrs.insert("status".into(), json!(state));
                "statusRank"
            }
            _ => {
                // group_participants_update
                let list = |k: &str| -> Vec<String> {
                    g.get(k)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(participant_id)
                        .collect()
                };
                for p in list("added_participants") {
                    members.push((p, "JOINED"));
                }
                for p in list("removed_participants") {
                    members.push((
                        p,
                        if text(g, "initiated_by").as_deref() == Some("participant") {
                            "LEFT"
                        } else {
                            "REMOVED"
                        },
                    ));
                }
                if kind.starts_with("group_join_request")
                    && let Some(p) = text(g, "wa_id").or_else(|| text(g, "user_id"))
                {
                    let state = match kind.as_str() {
                        "group_join_request_created" => "REQUESTED",
                        "group_join_request_revoked" => "REQUEST_REVOKED",
                        _ => "REQUEST_APPROVED",
                    };
                    members.push((p, state));
                }
                attrs.insert("lastParticipantsEvent".into(), json!(kind));
                "participantsRank"
            }
        };
        let aspect = rank_attr.trim_end_matches("Rank");
        attrs.insert(format!("{aspect}At"), json!(at));
        // Meta's event type as sent, so a type this version does not know is kept.
        attrs.insert(format!("{aspect}Type"), json!(kind));
        if failed {
            attrs.insert("lastErrors".into(), g["errors"].clone());
        }
        let forward = Forward {
            rank_attr,
            rank,
            attrs: Value::Object(attrs),
        };
        if tolerate(
            ctx.store()
                .merge_record(&keys::group(&group_id), &Value::Object(set), Some(&forward))
                .await,
            "group",
            &mut outcome,
        )?
        .is_some()
        {
            outcome.items += 1;
        }
        if failed {
            continue;
        }
        for (participant, state) in members {
            let set = json!({
                "itemType": MEMBER_ITEM_TYPE,
                "itemTypePk": keys::item_type::group_members(&group_id),
                "groupId": group_id,
                "participant": participant,
                "createdAt": at,
                "updatedAt": change.now,
            });
            let forward = Forward {
                rank_attr: "stateRank",
                rank,
                attrs: json!({"state": state, "stateAt": at}),
            };
            if tolerate(
                ctx.store()
                    .merge_record(
                        &keys::group_member(&group_id, &participant),
                        &set,
                        Some(&forward),
                    )
                    .await,
                "group participant",
                &mut outcome,
            )?
            .is_some()
            {
                outcome.items += 1;
            }
        }
    }
    Ok(outcome)
}
