//! `client/user/update_bio`, `client/user/photo/*`, `client/room/photo/upload`,
//! `client/user/exists/username` and `client/chat_report/*`.

use crate::client_support::{Session, personal};
use crate::support::{TestApp, assert_error};
use serde_json::{Value, json};

/// The start of a PNG image of `w` x `h` pixels (enough for its size to be read), padded.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend(w.to_be_bytes());
    b.extend(h.to_be_bytes());
    b.extend([8, 6, 0, 0, 0]);
    b.extend((0..200u32).map(|i| (i % 251) as u8));
    b
}

/// A multipart form with text fields and, optionally, a file `(name, media type, bytes)`.
fn form(texts: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----palaverprofile";
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    if let Some((name, media, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {media}\r\n\r\n"
            )
            .bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs a multipart form to `path` as `s`; returns the envelope.
async fn post_form(app: &TestApp, s: &Session, path: &str, (ct, body): (String, Vec<u8>)) -> Value {
    let bearer = format!("Bearer {}", s.access);
    let headers = [("App-Key", app.creds.app_key.as_str()), ("Authorization", bearer.as_str()), ("Content-Type", &ct)];
    let a = app.request("POST", path, &headers, body).await;
    assert_eq!(a.http, 200, "{path}: {}", a.body);
    a.body
}

/// Uploads a profile photo as Android does (with `fileType=image`).
async fn upload_photo(app: &TestApp, s: &Session, media: &str, bytes: &[u8]) -> Value {
    post_form(app, s, "/v1/client/user/photo/upload", form(&[("fileType", "image")], Some(("me.png", media, bytes))))
        .await
}

/// Uploads a room photo.
async fn upload_room_photo(app: &TestApp, s: &Session, room: &str, media: &str, bytes: &[u8]) -> Value {
    post_form(app, s, "/v1/client/room/photo/upload", form(&[("roomID", room)], Some(("g.png", media, bytes)))).await
}

/// The files stored for the default app.
fn stored_files(app: &TestApp) -> usize {
    let dir = app.dir.path().join("files").join(app.creds.app_id.to_string());
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// The path of a URL this server handed out.
fn path_of(url: &str) -> &str {
    &url[url.find("/v1/").expect("a file URL")..]
}

#[tokio::test]
async fn the_bio_is_set_cleared_and_capped() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let d = app.client_ok(&alice, "/v1/client/user/update_bio", json!({"bio": "Cat person"})).await;
    assert_eq!((d["user"]["bio"].clone(), d["user"]["userID"].clone()), (json!("Cat person"), json!(alice.user_id)));
    crate::taptalk_server_users::assert_user_shape(&d["user"]);
    let d = app.client_ok(&bob, "/v1/client/user/get_by_id", json!({"id": alice.user_id})).await;
    assert_eq!(d["user"]["bio"], "Cat person");

    let env = app.client(&alice, "/v1/client/user/update_bio", json!({"bio": "x".repeat(1001)})).await;
    assert_error(&env, 400, "40002", "Param 'bio' is longer than 1000 characters", "bio");
    let env = app.client(&alice, "/v1/client/user/update_bio", json!({})).await;
    assert_error(&env, 400, "40002", "Param 'bio' is required", "bio");
    let env = app.client(&alice, "/v1/client/user/update_bio", json!({"bio": ["no"]})).await;
    assert_eq!(env["error"]["field"], "bio");
    let d = app.client_ok(&bob, "/v1/client/user/get_by_id", json!({"id": alice.user_id})).await;
    assert_eq!(d["user"]["bio"], "Cat person", "refusals change nothing");
    let d = app.client_ok(&alice, "/v1/client/user/update_bio", json!({"bio": ""})).await;
    assert_eq!(d["user"]["bio"], "");
}

#[tokio::test]
async fn profile_photos_are_uploaded_listed_made_main_and_deleted() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let first = png(40, 30);
    let env = upload_photo(&app, &alice, "image/png", &first).await;
    assert_eq!(env["status"], 200, "{env}");
    let url1 = env["data"]["user"]["imageURL"]["fullsize"].as_str().unwrap().to_string();
    assert!(url1.starts_with(&format!("http://{}/v1/files/", app.addr)), "{url1}");
    assert_eq!(env["data"]["user"]["imageURL"]["thumbnail"], url1.as_str());
    let served = app.request("GET", path_of(&url1), &[], "").await;
    assert_eq!((served.raw.as_ref(), served.content_type.as_str()), (first.as_slice(), "image/png"));
    let env = upload_photo(&app, &alice, "image/png", &png(10, 10)).await;
    let url2 = env["data"]["user"]["imageURL"]["fullsize"].as_str().unwrap().to_string();
    assert_ne!(url1, url2);

    // Anyone of the app reads the list, newest first.
    let d = app.client_ok(&bob, "/v1/client/user/photo/get_list", json!({"userID": alice.user_id})).await;
    let photos = d["photos"].as_array().unwrap().clone();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0]["fullsizeImageURL"], url2.as_str());
    assert_eq!(photos[1]["thumbnailImageURL"], url1.as_str());
    assert!(photos[0]["id"].is_i64() && photos[0]["createdTime"].as_i64().unwrap() > 0, "{d}");
    let (id1, id2) = (photos[1]["id"].clone(), photos[0]["id"].clone());
    let d = app.client_ok(&bob, "/v1/client/user/photo/get_list", json!({"userID": bob.user_id})).await;
    assert_eq!(d["photos"], json!([]));

    let d = app.client_ok(&alice, "/v1/client/user/photo/set_main", json!({"id": id1})).await;
    assert_eq!(d["user"]["imageURL"]["fullsize"], url1.as_str());
    // Deleting the main photo makes the newest remaining one main; its file goes.
    let created = photos[1]["createdTime"].clone();
    let d = app.client_ok(&alice, "/v1/client/user/photo/delete", json!({"id": id1, "createdTime": created})).await;
    assert_eq!(d["user"]["imageURL"]["fullsize"], url2.as_str());
    assert_eq!(app.request("GET", path_of(&url1), &[], "").await.body["error"]["code"], "40401");
    // Deleting another photo leaves the main one.
    let env = upload_photo(&app, &alice, "image/png", &png(5, 5)).await;
    let url3 = env["data"]["user"]["imageURL"]["fullsize"].as_str().unwrap().to_string();
    app.client_ok(&alice, "/v1/client/user/photo/set_main", json!({"id": id2.to_string()})).await;
    let list = app.client_ok(&alice, "/v1/client/user/photo/get_list", json!({"userID": alice.user_id})).await;
    let id3 = list["photos"][0]["id"].clone();
    let d = app.client_ok(&alice, "/v1/client/user/photo/delete", json!({"id": id3})).await;
    assert_eq!(d["user"]["imageURL"]["fullsize"], url2.as_str());
    assert_eq!(app.request("GET", path_of(&url3), &[], "").await.body["error"]["code"], "40401");
    // The last one gone, the profile has no picture.
    let d = app.client_ok(&alice, "/v1/client/user/photo/delete", json!({"id": id2})).await;
    assert_eq!(d["user"]["imageURL"], json!({"thumbnail": "", "fullsize": ""}));
    let d = app.client_ok(&alice, "/v1/client/user/photo/get_list", json!({"userID": alice.user_id})).await;
    assert_eq!(d["photos"], json!([]));
    assert_eq!(stored_files(&app), 0);
}

#[tokio::test]
async fn profile_photos_refuse_non_images_others_photos_and_bad_ids() {
    let app = TestApp::spawn_with(|s| s.core.max_file_bytes = 4096).await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let env = upload_photo(&app, &alice, "image/png", &png(8, 8)).await;
    assert_eq!(env["status"], 200, "{env}");
    let main = env["data"]["user"]["imageURL"].clone();
    let list = app.client_ok(&alice, "/v1/client/user/photo/get_list", json!({"userID": alice.user_id})).await;
    let id = list["photos"][0]["id"].clone();

    // The SDKs learn the photo size limit from the project configs.
    let headers = [("App-Key", app.creds.app_key.as_str()), ("Authorization", "")];
    let cfg = app.request("POST", "/v1/client/project_configs", &headers, "\"\"").await;
    assert_eq!(cfg.body["data"]["core"]["userPhotoMaxFileSize"], "4096", "{}", cfg.body);
    assert_eq!(cfg.body["data"]["core"]["roomPhotoMaxFileSize"], "4096");

    let env = upload_photo(&app, &alice, "text/plain", b"hello").await;
    assert_error(&env, 400, "40002", "The file is not an image", "file");
    let env = upload_photo(&app, &alice, "image/png", b"not really a png").await;
    assert_error(&env, 400, "40002", "The file is not an image", "file");
    let env = upload_photo(&app, &alice, "image/svg+xml", b"<svg width=\"10\" height=\"10\"></svg>").await;
    assert_error(&env, 400, "40002", "The file is not an image", "file");
    let mut big = png(8, 8);
    big.resize(5000, 0);
    let env = upload_photo(&app, &alice, "image/png", &big).await;
    assert_error(&env, 400, "40002", "The file is larger than 4096 bytes", "file");
    let env = post_form(&app, &alice, "/v1/client/user/photo/upload", form(&[("fileType", "image")], None)).await;
    assert_error(&env, 400, "40002", "Param 'file' is required", "file");
    let env = app.client(&alice, "/v1/client/user/photo/upload", json!({"file": "x"})).await;
    assert_error(&env, 400, "40002", "The request is not multipart/form-data", "file");

    // Only the owner's photos.
    let env = app.client(&bob, "/v1/client/user/photo/set_main", json!({"id": id})).await;
    assert_error(&env, 404, "40401", "Photo is not found", "");
    let env = app.client(&bob, "/v1/client/user/photo/delete", json!({"id": id, "createdTime": 1})).await;
    assert_error(&env, 404, "40401", "Photo is not found", "");
    let env = app.client(&alice, "/v1/client/user/photo/delete", json!({"id": 424242})).await;
    assert_error(&env, 404, "40401", "Photo is not found", "");
    let env = app.client(&alice, "/v1/client/user/photo/set_main", json!({"id": "abc"})).await;
    assert_eq!((env["error"]["code"].clone(), env["error"]["field"].clone()), (json!("40002"), json!("id")));
    let env = app.client(&alice, "/v1/client/user/photo/delete", json!({})).await;
    assert_error(&env, 400, "40002", "Param 'id' is required", "id");
    let env = app.client(&alice, "/v1/client/user/photo/get_list", json!({"userID": "424242"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");
    let env = app.client(&alice, "/v1/client/user/photo/get_list", json!({})).await;
    assert_error(&env, 400, "40002", "Param 'userID' is required", "userID");

    // Nothing was written by any refusal.
    let after = app.client_ok(&alice, "/v1/client/user/photo/get_list", json!({"userID": alice.user_id})).await;
    assert_eq!(after, list);
    let me = app.client_ok(&bob, "/v1/client/user/get_by_id", json!({"id": alice.user_id})).await;
    assert_eq!(me["user"]["imageURL"], main);
    assert_eq!(stored_files(&app), 1);
    assert_eq!(std::fs::read_dir(app.dir.path().join("files").join("incoming")).unwrap().count(), 0);
}

#[tokio::test]
async fn a_group_photo_is_set_by_its_admins_and_announced() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let d = app
        .client_ok(&alice, "/v1/client/room/create", json!({"name": "Team", "type": 2, "userIDs": [bob.user_id]}))
        .await;
    let room = d["room"]["roomID"].as_str().unwrap().to_string();
    let mut b = app.ws(&bob).await;
    let env = upload_room_photo(&app, &alice, &room, "image/png", &png(64, 64)).await;
    assert_eq!(env["status"], 200, "{env}");
    let url = env["data"]["room"]["imageURL"]["fullsize"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("http://{}/v1/files/", app.addr)), "{url}");
    assert_eq!(env["data"]["room"]["roomID"], room.as_str());
    loop {
        let m = b.expect("chat/sendMessage").await;
        if m["type"] == 9001 && m["action"] == "room/update" {
            assert_eq!(m["room"]["imageURL"]["fullsize"], url.as_str(), "{m}");
            break;
        }
    }
    let d = app.client_ok(&bob, "/v1/client/room/get", json!({"roomID": room})).await;
    assert_eq!(d["room"]["imageURL"]["fullsize"], url.as_str());

    let png = png(4, 4);
    let env = upload_room_photo(&app, &bob, &room, "image/png", &png).await;
    assert_error(&env, 403, "40301", "Only an admin of the room can do this", "");
    let env = upload_room_photo(&app, &carol, &room, "image/png", &png).await;
    assert_error(&env, 403, "40301", "You are not a participant of this room", "");
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "hi", "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
    )
    .await;
    let env = upload_room_photo(&app, &alice, &personal(&alice.user_id, &bob.user_id), "image/png", &png).await;
    assert_eq!(env["error"]["code"], "40301", "{env}");
    let env = upload_room_photo(&app, &alice, "424242", "image/png", &png).await;
    assert_error(&env, 404, "40401", "Room is not found", "");
    let env = upload_room_photo(&app, &alice, "room-one", "image/png", &png).await;
    assert_error(&env, 400, "40002", "Param 'roomID' is not a room ID", "roomID");
    let env =
        post_form(&app, &alice, "/v1/client/room/photo/upload", form(&[], Some(("g.png", "image/png", &png)))).await;
    assert_error(&env, 400, "40002", "Param 'roomID' is required", "roomID");
    let env = post_form(&app, &alice, "/v1/client/room/photo/upload", form(&[("roomID", &room)], None)).await;
    assert_error(&env, 400, "40002", "Param 'file' is required", "file");
    let env = upload_room_photo(&app, &alice, &room, "application/pdf", b"%PDF-1.4").await;
    assert_error(&env, 400, "40002", "The file is not an image", "file");
    let d = app.client_ok(&alice, "/v1/client/room/get", json!({"roomID": room})).await;
    assert_eq!(d["room"]["imageURL"]["fullsize"], url.as_str(), "refusals change nothing");
    assert_eq!(stored_files(&app), 1);
}

#[tokio::test]
async fn username_existence_is_answered() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "bob", "fullName": "Bob", "username": "BobTheBuilder"}))
        .await;
    let ask = |name: &str, ignore_case: bool| {
        let (app, alice) = (&app, &alice);
        let body = json!({"username": name, "ignoreCase": ignore_case});
        async move { app.client_ok(alice, "/v1/client/user/exists/username", body).await["exists"].clone() }
    };
    assert_eq!(ask("BobTheBuilder", false).await, true);
    assert_eq!(ask("bobthebuilder", true).await, true);
    assert_eq!(ask("bobthebuilder", false).await, false);
    assert_eq!(ask("nobody", true).await, false);
    let env = app.client(&alice, "/v1/client/user/exists/username", json!({})).await;
    assert_error(&env, 400, "40002", "Param 'username' is required", "username");
}

#[tokio::test]
async fn users_and_messages_are_reported_by_those_who_can_see_them() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let d = app.client_ok(&alice, "/v1/client/user/get_by_id", json!({"id": bob.user_id})).await;
    assert_eq!(d["user"]["xcUserID"], "bob");
    let report = json!({"userID": bob.user_id, "category": "Spam", "isOtherCategory": false, "reason": "Ads"});
    let d = app.client_ok(&alice, "/v1/client/chat_report/submit_user", report).await;
    assert_eq!(d["success"], true);
    assert!(!d["message"].as_str().unwrap().is_empty());

    let sent = app
        .server_ok(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": "buy now", "senderXCUserID": "bob", "recipientXCUserID": "alice"}),
        )
        .await;
    let room = personal(&alice.user_id, &bob.user_id);
    let messages = app
        .client_ok(&alice, "/v1/chat/message/list_by_room/before", json!({"roomID": room, "maxCreated": 0, "limit": 5}))
        .await;
    let message_id =
        messages["messages"][0]["messageID"].as_str().unwrap_or_else(|| panic!("{sent} {messages}")).to_string();
    let about = |room: &str, message: &str| json!({"messageID": message, "roomID": room, "category": "Scam", "isOtherCategory": true, "reason": "Fraud"});
    let d = app.client_ok(&alice, "/v1/client/chat_report/submit_message", about(&room, &message_id)).await;
    assert_eq!(d["success"], true);

    // Refusals.
    let env = app.client(&carol, "/v1/client/chat_report/submit_message", about(&room, &message_id)).await;
    assert_error(&env, 403, "40301", "You are not a participant of this room", "");
    let d = app
        .client_ok(&carol, "/v1/client/room/create", json!({"name": "Other", "type": 2, "userIDs": [alice.user_id]}))
        .await;
    let other = d["room"]["roomID"].as_str().unwrap().to_string();
    let env = app.client(&alice, "/v1/client/chat_report/submit_message", about(&other, &message_id)).await;
    assert_error(&env, 404, "40401", "Message is not found", "");
    let env = app.client(&alice, "/v1/client/chat_report/submit_message", about(&room, "424242")).await;
    assert_error(&env, 404, "40401", "Message is not found", "");
    let env = app.client(&alice, "/v1/client/chat_report/submit_message", about("424242", &message_id)).await;
    assert_error(&env, 404, "40401", "Room is not found", "");
    let env = app.client(&alice, "/v1/client/chat_report/submit_message", about(&room, "m-1")).await;
    assert_error(&env, 400, "40002", "Param 'messageID' must be a message ID", "messageID");
    let env =
        app.client(&alice, "/v1/client/chat_report/submit_message", json!({"roomID": room, "category": "x"})).await;
    assert_error(&env, 400, "40002", "Param 'messageID' is required", "messageID");
    let env =
        app.client(&alice, "/v1/client/chat_report/submit_user", json!({"userID": "424242", "category": "Spam"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");
    let env =
        app.client(&alice, "/v1/client/chat_report/submit_user", json!({"userID": "bob", "category": "Spam"})).await;
    assert_error(&env, 400, "40002", "Param 'userID' must be a user ID", "userID");
    let env = app
        .client(&alice, "/v1/client/chat_report/submit_user", json!({"userID": alice.user_id, "category": "Spam"}))
        .await;
    assert_error(&env, 400, "40002", "Param 'userID' must name another user", "userID");
    let env = app.client(&alice, "/v1/client/chat_report/submit_user", json!({"userID": bob.user_id})).await;
    assert_error(&env, 400, "40002", "Param 'category' is required", "category");
    let long = json!({"userID": bob.user_id, "category": "Spam", "reason": "x".repeat(2001)});
    let env = app.client(&alice, "/v1/client/chat_report/submit_user", long).await;
    assert_error(&env, 400, "40002", "Param 'reason' is longer than 2000 characters", "reason");

    // Stored, newest first; refusals stored nothing.
    let reports = app.core.reports(app.core_app(), 10).await.unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].report.category, "Scam");
    assert!(reports[0].report.is_other_category);
    assert_eq!((reports[0].reporter_external_id.as_str(), reports[0].user_external_id.as_str()), ("alice", "bob"));
    assert_eq!((reports[1].report.reason.as_str(), reports[1].user_external_id.as_str()), ("Ads", "bob"));
}
