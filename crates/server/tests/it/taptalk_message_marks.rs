//! `chat/message/*` marks and details: stars (each user's own), pins (the room's, announced
//! by system messages carrying the message), read counts and receipts with their times, and
//! `chat/room/get_shared_content`.

use crate::client_support::{Session, Ws, body_of, sdk_message};
use crate::support::TestApp;
use serde_json::{Value, json};

async fn group(app: &TestApp, owner: &Session, members: &[&Session]) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let d = app.client_ok(owner, "/v1/client/room/create", json!({"name": "Team", "type": 2, "userIDs": ids})).await;
    d["room"]["roomID"].as_str().unwrap().to_string()
}

/// Sends a message of `kind` with plaintext `data` into a group; returns its id.
async fn send(ws: &mut Ws, room: &str, kind: i64, data: &str, local_id: &str) -> String {
    let mut m = sdk_message(room, 2, "text", local_id);
    m["type"] = json!(kind);
    if !data.is_empty() {
        m["data"] = json!(palaver_taptalk::crypto::encrypt(data, local_id));
    }
    ws.send("chat/sendMessage", m).await;
    loop {
        let m = ws.expect("chat/sendMessage").await;
        if m["localID"] == local_id {
            return m["messageID"].as_str().unwrap().to_string();
        }
    }
}

fn code(env: &Value) -> String {
    env["error"]["code"].as_str().unwrap_or_default().to_string()
}

/// The next system message with this action on `ws`.
async fn system(ws: &mut Ws, action: &str) -> Value {
    loop {
        let m = ws.expect("chat/sendMessage").await;
        if m["type"] == 9001 && m["action"] == action {
            return m;
        }
    }
}

#[tokio::test]
async fn stars_are_each_users_own_and_page() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let dave = app.login("dave", "Dave").await;
    let room = group(&app, &alice, &[&bob]).await;
    let other = group(&app, &alice, &[&dave]).await;
    let mut a = app.ws(&alice).await;
    let (m1, m2) = (send(&mut a, &room, 1001, "", "s-1").await, send(&mut a, &room, 1001, "", "s-2").await);
    let elsewhere = send(&mut a, &other, 1001, "", "s-3").await;

    let d = app
        .client_ok(&bob, "/v1/chat/message/star", json!({"roomID": room, "messageIDs": [m1, m2, elsewhere, "424242"]}))
        .await;
    assert_eq!(d["starredMessageIDs"], json!([m1, m2]), "only the room's messages Bob sees");
    let d = app.client_ok(&bob, "/v1/chat/message/get_starred_ids", json!({"roomID": room})).await;
    assert_eq!(d["messageIDs"], json!([m2, m1]));
    let d = app.client_ok(&alice, "/v1/chat/message/get_starred_ids", json!({"roomID": room})).await;
    assert_eq!(d["messageIDs"], json!([]), "stars are Bob's own");

    let page = |n: i64| json!({"roomID": room, "pageNumber": n, "pageSize": 1});
    let d = app.client_ok(&bob, "/v1/chat/message/get_starred_list", page(1)).await;
    assert_eq!(
        (d["hasMore"].clone(), d["totalItems"].clone(), d["totalPages"].clone()),
        (json!(true), json!(2), json!(2))
    );
    assert_eq!(d["messages"][0]["messageID"], m2.as_str());
    assert_eq!(body_of(&d["messages"][0]), "text");
    let d = app.client_ok(&bob, "/v1/chat/message/get_starred_list", page(2)).await;
    assert_eq!((d["hasMore"].clone(), d["messages"][0]["messageID"].clone()), (json!(false), json!(m1)));

    let d = app.client_ok(&bob, "/v1/chat/message/unstar", json!({"roomID": room, "messageIDs": [m1, m1]})).await;
    assert_eq!(d["unstarredMessageIDs"], json!([m1]));
    let d = app.client_ok(&bob, "/v1/chat/message/get_starred_ids", json!({"roomID": room})).await;
    assert_eq!(d["messageIDs"], json!([m2]));

    // Refusals: not in the room, bad ids, bad pages.
    let env = app.client(&dave, "/v1/chat/message/star", json!({"roomID": room, "messageIDs": [m1]})).await;
    assert_eq!((env["status"].clone(), code(&env)), (json!(403), "40301".into()), "{env}");
    let env = app.client(&dave, "/v1/chat/message/get_starred_ids", json!({"roomID": room})).await;
    assert_eq!(code(&env), "40301", "{env}");
    let env = app.client(&bob, "/v1/chat/message/star", json!({"roomID": room, "messageIDs": ["x"]})).await;
    assert_eq!(code(&env), "40002", "{env}");
    let env = app.client(&bob, "/v1/chat/message/star", json!({"roomID": room, "messageIDs": []})).await;
    assert_eq!(code(&env), "40002", "{env}");
    let env = app.client(&bob, "/v1/chat/message/get_starred_list", json!({"roomID": room, "pageNumber": 0})).await;
    assert_eq!(code(&env), "40002", "{env}");
}

#[tokio::test]
async fn pins_belong_to_the_room_and_are_announced_with_the_message() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let dave = app.login("dave", "Dave").await;
    let room = group(&app, &alice, &[&bob]).await;
    let (mut a, mut b) = (app.ws(&alice).await, app.ws(&bob).await);
    let m1 = send(&mut a, &room, 1001, "", "p-1").await;

    let d = app.client_ok(&bob, "/v1/chat/message/pin", json!({"roomID": room, "messageIDs": [m1]})).await;
    assert_eq!(d["pinnedMessageIDs"], json!([m1]));
    let s = system(&mut a, "message/pin").await;
    assert_eq!(body_of(&s), "{{sender}} pinned a message");
    assert_eq!(s["user"]["userID"], bob.user_id.as_str());
    let data = palaver_taptalk::crypto::decrypt(s["data"].as_str().unwrap(), s["localID"].as_str().unwrap()).unwrap();
    let pinned: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(pinned["messageID"], m1.as_str(), "the system message carries the pinned message");
    assert_eq!(body_of(&pinned), "text");

    // Everyone in the room sees the pin; pinning again changes nothing.
    let d = app.client_ok(&alice, "/v1/chat/message/get_pinned_ids", json!({"roomID": room})).await;
    assert_eq!(d["pinnedMessageIDs"], json!([m1]));
    app.client_ok(&alice, "/v1/chat/message/pin", json!({"roomID": room, "messageIDs": [m1]})).await;
    let d = app
        .client_ok(&alice, "/v1/chat/message/get_pinned_list", json!({"roomID": room, "pageNumber": 1, "pageSize": 10}))
        .await;
    assert_eq!((d["totalItems"].clone(), d["messages"][0]["messageID"].clone()), (json!(1), json!(m1)));

    let d = app.client_ok(&alice, "/v1/chat/message/unpin", json!({"roomID": room, "messageIDs": [m1]})).await;
    assert_eq!(d["unpinnedMessageIDs"], json!([m1]));
    // Bob hears the pin, no second pin, then the unpin.
    let s = system(&mut b, "message/pin").await;
    assert_eq!(s["user"]["userID"], bob.user_id.as_str());
    let next = loop {
        let m = b.expect("chat/sendMessage").await;
        if m["type"] == 9001 {
            break m;
        }
    };
    assert_eq!(next["action"], "message/unpin", "pinning twice announced once: {next}");
    let d = app.client_ok(&bob, "/v1/chat/message/get_pinned_ids", json!({"roomID": room})).await;
    assert_eq!(d["pinnedMessageIDs"], json!([]));

    let env = app.client(&dave, "/v1/chat/message/pin", json!({"roomID": room, "messageIDs": [m1]})).await;
    assert_eq!(code(&env), "40301", "{env}");
    let env = app.client(&dave, "/v1/chat/message/get_pinned_list", json!({"roomID": room})).await;
    assert_eq!(code(&env), "40301", "{env}");
}

#[tokio::test]
async fn details_say_who_received_and_read_a_message_and_when() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let dave = app.login("dave", "Dave").await;
    let room = group(&app, &alice, &[&bob, &carol]).await;
    let mut a = app.ws(&alice).await;
    let m = send(&mut a, &room, 1001, "", "d-1").await;
    let before = palaver_domain::time::now_ms();

    let ask = json!({"messageID": m});
    assert_eq!(app.client_ok(&alice, "/v1/chat/message/get_total_read", ask.clone()).await["count"], 0);
    app.client_ok(&carol, "/v1/chat/message/feedback/delivered", json!({"messageIDs": [m]})).await;
    app.client_ok(&bob, "/v1/chat/message/feedback/read", json!({"messageIDs": [m]})).await;
    assert_eq!(app.client_ok(&alice, "/v1/chat/message/get_total_read", ask.clone()).await["count"], 1);

    let d = app.client_ok(&alice, "/v1/chat/message/get_details", ask.clone()).await;
    assert_eq!(d["message"]["messageID"], m.as_str());
    let read_by = d["readBy"].as_array().unwrap();
    assert_eq!(read_by.len(), 1);
    assert_eq!((read_by[0]["userID"].clone(), read_by[0]["xcUserID"].clone()), (json!(bob.user_id), json!("bob")));
    assert!(read_by[0]["readTime"].as_i64().unwrap() >= before - 1000, "{d}");
    assert_eq!(read_by[0]["deliveredTime"], read_by[0]["readTime"], "read counts as received then");
    let mut delivered: Vec<&str> =
        d["deliveredTo"].as_array().unwrap().iter().map(|r| r["xcUserID"].as_str().unwrap()).collect();
    delivered.sort();
    assert_eq!(delivered, vec!["bob", "carol"]);
    let carol_row = d["deliveredTo"].as_array().unwrap().iter().find(|r| r["xcUserID"] == "carol").unwrap();
    assert!(carol_row["deliveredTime"].as_i64().unwrap() > 0 && carol_row["readTime"] == 0, "{carol_row}");

    let env = app.client(&dave, "/v1/chat/message/get_details", ask.clone()).await;
    assert!(["40301", "40401"].contains(&code(&env).as_str()), "{env}");
    let env = app.client(&alice, "/v1/chat/message/get_total_read", json!({"messageID": "abc"})).await;
    assert_eq!(code(&env), "40002", "{env}");
}

#[tokio::test]
async fn shared_content_lists_media_files_and_links_with_encrypted_data() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let dave = app.login("dave", "Dave").await;
    let room = group(&app, &alice, &[&bob]).await;
    let mut a = app.ws(&alice).await;
    let image = send(&mut a, &room, 1002, r#"{"fileID":"f1","caption":"cat"}"#, "c-1").await;
    let file = send(&mut a, &room, 1004, r#"{"fileID":"f2"}"#, "c-2").await;
    let link = send(&mut a, &room, 1010, r#"{"url":"https://example.com"}"#, "c-3").await;
    send(&mut a, &room, 1001, "", "c-4").await;

    let d = app.client_ok(&bob, "/v1/chat/room/get_shared_content", json!({"roomID": room, "minCreated": 0})).await;
    let ids = |key: &str| -> Vec<String> {
        d[key].as_array().unwrap().iter().map(|i| i["messageID"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!((ids("media"), ids("files"), ids("links")), (vec![image.clone()], vec![file], vec![link]));
    let item = &d["media"][0];
    assert_eq!((item["messageType"].clone(), item["userFullname"].clone()), (json!(1002), json!("Alice")));
    let data = palaver_taptalk::crypto::decrypt(item["data"].as_str().unwrap(), item["localID"].as_str().unwrap());
    assert_eq!(data.unwrap(), r#"{"fileID":"f1","caption":"cat"}"#);

    // Bounded by time.
    let created = item["created"].as_i64().unwrap();
    let d =
        app.client_ok(&bob, "/v1/chat/room/get_shared_content", json!({"roomID": room, "minCreated": created})).await;
    assert_eq!(d["media"], json!([]));
    let env = app.client(&dave, "/v1/chat/room/get_shared_content", json!({"roomID": room, "minCreated": 0})).await;
    assert_eq!(code(&env), "40301", "{env}");
    let env = app.client(&bob, "/v1/chat/room/get_shared_content", json!({"roomID": room, "sortOrder": "UP"})).await;
    assert_eq!(code(&env), "40002", "{env}");
}
