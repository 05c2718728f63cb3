//! The embedded store on disk: several handles (and processes) on one data directory, reopening,
//! the one-time import of the old `table.jsonl` log, and the store's limits.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use handlers::Store;
use handlers::keys;
use handlers::model::{Direction, ItemType, MessageItem, MessageStatus, attr};
use handlers::store::{
    ConversationTouch, PageRequest, Recorded, StatusApplied, StatusUpdate, StoreError,
};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use whatsapp_lambda::intake;
use whatsapp_lambda::store::{CommitCounts, EmbeddedStore};

use crate::helpers::*;

const CONV: &str = "CONV#106540352242922#16505551234";

/// A fresh data directory, removed when dropped.
struct DataDir(PathBuf);

impl DataDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(unique_table());
        std::fs::create_dir_all(&dir).unwrap();
        DataDir(dir)
    }

    fn open(&self) -> Arc<EmbeddedStore> {
        Arc::new(EmbeddedStore::open(&self.0).expect("open the store"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn all() -> PageRequest {
    PageRequest {
        limit: 1000,
        cursor: None,
    }
}

async fn message_ids(store: &dyn Store) -> Vec<String> {
    let mut ids: Vec<String> = store
        .list_messages(CONV, &all())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.wa_message_id)
        .collect();
    ids.sort();
    ids
}

/// Two handles on one directory stand for two processes (`serve` and `invoke`): each has its own
/// connection, and only the file's locks keep them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_on_one_directory_lose_nothing_and_count_unread_exactly() {
    let dir = DataDir::new();
    let (a, b) = (dir.open(), dir.open());
    let (ctx_a, ctx_b) = (ctx(a.clone()), ctx(b.clone()));
    // GIVEN 30 messages of one conversation: 10 delivered through both handles, 10 through each
    // one alone, all at once
    let mut tasks = Vec::new();
    for n in 0..30 {
        let sides = match n {
            0..10 => vec![("a", ctx_a.clone()), ("b", ctx_b.clone())],
            10..20 => vec![("a", ctx_a.clone())],
            _ => vec![("b", ctx_b.clone())],
        };
        for (side, ctx) in sides {
            tasks.push(tokio::spawn(async move {
                let event = text_event(
                    &format!("{side}{n}"),
                    &format!("wamid.TWO{n:02}"),
                    CUSTOMER,
                    1_763_632_800 + n,
                    "hi",
                );
                intake::handle(&ctx, event).await
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().expect("no delivery fails");
    }
    // THEN both handles see every message once, counted once
    let expected: Vec<String> = (0..30).map(|n| format!("wamid.TWO{n:02}")).collect();
    for store in [&a, &b] {
        let conv = store.get_conversation(CONV).await.unwrap().unwrap();
        assert_eq!(conv.unread_count, 30, "{}", store.describe());
        assert_eq!(conv.last_message_id.as_deref(), Some("wamid.TWO29"));
        assert_eq!(message_ids(&**store).await, expected);
    }
    // AND a read through one handle is seen by the other at once
    b.mark_conversation_read(CONV, "2026-11-23T10:00:00Z")
        .await
        .unwrap();
    let conv = a.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 0);
}

#[tokio::test]
async fn a_reopened_store_sees_every_write() {
    let dir = DataDir::new();
    {
        let (a, b) = (dir.open(), dir.open());
        let (ctx_a, ctx_b) = (ctx(a.clone()), ctx(b.clone()));
        for n in 0..5 {
            let ctx = if n % 2 == 0 { &ctx_a } else { &ctx_b };
            intake::handle(
                ctx,
                text_event(
                    &format!("r{n}"),
                    &format!("wamid.RE{n}"),
                    CUSTOMER,
                    1_763_632_800 + n,
                    "hi",
                ),
            )
            .await
            .unwrap();
        }
        intake::handle(
            &ctx_b,
            status_event("r-status", "wamid.OUT9", "delivered", 1_763_632_900),
        )
        .await
        .unwrap();
        a.put_record(&json!({"pk": "MEDIA_UPLOAD#m-1", "mediaId": "m-1"}))
            .await
            .unwrap();
        assert!(
            b.create_record(&json!({"pk": "SEND#k-1", "attempt": 1}))
                .await
                .unwrap()
        );
        a.set_archived(CONV, true, "2026-11-23T10:00:00Z")
            .await
            .unwrap();
    }
    let store = dir.open();
    assert_eq!(
        message_ids(&*store).await,
        [
            "wamid.OUT9",
            "wamid.RE0",
            "wamid.RE1",
            "wamid.RE2",
            "wamid.RE3",
            "wamid.RE4"
        ]
    );
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!((conv.unread_count, conv.archived), (5, true));
    assert_eq!(
        store
            .get_message("wamid.OUT9")
            .await
            .unwrap()
            .unwrap()
            .status,
        handlers::model::MessageStatus::Delivered
    );
    assert_eq!(
        store.get_item("MEDIA_UPLOAD#m-1").await.unwrap().unwrap()["mediaId"],
        "m-1"
    );
    assert!(
        !store
            .create_record(&json!({"pk": "SEND#k-1", "attempt": 2}))
            .await
            .unwrap(),
        "the claim survived the reopen"
    );
}

/// The old store appended the next write to a torn last line, so that write was lost when the
/// log was read again.
#[tokio::test]
async fn a_torn_last_line_of_the_old_log_swallows_no_later_write() {
    let dir = DataDir::new();
    std::fs::write(
        dir.path("table.jsonl"),
        "{\"pk\":\"ITEM#A\",\"v\":1}\n{\"pk\":\"ITEM#B\",\"v\":",
    )
    .unwrap();
    {
        let store = dir.open();
        store
            .put_record(&json!({"pk": "ITEM#C", "v": 1}))
            .await
            .unwrap();
    }
    let store = dir.open();
    assert_eq!(
        store.get_item("ITEM#A").await.unwrap(),
        Some(json!({"pk": "ITEM#A", "v": 1}))
    );
    assert_eq!(
        store.get_item("ITEM#B").await.unwrap(),
        None,
        "torn: skipped"
    );
    assert_eq!(
        store.get_item("ITEM#C").await.unwrap(),
        Some(json!({"pk": "ITEM#C", "v": 1})),
        "the write after the torn line is kept"
    );
}

#[tokio::test]
async fn the_old_log_is_imported_once() {
    let dir = DataDir::new();
    let log = [
        r#"{"pk":"ITEM#A","v":1}"#,
        r#"{"pk":"ITEM#B","v":1}"#,
        r#"{"pk":"ITEM#A","v":2}"#,
        // the old torn-line bug: a torn write with the next item glued to it
        r#"{"pk":"ITEM#D","v":{"pk":"ITEM#E","v":1}"#,
        "",
    ]
    .join("\n");
    std::fs::write(dir.path("table.jsonl"), &log).unwrap();
    {
        let store = dir.open();
        // THEN the last version of each item is there, and the glued item was salvaged
        for (pk, v) in [("ITEM#A", 2), ("ITEM#B", 1), ("ITEM#E", 1)] {
            assert_eq!(
                store.get_item(pk).await.unwrap(),
                Some(json!({"pk": pk, "v": v}))
            );
        }
        assert_eq!(store.get_item("ITEM#D").await.unwrap(), None);
        // AND the log was moved aside
        assert!(!dir.path("table.jsonl").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path("table.jsonl.imported")).unwrap(),
            log
        );
        store
            .put_record(&json!({"pk": "ITEM#A", "v": 3}))
            .await
            .unwrap();
    }
    // WHEN the same log is found again (a crash between the import's commit and the rename)
    std::fs::copy(dir.path("table.jsonl.imported"), dir.path("table.jsonl")).unwrap();
    let store = dir.open();
    // THEN it is not imported a second time: the newer write stays
    assert_eq!(
        store.get_item("ITEM#A").await.unwrap(),
        Some(json!({"pk": "ITEM#A", "v": 3}))
    );
    assert!(!dir.path("table.jsonl").exists());
    assert!(dir.path("table.jsonl.imported.2").exists());
}

#[tokio::test]
async fn an_item_over_the_size_limit_is_rejected_and_changes_nothing() {
    let dir = DataDir::new();
    let store = dir.open();
    let big = json!({"pk": "ITEM#BIG", "blob": "x".repeat(500 * 1024)});
    let err = store.put_record(&big).await.unwrap_err();
    assert!(matches!(err, StoreError::Rejected { .. }), "{err:?}");
    assert!(err.is_poison());
    assert_eq!(store.get_item("ITEM#BIG").await.unwrap(), None);
    // the store goes on working
    store
        .put_record(&json!({"pk": "ITEM#SMALL"}))
        .await
        .unwrap();
}

#[test]
fn a_file_that_is_not_a_database_is_refused_at_open() {
    let dir = DataDir::new();
    std::fs::write(
        dir.path("table.sqlite3"),
        "this is not an SQLite database, it is a note".repeat(100),
    )
    .unwrap();
    let err = match EmbeddedStore::open(&dir.0) {
        Ok(_) => panic!("opened a file that is not a database"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("table.sqlite3"), "{err}");
    assert!(err.contains("store fault"), "{err}");
}

/// Real processes: the CLI binary runs `invoke` several times at once on the directory that
/// this process has open and writes to at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_processes_and_an_open_store_share_one_directory() {
    let dir = DataDir::new();
    let store = dir.open();
    let ctx = ctx(store.clone());
    let events: Vec<PathBuf> = (0..4)
        .map(|n| {
            let path = dir.path(&format!("event-{n}.json"));
            let event = text_event(
                &format!("cli{n}"),
                &format!("wamid.CLI{n}"),
                CUSTOMER,
                1_763_632_800 + n,
                "from invoke",
            );
            std::fs::write(&path, event.to_string()).unwrap();
            path
        })
        .collect();
    let children: Vec<_> = events
        .iter()
        .map(|event| spawn_invoke(&dir.0, event))
        .collect();
    for n in 0..4 {
        intake::handle(
            &ctx,
            text_event(
                &format!("here{n}"),
                &format!("wamid.HERE{n}"),
                CUSTOMER,
                1_763_632_900 + n,
                "from this process",
            ),
        )
        .await
        .unwrap();
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let body: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(body["data"]["messages"], 1, "{body}");
    }
    let conv = store.get_conversation(CONV).await.unwrap().unwrap();
    assert_eq!(conv.unread_count, 8);
    assert_eq!(message_ids(&*store).await.len(), 8);
}

fn spawn_invoke(data_dir: &Path, event: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_whatsapp-lambda"))
        .arg("invoke")
        .arg(event)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TABLE_NAME")
        .env("DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the binary")
}

/// A write that finds the file locked by another process waits for the lock (on the blocking
/// pool) instead of failing.
#[tokio::test]
async fn a_write_waits_for_another_process_lock() {
    let dir = DataDir::new();
    let store = dir.open();
    // GIVEN another connection (as another process would) holding the write lock
    let mut other = rusqlite::Connection::open(dir.path("table.sqlite3")).unwrap();
    let lock = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    lock.execute(
        "INSERT INTO items (pk, doc) VALUES ('ITEM#OTHER', '{\"pk\":\"ITEM#OTHER\"}')",
        [],
    )
    .unwrap();
    // WHEN a write starts while the lock is held (one yield on this single-threaded runtime runs
    // the task until it waits)
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { store.put_record(&json!({"pk": "ITEM#MINE"})).await })
    };
    tokio::task::yield_now().await;
    // AND the other process commits
    lock.commit().unwrap();
    // THEN the write went through, after the other one
    writer
        .await
        .unwrap()
        .expect("the write waited for the lock");
    assert!(store.get_item("ITEM#MINE").await.unwrap().is_some());
    assert!(store.get_item("ITEM#OTHER").await.unwrap().is_some());
}

// Group commit: concurrent writes share transactions, with the results of the same writes done
// one by one.

/// One write of the mix below.
#[derive(Debug, Clone, Copy)]
enum Write {
    /// Record inbound message `n` (of five conversations).
    Message(usize),
    /// Apply a status to outbound message `n` (recorded beforehand by [`setup`]).
    Status(usize, &'static str),
    /// Claim record `n` (`create_record`).
    Create(usize),
    /// Put record `n`.
    Put(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Recorded(Recorded),
    Status(StatusApplied),
    Created(bool),
    Put,
}

const NOW: &str = "2025-11-21T09:00:00Z";
const STATUS_MESSAGES: usize = 10;

fn customer(n: usize) -> String {
    format!("1650555000{}", n % 5)
}

fn conversation(n: usize) -> String {
    format!("CONV#{PHONE}#{}", customer(n))
}

fn at(n: usize) -> String {
    format!("2025-11-20T10:{:02}:{:02}Z", n / 60, n % 60)
}

/// The inbound message `n` and its conversation's touch.
fn inbound(n: usize) -> (MessageItem, ConversationTouch) {
    let id = format!("wamid.G{n:03}");
    let message = MessageItem {
        pk: keys::message(&id),
        item_type: ItemType::Message,
        wa_message_id: id.clone(),
        direction: Direction::Inbound,
        kind: Some("text".into()),
        text: Some(format!("message {n}")),
        conversation_pk: Some(conversation(n)),
        received_at: at(n),
        created_at: NOW.into(),
        status: MessageStatus::Received,
        ..Default::default()
    };
    let touch = ConversationTouch {
        pk: conversation(n),
        inbox_pk: keys::inbox(PHONE),
        phone_number_id: PHONE.into(),
        customer_id: customer(n),
        wa_id: Some(customer(n)),
        message_at: at(n),
        message_id: id,
        preview: format!("message {n}"),
        direction: Direction::Inbound,
        inbound: true,
        now: NOW.into(),
        ..Default::default()
    };
    (message, touch)
}

fn status_id(n: usize) -> String {
    format!("wamid.S{n:02}")
}

/// The outbound messages that the statuses of the mix are about.
async fn setup(store: &dyn Store) {
    for n in 0..STATUS_MESSAGES {
        let message = MessageItem {
            pk: keys::message(&status_id(n)),
            item_type: ItemType::Message,
            wa_message_id: status_id(n),
            direction: Direction::Outbound,
            kind: Some("text".into()),
            received_at: at(n),
            created_at: NOW.into(),
            status: MessageStatus::Accepted,
            ..Default::default()
        };
        let touch = ConversationTouch {
            pk: conversation(n),
            inbox_pk: keys::inbox(PHONE),
            phone_number_id: PHONE.into(),
            customer_id: customer(n),
            message_at: at(n),
            message_id: status_id(n),
            direction: Direction::Outbound,
            now: NOW.into(),
            ..Default::default()
        };
        store.record_message(&message, &touch).await.unwrap();
    }
}

/// 200 writes on overlapping and distinct keys, interleaved: 50 messages twice each, three
/// statuses for each of 10 messages, 20 claims twice each, 30 puts.
fn mix() -> Vec<Write> {
    let mut writes: Vec<Write> = Vec::new();
    for n in 0..50 {
        writes.extend([Write::Message(n), Write::Message(49 - n)]);
    }
    for n in 0..STATUS_MESSAGES {
        writes.extend(["delivered", "read", "sent"].map(|s| Write::Status(n, s)));
    }
    for n in 0..20 {
        writes.extend([Write::Create(n), Write::Create(n)]);
    }
    writes.extend((0..30).map(Write::Put));
    // a fixed shuffle: position i takes write (i * 77) mod 200 (77 and 200 are coprime)
    let shuffled: Vec<Write> = (0..writes.len())
        .map(|i| writes[i * 77 % writes.len()])
        .collect();
    assert_eq!(shuffled.len(), 200);
    shuffled
}

async fn apply(store: &dyn Store, write: Write) -> Result<Outcome, StoreError> {
    Ok(match write {
        Write::Message(n) => {
            let (message, touch) = inbound(n);
            Outcome::Recorded(store.record_message(&message, &touch).await?)
        }
        Write::Status(n, status) => {
            let update = StatusUpdate {
                wa_message_id: status_id(n),
                status: MessageStatus::from(status),
                at: at(100 + n),
                now: NOW.into(),
                ..Default::default()
            };
            Outcome::Status(store.apply_status(&update).await?)
        }
        Write::Create(n) => Outcome::Created(
            store
                .create_record(&json!({"pk": format!("SEND#g-{n}"), "n": n}))
                .await?,
        ),
        Write::Put(n) => {
            store
                .put_record(&json!({"pk": format!("MEDIA_UPLOAD#g-{n}"), "n": n}))
                .await?;
            Outcome::Put
        }
    })
}

fn spawn_all(store: &Arc<EmbeddedStore>, writes: &[Write]) -> Vec<JoinHandle<Outcome>> {
    writes
        .iter()
        .map(|&write| {
            let store = store.clone();
            tokio::spawn(async move { apply(&*store, write).await.expect("no write fails") })
        })
        .collect()
}

async fn join<T>(tasks: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("the task ends"));
    }
    out
}

/// What must not depend on the order of the writes: the outcome of each write, except a
/// `sent` or `delivered` status (applied or stale depending on whether `read` came first).
fn order_free(writes: &[Write], outcomes: &[Outcome]) -> Vec<String> {
    let mut kept: Vec<String> = writes
        .iter()
        .zip(outcomes)
        .filter(|(w, _)| !matches!(w, Write::Status(_, s) if *s != "read"))
        .map(|(w, o)| format!("{w:?} {o:?}"))
        .collect();
    kept.sort();
    kept
}

/// Every item the mix touches; a status message keeps its status alone (which of `sentAt`,
/// `deliveredAt` it holds depends on the order).
async fn items(store: &dyn Store) -> Vec<Value> {
    let mut pks: Vec<String> = (0..50)
        .map(|n| keys::message(&format!("wamid.G{n:03}")))
        .collect();
    pks.extend((0..5).map(conversation));
    pks.extend((0..20).map(|n| format!("SEND#g-{n}")));
    pks.extend((0..30).map(|n| format!("MEDIA_UPLOAD#g-{n}")));
    let mut out = Vec::new();
    for pk in pks {
        out.push(store.get_item(&pk).await.unwrap().expect(&pk));
    }
    for n in 0..STATUS_MESSAGES {
        let item = store.get_item(&keys::message(&status_id(n))).await.unwrap();
        let item = item.expect("status message");
        out.push(json!({"pk": item["pk"], attr::STATUS: item[attr::STATUS]}));
    }
    out
}

/// The same writes one by one, in order, on a fresh store.
async fn one_by_one(writes: &[Write]) -> (Vec<Outcome>, Vec<Value>) {
    let store = EmbeddedStore::in_memory();
    setup(&store).await;
    let mut outcomes = Vec::new();
    for &write in writes {
        outcomes.push(apply(&store, write).await.unwrap());
    }
    (outcomes, items(&store).await)
}

async fn assert_like_one_by_one(store: &EmbeddedStore, writes: &[Write], outcomes: &[Outcome]) {
    let (expected_outcomes, expected_items) = one_by_one(writes).await;
    assert_eq!(
        order_free(writes, outcomes),
        order_free(writes, &expected_outcomes)
    );
    assert_eq!(items(store).await, expected_items);
    // and what the statuses must give whatever the order
    for n in 0..STATUS_MESSAGES {
        let message = store.get_message(&status_id(n)).await.unwrap().unwrap();
        assert_eq!(message.status, MessageStatus::Read);
    }
    for n in 0..5 {
        let conv = store
            .get_conversation(&conversation(n))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conv.unread_count, 10, "each message counted once");
        assert_eq!(
            conv.last_message_id.as_deref(),
            Some(&*format!("wamid.G{:03}", 45 + n))
        );
    }
}

fn since(store: &EmbeddedStore, before: CommitCounts) -> CommitCounts {
    let now = store.commit_counts();
    CommitCounts {
        queued: now.queued - before.queued,
        transactions: now.transactions - before.transactions,
        calls: now.calls - before.calls,
    }
}

/// Lets the spawned tasks run until `n` writes have been called since `before`.
async fn wait_queued(store: &EmbeddedStore, before: CommitCounts, n: u64) {
    while since(store, before).queued < n {
        tokio::task::yield_now().await;
    }
}

/// 200 writes from 200 tasks at once on two worker threads.
async fn concurrent_writes_give_the_one_by_one_results(store: Arc<EmbeddedStore>) {
    setup(&*store).await;
    let writes = mix();
    let before = store.commit_counts();
    let outcomes = join(spawn_all(&store, &writes)).await;
    assert_like_one_by_one(&store, &writes, &outcomes).await;
    assert_eq!(since(&store, before).calls, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_give_the_one_by_one_results_in_memory() {
    concurrent_writes_give_the_one_by_one_results(Arc::new(EmbeddedStore::in_memory())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_give_the_one_by_one_results_on_disk() {
    let dir = DataDir::new();
    concurrent_writes_give_the_one_by_one_results(dir.open()).await;
}

/// The writes called while the connection is busy (as when a group commits) wait, then commit
/// together: one transaction for all 200.
async fn writes_queued_behind_a_commit_share_one_transaction(store: Arc<EmbeddedStore>) {
    setup(&*store).await;
    let writes = mix();
    let before = store.commit_counts();
    let held = store.hold_connection();
    let tasks = spawn_all(&store, &writes);
    wait_queued(&store, before, 200).await;
    drop(held);
    let outcomes = join(tasks).await;
    assert_eq!(
        since(&store, before),
        CommitCounts {
            queued: 200,
            transactions: 1,
            calls: 200
        }
    );
    assert_like_one_by_one(&store, &writes, &outcomes).await;
}

#[tokio::test]
async fn writes_queued_behind_a_commit_share_one_transaction_in_memory() {
    writes_queued_behind_a_commit_share_one_transaction(Arc::new(EmbeddedStore::in_memory())).await;
}

#[tokio::test]
async fn writes_queued_behind_a_commit_share_one_transaction_on_disk() {
    let dir = DataDir::new();
    writes_queued_behind_a_commit_share_one_transaction(dir.open()).await;
    // and the group is in the file: a new handle sees it
    let (_, expected) = one_by_one(&mix()).await;
    assert_eq!(items(&*dir.open()).await, expected);
}

/// In one group: an item over the size limit (Rejected) and a stored item that does not decode
/// (Corrupt) fail alone; the writes before and after them are committed.
async fn a_failing_write_fails_alone_in_its_group(store: Arc<EmbeddedStore>) {
    store
        .put_record(&json!({"pk": keys::message("wamid.BAD"), "itemType": 42}))
        .await
        .unwrap();
    let before = store.commit_counts();
    let held = store.hold_connection();
    let put = |pk: String, item: Value| {
        let store = store.clone();
        tokio::spawn(async move { store.put_record(&item).await.map(|()| pk) })
    };
    let mut tasks = Vec::new();
    for n in 0..10 {
        let pk = format!("ITEM#before-{n}");
        tasks.push(put(pk.clone(), json!({"pk": pk})));
    }
    let big = put(
        "ITEM#BIG".into(),
        json!({"pk": "ITEM#BIG", "blob": "x".repeat(500 * 1024)}),
    );
    let corrupt = {
        let store = store.clone();
        tokio::spawn(async move {
            let update = StatusUpdate {
                wa_message_id: "wamid.BAD".into(),
                status: MessageStatus::Read,
                at: at(1),
                now: NOW.into(),
                ..Default::default()
            };
            store.apply_status(&update).await
        })
    };
    for n in 0..10 {
        let pk = format!("ITEM#after-{n}");
        tasks.push(put(pk.clone(), json!({"pk": pk})));
    }
    wait_queued(&store, before, 22).await;
    drop(held);
    let err = big.await.unwrap().unwrap_err();
    assert!(matches!(err, StoreError::Rejected { .. }), "{err:?}");
    let err = corrupt.await.unwrap().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    for pk in join(tasks).await {
        let pk = pk.expect("the other writes of the group succeed");
        assert_eq!(store.get_item(&pk).await.unwrap(), Some(json!({"pk": pk})));
    }
    assert_eq!(store.get_item("ITEM#BIG").await.unwrap(), None);
    assert_eq!(
        store.get_item(&keys::message("wamid.BAD")).await.unwrap(),
        Some(json!({"pk": keys::message("wamid.BAD"), "itemType": 42})),
        "the failed status changed nothing"
    );
    assert_eq!(
        since(&store, before),
        CommitCounts {
            queued: 22,
            transactions: 1,
            calls: 22
        }
    );
}

#[tokio::test]
async fn a_failing_write_fails_alone_in_its_group_in_memory() {
    a_failing_write_fails_alone_in_its_group(Arc::new(EmbeddedStore::in_memory())).await;
}

#[tokio::test]
async fn a_failing_write_fails_alone_in_its_group_on_disk() {
    let dir = DataDir::new();
    a_failing_write_fails_alone_in_its_group(dir.open()).await;
}

/// Two handles on one directory (two processes) run the whole mix each, at once: the groups of
/// one find the file locked by the other's and wait; every write is applied exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_group_their_writes_on_one_file() {
    let dir = DataDir::new();
    let (a, b) = (dir.open(), dir.open());
    setup(&*a).await;
    let writes = mix();
    let tasks_a = spawn_all(&a, &writes);
    let tasks_b = spawn_all(&b, &writes);
    let (outcomes_a, outcomes_b) = (join(tasks_a).await, join(tasks_b).await);
    // the writes of both handles together are the mix done twice, one by one
    let twice: Vec<Write> = writes.iter().chain(&writes).copied().collect();
    let outcomes: Vec<Outcome> = outcomes_a.into_iter().chain(outcomes_b).collect();
    assert_like_one_by_one(&a, &twice, &outcomes).await;
    assert_eq!(items(&*b).await, items(&*a).await);
}

/// A group that finds the file locked by another process waits for it (on the blocking pool)
/// and commits all its writes.
#[tokio::test]
async fn a_group_waits_for_another_process_lock() {
    let dir = DataDir::new();
    let store = dir.open();
    setup(&*store).await;
    let writes = mix();
    let before = store.commit_counts();
    // GIVEN another connection holding the write lock
    let mut other = rusqlite::Connection::open(dir.path("table.sqlite3")).unwrap();
    let lock = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    // WHEN 200 writes start (the first finds the file locked and waits on the blocking pool; the
    // others queue behind it)
    let tasks = spawn_all(&store, &writes);
    wait_queued(&store, before, 200).await;
    lock.commit().unwrap();
    // THEN all are committed, in at most two transactions, as one by one
    let outcomes = join(tasks).await;
    let counts = since(&store, before);
    assert_eq!(counts.calls, 200);
    assert!(counts.transactions <= 2, "{counts:?}");
    assert_like_one_by_one(&store, &writes, &outcomes).await;
}
