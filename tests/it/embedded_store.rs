//! The embedded store on disk: several handles (and processes) on one data directory, reopening,
//! the one-time import of the old `table.jsonl` log, and the store's limits.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use handlers::Store;
use handlers::store::{PageRequest, StoreError};
use serde_json::{Value, json};
use whatsapp_lambda::intake;
use whatsapp_lambda::store::EmbeddedStore;

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
