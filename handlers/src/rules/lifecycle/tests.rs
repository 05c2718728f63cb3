use super::*;
use crate::model::{ConversationItem, MessageItem};
use crate::rules::merge_message;

/// One step applied to the stored item: the message itself, or a change to it.
#[derive(Clone)]
enum Step {
    Arrive(Box<MessageItem>),
    Change(Annotation),
}

fn original(text: &str) -> MessageItem {
    MessageItem {
        pk: keys::message("wamid.ORIG"),
        item_type: ItemType::Message,
        wa_message_id: "wamid.ORIG".into(),
        direction: Direction::Inbound,
        kind: Some("text".into()),
        text: Some(text.into()),
        conversation_pk: Some("CONV#p#c".into()),
        received_at: "2026-11-23T10:00:00Z".into(),
        created_at: "2026-11-23T10:00:01Z".into(),
        ..Default::default()
    }
}

fn change(id: &str, at: &str, change: Change) -> Annotation {
    Annotation {
        target: "wamid.ORIG".into(),
        id: id.into(),
        at: at.into(),
        change,
        keep_deleted_content: false,
        now: "2026-11-23T11:00:00Z".into(),
    }
}

fn edit(id: &str, at: &str, text: &str) -> Step {
    Step::Change(change(
        id,
        at,
        Change::Edit {
            text: Some(text.into()),
        },
    ))
}

fn react(id: &str, at: &str, emoji: Option<&str>) -> Step {
    Step::Change(change(
        id,
        at,
        Change::React {
            reactor: "15550001111".into(),
            emoji: emoji.map(str::to_string),
        },
    ))
}

fn run(steps: &[Step]) -> Option<MessageItem> {
    let mut item: Option<MessageItem> = None;
    for step in steps {
        let next = match step {
            Step::Arrive(m) => merge_message(item.clone(), m),
            Step::Change(a) => annotate(item.clone(), a),
        };
        if let Some(next) = next {
            item = Some(next);
        }
    }
    item.map(|mut i| {
        // Bookkeeping that legitimately depends on the order: when and how often it was written.
        i.rev = 0;
        i.updated_at = None;
        i.received_at = String::new();
        i.created_at = String::new();
        i
    })
}

/// Every order of `steps`, each step delivered twice in a row (a redelivery).
fn every_order(steps: &[Step]) -> Vec<Vec<Step>> {
    fn permute(rest: Vec<Step>, done: Vec<Step>, out: &mut Vec<Vec<Step>>) {
        if rest.is_empty() {
            out.push(done);
            return;
        }
        for i in 0..rest.len() {
            let mut rest = rest.clone();
            let step = rest.remove(i);
            let mut done = done.clone();
            done.push(step.clone());
            done.push(step);
            permute(rest, done, out);
        }
    }
    let mut out = Vec::new();
    permute(steps.to_vec(), Vec::new(), &mut out);
    out
}

fn same_in_every_order(steps: &[Step]) -> MessageItem {
    let expected = run(steps).expect("an item");
    for order in every_order(steps) {
        assert_eq!(run(&order).as_ref(), Some(&expected));
    }
    expected
}

#[test]
fn edits_keep_the_newest_text_and_the_earlier_versions_in_any_order() {
    let item = same_in_every_order(&[
        Step::Arrive(Box::new(original("helo"))),
        edit("wamid.E1", "2026-11-23T10:01:00Z", "hello"),
        edit("wamid.E2", "2026-11-23T10:02:00Z", "hello there"),
    ]);
    assert_eq!(item.text.as_deref(), Some("hello there"));
    assert_eq!(item.edited_at.as_deref(), Some("2026-11-23T10:02:00Z"));
    let history: Vec<_> = item.edits.iter().map(|v| v.text.as_deref()).collect();
    assert_eq!(history, [Some("helo"), Some("hello")]);
    assert_eq!(item.kind.as_deref(), Some("text"));
}

#[test]
fn a_deleted_message_loses_its_content_whatever_came_first() {
    let item = same_in_every_order(&[
        Step::Arrive(Box::new(original("secret"))),
        edit("wamid.E1", "2026-11-23T10:01:00Z", "secret 2"),
        Step::Change(change(
            "wamid.R",
            "2026-11-23T10:03:00Z",
            Change::Revoke {
                by: Direction::Inbound,
            },
        )),
    ]);
    assert_eq!(item.deleted_at.as_deref(), Some("2026-11-23T10:03:00Z"));
    assert_eq!(item.deleted_by, Some(Direction::Inbound));
    assert_eq!(item.text, None);
    assert!(item.edits.is_empty(), "the history is content too");
    assert_eq!(item.kind.as_deref(), Some("text"));
    assert_eq!(item.conversation_pk.as_deref(), Some("CONV#p#c"));
}

#[test]
fn with_keep_deleted_content_the_text_stays() {
    let mut revoke = change(
        "wamid.R",
        "2026-11-23T10:03:00Z",
        Change::Revoke {
            by: Direction::Inbound,
        },
    );
    revoke.keep_deleted_content = true;
    let item = same_in_every_order(&[
        Step::Arrive(Box::new(original("kept"))),
        Step::Change(revoke),
    ]);
    assert_eq!(item.text.as_deref(), Some("kept"));
    assert!(item.deleted_content_kept);
}

#[test]
fn reactions_order_by_metas_time_and_a_removal_is_not_undone_by_an_older_reaction() {
    let item = same_in_every_order(&[
        Step::Arrive(Box::new(original("hi"))),
        react("wamid.X1", "2026-11-23T10:01:00Z", Some("👍")),
        react("wamid.X2", "2026-11-23T10:02:00Z", Some("❤️")),
        react("wamid.X3", "2026-11-23T10:03:00Z", None),
    ]);
    let mine = &item.reactions["15550001111"];
    assert_eq!(mine.emoji, None);
    assert_eq!(mine.at, "2026-11-23T10:03:00Z");

    let item = same_in_every_order(&[
        Step::Arrive(Box::new(original("hi"))),
        react("wamid.X1", "2026-11-23T10:01:00Z", Some("👍")),
        react("wamid.X2", "2026-11-23T10:02:00Z", Some("❤️")),
    ]);
    assert_eq!(item.reactions["15550001111"].emoji.as_deref(), Some("❤️"));
}

#[test]
fn a_change_before_its_message_waits_unlisted() {
    let waiting = annotate(
        None,
        &change(
            "wamid.E1",
            "2026-11-23T10:01:00Z",
            Change::Edit {
                text: Some("x".into()),
            },
        ),
    )
    .unwrap();
    assert_eq!(waiting.kind, None);
    assert_eq!(
        waiting.conversation_pk, None,
        "not in the conversation's list"
    );
    assert!(is_waiting(&waiting));
}

#[test]
fn a_duplicate_change_changes_nothing() {
    let a = change(
        "wamid.E1",
        "2026-11-23T10:01:00Z",
        Change::Edit {
            text: Some("x".into()),
        },
    );
    let once = annotate(Some(original("o")), &a).unwrap();
    assert_eq!(annotate(Some(once), &a), None);
}

#[test]
fn the_edit_history_is_bounded() {
    let mut item = original("v0");
    for i in 1..=(MAX_EDITS + 5) {
        let a = change(
            &format!("wamid.E{i:03}"),
            &format!("2026-11-23T10:{:02}:00Z", i),
            Change::Edit {
                text: Some(format!("v{i}")),
            },
        );
        item = annotate(Some(item), &a).unwrap();
    }
    assert_eq!(item.edits.len(), MAX_EDITS);
    assert_eq!(item.text.as_deref(), Some("v25"));
    assert_eq!(item.edits.last().unwrap().text.as_deref(), Some("v24"));
}

fn conv() -> ConversationItem {
    ConversationItem {
        pk: "CONV#p#old".into(),
        item_type: ItemType::Conversation,
        customer_id: "old".into(),
        wa_id: Some("old".into()),
        ..Default::default()
    }
}

fn link(old: &str, new: &str, at: &str) -> CustomerLink {
    CustomerLink {
        pk: "CONV#p#old".into(),
        old_wa_id: old.into(),
        new_wa_id: new.into(),
        at: at.into(),
        ..Default::default()
    }
}

#[test]
fn number_changes_in_either_order_end_on_the_latest_number() {
    let (a, b) = (
        link("old", "mid", "2026-11-23T10:00:00Z"),
        link("mid", "new", "2026-11-23T11:00:00Z"),
    );
    let one = link_numbers(link_numbers(conv(), &a).unwrap(), &b).unwrap();
    let two = link_numbers(link_numbers(conv(), &b).unwrap(), &a).unwrap();
    assert_eq!(one.wa_id.as_deref(), Some("new"));
    assert_eq!(one.previous_wa_ids, ["mid", "old"]);
    assert_eq!(one.previous_wa_ids, two.previous_wa_ids);
    assert_eq!(one.wa_id, two.wa_id);
    assert_eq!(link_numbers(one, &a), None, "a redelivery changes nothing");
}

#[test]
fn a_welcome_opens_the_window_without_a_message() {
    let ev = ConversationEvent {
        pk: "CONV#p#c".into(),
        at: "2026-11-23T10:00:00Z".into(),
        now: "2026-11-23T10:00:01Z".into(),
        open: Some(ConversationOpen {
            inbox_pk: "INBOX#p".into(),
            phone_number_id: "p".into(),
            customer_id: "c".into(),
            ..Default::default()
        }),
        preview: None,
    };
    let conv = apply_event(None, &ev).unwrap();
    assert_eq!(
        conv.last_inbound_at.as_deref(),
        Some("2026-11-23T10:00:00Z")
    );
    assert_eq!(conv.last_message_id, None);
    assert_eq!(conv.unread_count, 0);
    assert_eq!(apply_event(Some(conv), &ev), None);
}
