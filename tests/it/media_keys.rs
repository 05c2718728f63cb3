//! Media keys stay in their lane: keys built from input cannot leave their prefix, local media
//! lives apart from the database files, and `delete_media` deletes only what this product
//! wrote.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use handlers::Ctx;
use handlers::keys;
use handlers::model::{ItemType, MediaUploadItem};
use handlers::ports::MediaStore;
use handlers::store::put_item;
use serde_json::{Value, json};
use whatsapp_lambda::Config;
use whatsapp_lambda::media::LocalMedia;

use crate::helpers::*;

/// Keys that would leave their prefix, each a different trick.
const ESCAPES: &[&str] = &[
    "../table.jsonl",
    "table.jsonl",
    "/etc/passwd",
    "..",
    "uploads/../table.jsonl",
    "uploads/../../table.jsonl",
    "uploads/./x",
    "uploads//x",
    "uploads/x/",
    "uploads\\..\\table.jsonl",
    "uploads/%2e%2e/table.jsonl",
    "uploads%2F..%2Ftable.jsonl",
    "uploads/x\u{0}.jpg",
    "uploads/x\r\n.jpg",
];

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wl-{name}-{}", unique_table()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file under `dir` except the media directory (the SQLite file and its WAL, whose bytes
/// change as SQLite checkpoints, so only their presence is compared; the items are read back).
fn database_files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path == dir.join("media") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path);
            }
        }
    }
    out
}

/// The local configuration (embedded store and local media under `dir`, sandbox sender).
async fn local(dir: &Path) -> Ctx {
    let data_dir = dir.display().to_string();
    let config = Config::from_lookup(|k| match k {
        "DATA_DIR" => Some(data_dir.clone()),
        "DEFAULT_PHONE_NUMBER_ID" => Some(PHONE.into()),
        _ => None,
    })
    .unwrap();
    whatsapp_lambda::build_ctx(&config).await.unwrap()
}

fn upload_item(media_id: &str, key: &str) -> MediaUploadItem {
    MediaUploadItem {
        pk: keys::media_upload(media_id),
        item_type: ItemType::MediaUpload,
        media_id: media_id.into(),
        key: key.into(),
        origination_phone_number_id: "sandbox".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        ..Default::default()
    }
}

fn error(answer: &Value) -> &str {
    answer["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn no_key_from_input_reaches_the_database_files() {
    let dir = temp_dir("keys");
    let ctx = local(&dir).await;
    // GIVEN a database with a conversation in it
    action(
        &ctx,
        text_event("s1", "wamid.K1", CUSTOMER, now_secs(), "hi"),
    )
    .await;
    let before = database_files(&dir);
    assert!(!before.is_empty(), "the store wrote nothing under {dir:?}");
    // WHEN every action that takes a key is given each escape
    for key in ESCAPES {
        for request in [
            json!({"action": "upload_media", "s3Key": key}),
            json!({"action": "get_media_url", "key": key}),
            json!({"action": "send_image", "to": CUSTOMER, "s3Key": key, "force": true}),
        ] {
            let answer = action(&ctx, request.clone()).await;
            // THEN each is refused, naming the parameter
            assert_eq!(answer["statusCode"], 400, "{request} → {answer}");
            assert!(
                error(&answer).contains("`s3Key`") || error(&answer).contains("`key`"),
                "{request} → {answer}"
            );
        }
    }
    // AND the database files are as they were, with the message in them
    assert_eq!(database_files(&dir), before);
    assert!(ctx.store().get_message("wamid.K1").await.unwrap().is_some());
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn delete_media_deletes_only_what_this_product_wrote() {
    let dir = temp_dir("delete");
    let ctx = local(&dir).await;
    action(
        &ctx,
        text_event("s1", "wamid.D1", CUSTOMER, now_secs(), "hi"),
    )
    .await;
    // GIVEN upload records naming objects this product did not write (as recorded before keys
    // were checked), and an object under media/ that no download made
    ctx.media()
        .put(
            "media/other/2026-01-01/x.jpg",
            b"theirs".to_vec(),
            "image/jpeg",
        )
        .await
        .unwrap();
    for (id, key) in [
        ("old-1", "table.jsonl"),
        ("old-2", "../table.jsonl"),
        ("old-3", "other-app/data.bin"),
        ("old-4", "media/other/2026-01-01/x.jpg"),
    ] {
        put_item(ctx.store(), &upload_item(id, key)).await.unwrap();
    }
    let before = database_files(&dir);
    for id in ["old-1", "old-2", "old-3", "old-4"] {
        let answer = action(
            &ctx,
            json!({"action": "delete_media", "mediaId": id, "deleteStored": true}),
        )
        .await;
        // THEN each is refused with why, and nothing is deleted
        assert_eq!(answer["statusCode"], 403, "{id}: {answer}");
        assert!(error(&answer).contains("nothing was deleted"), "{answer}");
        assert!(error(&answer).starts_with("deleteStored:"), "{answer}");
    }
    assert_eq!(database_files(&dir), before);
    assert!(ctx.store().get_message("wamid.D1").await.unwrap().is_some());
    assert!(
        ctx.media()
            .head("media/other/2026-01-01/x.jpg")
            .await
            .unwrap()
            .is_some()
    );

    // AND what it wrote itself is deleted on request: an upload from bytes...
    let uploaded = action(
        &ctx,
        json!({"action": "upload_media", "data": "aGVsbG8=", "filename": "hi.txt", "mimeType": "text/plain"}),
    )
    .await;
    assert_eq!(uploaded["statusCode"], 200, "{uploaded}");
    let key = uploaded["data"]["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("uploads/"), "{key}");
    assert!(dir.join("media").join(&key).is_file());
    let answer = action(
        &ctx,
        json!({"action": "delete_media", "mediaId": uploaded["data"]["mediaId"], "deleteStored": true}),
    )
    .await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["data"]["deletedKey"], json!(key));
    assert!(!dir.join("media").join(&key).exists());

    // ...and an inbound copy its MEDIA_DOWNLOAD records, uploaded again by key
    let image = json!({"from": CUSTOMER, "id": "wamid.IMG1", "timestamp": now_secs().to_string(), "type": "image", "image": {"id": "4490709327384033", "mime_type": "image/jpeg"}});
    action(
        &ctx,
        sns_event(&[(
            "s-img",
            envelope(messages_change(CUSTOMER, json!([image]), json!([]))),
        )]),
    )
    .await;
    let copy = ctx
        .store()
        .get_message("wamid.IMG1")
        .await
        .unwrap()
        .unwrap();
    let copy_key = copy.media.unwrap().s3_key.expect("copied on arrival");
    assert!(copy_key.starts_with("media/"), "{copy_key}");
    let sent = action(
        &ctx,
        json!({"action": "send_image", "to": CUSTOMER, "s3Key": copy_key, "force": true}),
    )
    .await;
    assert_eq!(sent["statusCode"], 200, "{sent}");
    let media_id = ctx
        .store()
        .get_message(sent["data"]["waMessageId"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap()
        .media
        .unwrap()
        .id
        .unwrap();
    let answer = action(
        &ctx,
        json!({"action": "delete_media", "mediaId": media_id, "deleteStored": true}),
    )
    .await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert!(!dir.join("media").join(&copy_key).exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn local_media_refuses_every_key_that_leaves_its_root() {
    let dir = temp_dir("local");
    let root = dir.join("media");
    std::fs::create_dir_all(root.join("uploads")).unwrap();
    std::fs::write(dir.join("table.jsonl"), b"the database").unwrap();
    // a link inside the root that leads out of it
    std::os::unix::fs::symlink(&dir, root.join("uploads/out")).unwrap();
    let media = LocalMedia::new(&root);
    // (`table.jsonl` alone stays inside the root: only the lanes refuse it.)
    let mut vectors: Vec<&str> = ESCAPES
        .iter()
        .copied()
        .filter(|k| *k != "table.jsonl")
        .collect();
    vectors.extend(["uploads/out/table.jsonl", "", "uploads/\u{7f}"]);
    for key in vectors {
        assert!(
            media.put(key, b"x".to_vec(), "t/t").await.is_err(),
            "put {key:?}"
        );
        assert!(media.head(key).await.is_err(), "head {key:?}");
        assert!(media.delete(key).await.is_err(), "delete {key:?}");
        assert!(media.presign_get(key, 60).await.is_err(), "presign {key:?}");
    }
    assert_eq!(
        std::fs::read(dir.join("table.jsonl")).unwrap(),
        b"the database"
    );
    // plain keys work
    media
        .put("uploads/2026-01-01/a b.txt", b"ok".to_vec(), "text/plain")
        .await
        .unwrap();
    assert!(
        media
            .head("uploads/2026-01-01/a b.txt")
            .await
            .unwrap()
            .is_some()
    );
    std::fs::remove_dir_all(&dir).ok();
}
