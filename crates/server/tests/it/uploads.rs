//! Uploads and the files they become: streamed to disk under caps, served so that no upload
//! can act as a page of this server, deleted with their room or message, linked from the
//! configured public URL.

use crate::client_support::Session;
use crate::process_support::{Node, create_app};
use crate::raw_http::{head, read_answer};
use crate::support::{Endpoint, TestApp};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A multipart upload form, as the SDKs send it.
pub fn multipart(room: &str, name: &str, media: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----palaverboundary";
    let mut body = Vec::new();
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"roomID\"\r\n\r\n{room}\r\n").as_bytes(),
    );
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nA cat\r\n").as_bytes(),
    );
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fileType\"\r\n\r\nimage\r\n").as_bytes(),
    );
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {media}\r\n\r\n")
            .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `chat/file/download` as `s`.
async fn download(app: &TestApp, s: &Session, room: &str, file_id: &str) -> crate::support::Answer {
    let bearer = format!("Bearer {}", s.access);
    let headers = [("App-Key", app.creds.app_key.as_str()), ("Authorization", bearer.as_str())];
    app.request("POST", "/v1/chat/file/download", &headers, json!({"roomID": room, "fileID": file_id}).to_string())
        .await
}

#[tokio::test]
async fn files_are_uploaded_downloaded_and_limited() {
    let app = TestApp::spawn_with(|s| s.core.max_file_bytes = 1024).await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "hi", "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
    )
    .await;
    let room = crate::client_support::personal(&alice.user_id, &bob.user_id);
    let upload = |s: &crate::client_support::Session, bytes: Vec<u8>| {
        let app = &app;
        let (ct, body) = multipart(&room, "cat.png", "image/png", &bytes);
        let bearer = format!("Bearer {}", s.access);
        async move {
            app.request(
                "POST",
                "/v1/chat/file/upload",
                &[("App-Key", &app.creds.app_key), ("Authorization", &bearer), ("Content-Type", &ct)],
                body,
            )
            .await
            .body
        }
    };
    let png: Vec<u8> = (0..700u32).map(|i| (i % 251) as u8).collect();
    let env = upload(&alice, png.clone()).await;
    assert_eq!(env["status"], 200, "{env}");
    let d = &env["data"];
    assert_eq!(
        (d["mediaType"].clone(), d["size"].clone(), d["caption"].clone()),
        (json!("image/png"), json!(700), json!("A cat"))
    );
    assert_eq!(d["id"], d["fileID"]);
    let file_id = d["fileID"].as_str().unwrap().to_string();

    let got = download(&app, &bob, &room, &file_id).await;
    assert_eq!(got.content_type, "image/png");
    assert_eq!(got.raw.as_ref(), png.as_slice());
    let url = d["fileURL"].as_str().unwrap();
    assert!(url.starts_with(&format!("http://{}/v1/files/", app.addr)), "{url}");
    let public = app.request("GET", &url[url.find("/v1/").unwrap()..], &[], "").await;
    assert_eq!(public.raw.as_ref(), png.as_slice());

    let too_big = upload(&alice, vec![0u8; 2000]).await;
    assert_eq!(too_big["error"]["message"], "The file is larger than 1024 bytes");
    assert_eq!(upload(&carol, png).await["error"]["code"], "40301", "only participants share files");
    let denied = download(&app, &carol, &room, &file_id).await;
    assert_eq!(denied.content_type, "application/json", "errors stay JSON envelopes");
    assert_eq!(denied.body["error"]["code"], "40301");
}

/// Uploads `bytes` as `s` into `room`; returns the envelope.
async fn upload(api: &Endpoint, s: &Session, room: &str, name: &str, media: &str, bytes: &[u8]) -> Value {
    let (ct, body) = multipart(room, name, media, bytes);
    let bearer = format!("Bearer {}", s.access);
    let headers = [("App-Key", api.creds.app_key.as_str()), ("Authorization", bearer.as_str()), ("Content-Type", &ct)];
    api.request("POST", "/v1/chat/file/upload", &headers, body).await.body
}

/// A group room of the given users, by the Server API; returns its TapTalk id.
async fn group(app: &Endpoint, xc: &str, members: &[&str]) -> String {
    let d = app
        .server_ok(
            "/v1/server/room/create_or_update",
            json!({"xcRoomID": xc, "name": xc, "type": 2, "participantXCUserIDs": members}),
        )
        .await;
    d["room"]["roomID"].as_str().unwrap_or_else(|| panic!("room id in {d}")).to_string()
}

#[tokio::test]
async fn files_that_a_browser_would_run_are_served_as_sandboxed_attachments() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let room = group(&app, "files", &["alice"]).await;
    let page = b"<html><script>alert(document.cookie)</script></html>";
    for (name, media, disposition) in [
        ("x.html", "text/html", "attachment"),
        ("x.svg", "image/svg+xml", "attachment"),
        ("x.xhtml", "application/xhtml+xml", "attachment"),
        ("x.js", "text/javascript", "attachment"),
        ("x.pdf", "application/pdf", "attachment"),
        ("cat.png", "image/png", "inline"),
    ] {
        let env = upload(&app, &alice, &room, name, media, page).await;
        assert_eq!(env["status"], 200, "{env}");
        let url = env["data"]["fileURL"].as_str().unwrap();
        let got = app.request("GET", &url[url.find("/v1/").unwrap()..], &[], "").await;
        assert_eq!(got.raw.as_ref(), page, "{name}");
        assert_eq!(got.header("x-content-type-options"), "nosniff", "{name}");
        assert_eq!(got.header("content-security-policy"), "default-src 'none'; sandbox", "{name}");
        assert!(
            got.header("content-disposition").starts_with(disposition),
            "{name}: {}",
            got.header("content-disposition")
        );
    }
}

#[tokio::test]
async fn file_urls_come_from_the_configured_public_url_never_from_request_headers() {
    let app = TestApp::spawn_with(|s| s.public_url = Some("https://chat.example.com".into())).await;
    let alice = app.login("alice", "Alice").await;
    let room = group(&app, "files", &["alice"]).await;
    let (ct, body) = multipart(&room, "cat.png", "image/png", b"png");
    let bearer = format!("Bearer {}", alice.access);
    let headers = [
        ("App-Key", app.creds.app_key.as_str()),
        ("Authorization", bearer.as_str()),
        ("Content-Type", ct.as_str()),
        ("Host", "evil.example"),
        ("X-Forwarded-Proto", "javascript"),
    ];
    let env = app.request("POST", "/v1/chat/file/upload", &headers, body).await.body;
    let url = env["data"]["fileURL"].as_str().unwrap();
    assert!(url.starts_with("https://chat.example.com/v1/files/"), "{url}");
}

#[tokio::test]
async fn deleting_a_room_or_a_message_for_everyone_deletes_its_files() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let d = app.client_ok(&alice, "/v1/client/room/create", json!({"name": "Files", "type": 2, "userIDs": []})).await;
    let room = d["room"]["roomID"].as_str().unwrap().to_string();
    let files_dir = app.dir.path().join("files");
    let stored = || walk(&files_dir);

    let kept = upload(&app, &alice, &room, "kept.png", "image/png", b"kept").await["data"].clone();
    let shared = upload(&app, &alice, &room, "shared.png", "image/png", b"shared").await["data"].clone();
    let data = json!({"fileID": shared["fileID"], "fileURL": shared["fileURL"]}).to_string();
    app.client_ok(
        &alice,
        "/v1/chat/message/send/custom",
        json!({"roomID": room, "messageType": 1002, "body": "a picture", "data": data, "localID": "pic-1"}),
    )
    .await;
    let history = app
        .client_ok(
            &alice,
            "/v1/chat/message/list_by_room/before",
            json!({"roomID": room, "maxCreated": 0, "limit": 10}),
        )
        .await;
    let message = history["messages"].as_array().unwrap().iter().find(|m| m["localID"] == "pic-1").unwrap().clone();
    assert_eq!(stored().len(), 2);
    app.client_ok(
        &alice,
        "/v1/chat/message/delete",
        json!({"roomID": room, "messageIDs": [message["messageID"]], "forEveryone": true}),
    )
    .await;
    let path = |f: &Value| {
        let u = f["fileURL"].as_str().unwrap();
        u[u.find("/v1/").unwrap()..].to_string()
    };
    assert_eq!(app.request("GET", &path(&shared), &[], "").await.body["error"]["code"], "40401");
    assert_eq!(app.request("GET", &path(&kept), &[], "").await.http, 200, "a file no message shares stays");
    assert_eq!(stored().len(), 1, "the shared file's bytes are gone");

    let checksum = crate::client_support::room_delete_checksum(&app, &alice, &room).await;
    app.client_ok(&alice, "/v1/client/room/delete", json!({"roomID": room, "checksum": checksum})).await;
    assert_eq!(app.request("GET", &path(&kept), &[], "").await.body["error"]["code"], "40401");
    assert!(stored().is_empty(), "a deleted room's files are gone: {:?}", stored());
}

/// Every regular file under `dir`, recursively (uploads in progress excluded).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "incoming") {
                out.extend(walk(&path));
            }
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn uploads_in_progress_are_capped_per_user() {
    let app = TestApp::spawn_with(|s| s.core.max_uploads_per_user = 1).await;
    let alice = app.login("alice", "Alice").await;
    let room = group(&app, "files", &["alice"]).await;
    // The first upload sends its head and half its file, then waits.
    let (ct, body) = multipart(&room, "big.bin", "application/octet-stream", &vec![7u8; 200_000]);
    let bearer = format!("Bearer {}", alice.access);
    let headers =
        [("App-Key", app.creds.app_key.as_str()), ("Authorization", bearer.as_str()), ("Content-Type", ct.as_str())];
    let mut first = TcpStream::connect(app.addr).await.unwrap();
    first.write_all(&head("POST", "/v1/chat/file/upload", &headers, body.len())).await.unwrap();
    first.write_all(&body[..100_000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = upload(&app, &alice, &room, "small.png", "image/png", b"png").await;
    assert_eq!((second["status"].clone(), second["error"]["code"].clone()), (json!(429), json!("42900")), "{second}");
    first.write_all(&body[100_000..]).await.unwrap();
    let a = read_answer(&mut first, Duration::from_secs(10)).await.unwrap();
    assert_eq!(a.json()["status"], 200, "{:?}", a.json());
    assert_eq!(
        upload(&app, &alice, &room, "small.png", "image/png", b"png").await["status"],
        200,
        "the place is free again"
    );
}

/// The resident memory of a process, bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_large_uploads_stream_to_disk_without_growing_memory() {
    const SIZE: usize = 25 * 1024 * 1024 - 4096;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let creds = create_app(&["--data-dir", &data_dir]);
    let node = Node::start(&["--data-dir".to_string(), data_dir]);
    let api = Endpoint::new(node.addr, creds);
    let names: Vec<String> = (0..8).map(|i| format!("u{i}")).collect();
    let mut sessions = Vec::new();
    for n in &names {
        sessions.push(api.login(n, n).await);
    }
    let room = group(&api, "big", &names.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let before = rss(node.pid());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampling = tokio::spawn({
        let (pid, peak) = (node.pid(), peak.clone());
        async move {
            loop {
                peak.fetch_max(rss(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let answers = join_all(sessions.iter().flat_map(|s| [s, s]).enumerate().map(|(i, s)| {
        let (api, room) = (&api, &room);
        async move {
            let (ct, mut form) = multipart(room, &format!("f{i}.bin"), "application/octet-stream", b"");
            let tail = form.split_off(form.len() - "\r\n------palaverboundary--\r\n".len());
            let bearer = format!("Bearer {}", s.access);
            let headers = [
                ("App-Key", api.creds.app_key.as_str()),
                ("Authorization", bearer.as_str()),
                ("Content-Type", ct.as_str()),
            ];
            let mut socket = TcpStream::connect(api.addr).await.unwrap();
            socket
                .write_all(&head("POST", "/v1/chat/file/upload", &headers, form.len() + SIZE + tail.len()))
                .await
                .unwrap();
            socket.write_all(&form).await.unwrap();
            let chunk = vec![i as u8; 64 * 1024];
            let mut sent = 0;
            while sent < SIZE {
                let n = chunk.len().min(SIZE - sent);
                socket.write_all(&chunk[..n]).await.unwrap();
                sent += n;
            }
            socket.write_all(&tail).await.unwrap();
            read_answer(&mut socket, Duration::from_secs(120)).await.unwrap().json()
        }
    }))
    .await;
    sampling.abort();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed).max(rss(node.pid()));
    for a in &answers {
        assert_eq!((a["status"].clone(), a["data"]["size"].clone()), (json!(200), json!(SIZE)), "{a}");
    }
    let growth = peak.saturating_sub(before) as f64 / (1024.0 * 1024.0);
    assert!(growth < 64.0, "the server grew by {growth:.1} MiB during 16 uploads of 25 MiB");
}

/// The first bytes of a PNG of the given size: signature and header chunk.
fn png_head(width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[tokio::test]
async fn a_personal_room_without_messages_takes_uploads_and_images_tell_their_size() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) =
        (app.login("alice", "Alice").await, app.login("bob", "Bob").await, app.login("carol", "Carol").await);
    let room = crate::client_support::personal(&alice.user_id, &bob.user_id);
    let a = upload(&app, &alice, &room, "cat.png", "image/png", &png_head(640, 480)).await;
    assert_eq!(
        (a["status"].clone(), a["data"]["width"].clone(), a["data"]["height"].clone()),
        (json!(200), json!(640), json!(480)),
        "{a}"
    );
    let b = upload(&app, &bob, &room, "notes.txt", "text/plain", b"hello").await;
    assert_eq!(
        (b["status"].clone(), b["data"]["width"].clone(), b["data"]["height"].clone()),
        (json!(200), json!(0), json!(0)),
        "{b}"
    );
    let c = upload(&app, &carol, &room, "cat.png", "image/png", &png_head(1, 1)).await;
    assert_eq!(c["error"]["code"], "40301", "only its two users share files in a personal room: {c}");

    app.client_ok(&carol, "/v1/client/contact/block", json!({"userID": alice.user_id})).await;
    let blocked = crate::client_support::personal(&alice.user_id, &carol.user_id);
    let d = upload(&app, &alice, &blocked, "cat.png", "image/png", &png_head(1, 1)).await;
    assert_eq!(d["error"]["code"], "40301", "not between users one of whom blocked the other: {d}");
}
