//! `client/user/*`, `client/contact/*` and files.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn users_are_found_by_id_xc_id_username_and_in_bulk() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "bob", "fullName": "Bob", "username": "BobTheBuilder"}))
        .await;
    let d = app.client_ok(&alice, "/v1/client/user/get_by_id", json!({"id": bob.user_id})).await;
    assert_eq!(d["user"]["xcUserID"], "bob");
    crate::taptalk_server_users::assert_user_shape(&d["user"]);
    let d = app.client_ok(&alice, "/v1/client/user/get_by_xcuserid", json!({"xcUserID": "bob"})).await;
    assert_eq!(d["user"]["userID"], bob.user_id.as_str());
    let d = app
        .client_ok(&alice, "/v1/client/user/get_by_username", json!({"username": "bobthebuilder", "ignoreCase": true}))
        .await;
    assert_eq!(d["user"]["userID"], bob.user_id.as_str());
    let env = app
        .client(&alice, "/v1/client/user/get_by_username", json!({"username": "bobthebuilder", "ignoreCase": false}))
        .await;
    assert_eq!(env["error"]["code"], "40401");
    let d = app
        .client_ok(&alice, "/v1/client/user/get_all_by_ids", json!({"ids": [alice.user_id, bob.user_id, "424242"]}))
        .await;
    assert_eq!(d["users"].as_array().unwrap().len(), 2);
    let env = app.client(&alice, "/v1/client/user/get_by_id", json!({"id": "not-a-number"})).await;
    assert_eq!(env["error"], json!({"code": "40002", "message": "Param 'id' must be a user ID", "field": "id"}));
}

#[tokio::test]
async fn contacts_are_one_way_and_blocking_is_told_to_the_blockers_sessions() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "carol", "fullName": "Carol", "phone": "6281111"}))
        .await;
    let d = app.client_ok(&alice, "/v1/client/contact/add", json!({"userID": bob.user_id})).await;
    assert_eq!((d["success"].clone(), d["user"]["userID"].clone()), (json!(true), json!(bob.user_id)));
    let d = app.client_ok(&alice, "/v1/client/contact/add_by_phones", json!({"phones": ["6281111", "000"]})).await;
    assert_eq!(d["users"][0]["xcUserID"], "carol");
    let list = app.client_ok(&alice, "/v1/client/contact/list", json!("")).await;
    let names: Vec<&str> =
        list["contacts"].as_array().unwrap().iter().map(|c| c["user"]["fullname"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Bob", "Carol"]);
    assert_eq!(list["contacts"][0]["user"]["isContact"], true);
    assert!(
        app.client_ok(&bob, "/v1/client/contact/list", json!("")).await["contacts"].as_array().unwrap().is_empty(),
        "one-way"
    );
    let d = app.client_ok(&alice, "/v1/client/contact/remove", json!({"userID": bob.user_id})).await;
    assert_eq!(d["success"], true);

    let mut a = app.ws(&alice).await;
    let d = app.client_ok(&alice, "/v1/client/contact/block", json!({"userID": bob.user_id})).await;
    assert_eq!(d["user"]["userID"], bob.user_id.as_str());
    assert_eq!(a.expect("user/block").await["user"]["userID"], bob.user_id.as_str());
    let d = app.client_ok(&alice, "/v1/client/contact/get_blocked_list", json!("")).await;
    assert_eq!(d["blockedContacts"][0]["userID"], bob.user_id.as_str());
    assert_eq!(d["users"], d["blockedContacts"]);
    let d = app.client_ok(&alice, "/v1/client/contact/get_blocked_user_ids", json!("")).await;
    assert_eq!(d["blockedUserIDs"], json!([bob.user_id]));
    app.client_ok(&alice, "/v1/client/contact/unblock", json!({"userID": bob.user_id})).await;
    a.expect("user/unblock").await;
    assert_eq!(
        app.client_ok(&alice, "/v1/client/contact/get_blocked_user_ids", json!("")).await["blockedUserIDs"],
        json!([])
    );
}

fn multipart(room: &str, name: &str, media: &str, bytes: &[u8]) -> (String, Vec<u8>) {
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

    let bearer = format!("Bearer {}", bob.access);
    let got = app
        .request(
            "POST",
            "/v1/chat/file/download",
            &[("App-Key", &app.creds.app_key), ("Authorization", &bearer)],
            json!({"roomID": room, "fileID": file_id}).to_string(),
        )
        .await;
    assert_eq!(got.content_type, "image/png");
    assert_eq!(got.raw.as_ref(), png.as_slice());
    let url = d["fileURL"].as_str().unwrap();
    assert!(url.starts_with(&format!("http://{}/v1/files/", app.addr)), "{url}");
    let public = app.request("GET", &url[url.find("/v1/").unwrap()..], &[], "").await;
    assert_eq!(public.raw.as_ref(), png.as_slice());

    let too_big = upload(&alice, vec![0u8; 2000]).await;
    assert_eq!(too_big["error"]["message"], "The file is larger than 1024 bytes");
    assert_eq!(upload(&carol, png).await["error"]["code"], "40301", "only participants share files");
    let bearer = format!("Bearer {}", carol.access);
    let denied = app
        .request(
            "POST",
            "/v1/chat/file/download",
            &[("App-Key", &app.creds.app_key), ("Authorization", &bearer)],
            json!({"roomID": room, "fileID": file_id}).to_string(),
        )
        .await;
    assert_eq!(denied.content_type, "application/json", "errors stay JSON envelopes");
    assert_eq!(denied.body["error"]["code"], "40301");
}
