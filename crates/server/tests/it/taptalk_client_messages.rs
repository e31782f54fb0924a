//! `chat/message/*` over REST: room list and unread, feedback, per-device catch-up,
//! history pages, deletion, client send/custom.

use crate::client_support::{body_of, personal, sdk_message};
use crate::support::TestApp;
use serde_json::{Value, json};
use std::time::Duration;

async fn send(app: &TestApp, from: &str, to: &str, text: &str) {
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": text, "senderXCUserID": from, "recipientXCUserID": to}),
    )
    .await;
}

fn bodies(messages: &Value) -> Vec<String> {
    messages.as_array().unwrap().iter().map(body_of).collect()
}

#[tokio::test]
async fn room_list_and_unread_holds_each_last_message_and_every_unread_one() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    app.login("bob", "Bob").await;
    app.login("carol", "Carol").await;
    for t in ["b1", "b2", "b3"] {
        send(&app, "bob", "alice", t).await;
    }
    send(&app, "alice", "carol", "to carol").await;
    let d = app.client_ok(&alice, "/v1/chat/message/room_list_and_unread", json!("")).await;
    let mut got = bodies(&d["messages"]);
    got.sort();
    assert_eq!(got, vec!["b1", "b2", "b3", "to carol"]);
    for m in d["messages"].as_array().unwrap() {
        crate::taptalk_server_messages::assert_message_shape(m);
        assert_eq!(m["isRead"], false);
    }
    // Counted as the SDKs count: unread, not hidden, from someone else.
    let unread = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user"]["xcUserID"] != "alice" && m["isRead"] == false)
        .count();
    assert_eq!(unread, 3);
    // Android sends {"userID": <int>}; same answer.
    let d2 = app
        .client_ok(
            &alice,
            "/v1/chat/message/room_list_and_unread",
            json!({"userID": alice.user_id.parse::<i64>().unwrap()}),
        )
        .await;
    assert_eq!(d2["messages"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn read_and_delivered_feedback_reaches_the_sender() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut a = app.ws(&alice).await;
    let room = personal(&alice.user_id, &bob.user_id);
    a.send("chat/sendMessage", sdk_message(&room, 1, "one", "local-fb-00000000000000000000001")).await;
    let one = a.expect("chat/sendMessage").await;
    a.send("chat/sendMessage", sdk_message(&room, 1, "two", "local-fb-00000000000000000000002")).await;
    let two = a.expect("chat/sendMessage").await;

    let d = app.client_ok(&bob, "/v1/chat/message/feedback/delivered", json!({"messageIDs": [one["messageID"]]})).await;
    assert_eq!(d["updatedMessageIDs"], json!([one["messageID"]]));
    let up = a.expect("chat/updateMessage").await;
    assert_eq!(
        (up["messageID"].clone(), up["isDelivered"].clone(), up["isRead"].clone()),
        (one["messageID"].clone(), json!(true), json!(false))
    );

    let d = app.client_ok(&bob, "/v1/chat/message/feedback/read", json!({"messageIDs": [two["messageID"]]})).await;
    let mut ids: Vec<Value> = d["updatedMessageIDs"].as_array().unwrap().clone();
    ids.sort_by_key(|v| v.as_str().unwrap().parse::<i64>().unwrap());
    assert_eq!(
        ids,
        vec![one["messageID"].clone(), two["messageID"].clone()],
        "reading the newest reads what came before"
    );
    for _ in 0..2 {
        let up = a.expect("chat/updateMessage").await;
        assert_eq!((up["isRead"].clone(), up["isDelivered"].clone()), (json!(true), json!(true)));
    }
    let rooms = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "bob"})).await;
    assert_eq!(rooms["rooms"][0]["unreadCount"], 0);
    assert_eq!(rooms["rooms"][0]["lastMessage"]["isRead"], true);

    // Repeats and empty lists change nothing; ids of rooms one is not in are ignored.
    let d = app.client_ok(&bob, "/v1/chat/message/feedback/read", json!({"messageIDs": [two["messageID"]]})).await;
    assert_eq!(d["updatedMessageIDs"], json!([]));
    let d = app.client_ok(&bob, "/v1/chat/message/feedback/delivered", json!({"messageIDs": []})).await;
    assert_eq!(d["updatedMessageIDs"], json!([]));
    let carol = app.login("carol", "Carol").await;
    let d = app.client_ok(&carol, "/v1/chat/message/feedback/read", json!({"messageIDs": [one["messageID"]]})).await;
    assert_eq!(d["updatedMessageIDs"], json!([]));
}

#[tokio::test]
async fn new_and_updated_gives_each_device_exactly_what_it_missed() {
    let app = TestApp::spawn().await;
    let phone = app.login_device("alice", "Alice", "phone").await;
    let laptop = app.login_device("alice", "Alice", "laptop").await;
    app.login("bob", "Bob").await;
    let sync = |s| {
        let app = &app;
        async move { bodies(&app.client_ok(s, "/v1/chat/message/new_and_updated", json!("")).await["messages"]) }
    };
    assert!(sync(&phone).await.is_empty(), "a device's first sync starts now");
    send(&app, "bob", "alice", "m1").await;
    send(&app, "bob", "alice", "m2").await;
    assert_eq!(sync(&phone).await, vec!["m1", "m2"]);
    assert!(sync(&phone).await.is_empty(), "nothing new since");

    // The laptop receives m3 live, closes its socket, and then only asks for what came after.
    let mut ws = app.ws(&laptop).await;
    assert!(sync(&laptop).await.is_empty());
    send(&app, "bob", "alice", "m3").await;
    assert_eq!(body_of(&ws.expect("chat/sendMessage").await), "m3");
    ws.stream.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&app, "bob", "alice", "m4").await;
    assert_eq!(sync(&laptop).await, vec!["m4"], "only what it missed");
    assert_eq!(sync(&phone).await, vec!["m3", "m4"], "each device has its own cursor");

    // Changes count too: an edit or a read receipt is something a device missed.
    let bob = app.login("bob", "Bob").await;
    let list = app.client_ok(&bob, "/v1/chat/message/room_list_and_unread", json!("")).await;
    let m4 = list["messages"].as_array().unwrap().iter().find(|m| body_of(m) == "m4").unwrap()["messageID"].clone();
    app.client_ok(&phone, "/v1/chat/message/feedback/read", json!({"messageIDs": [m4]})).await;
    let changed = app.client_ok(&laptop, "/v1/chat/message/new_and_updated", json!("")).await["messages"].clone();
    assert!(
        changed.as_array().unwrap().iter().all(|m| m["isRead"] == true) && !changed.as_array().unwrap().is_empty(),
        "{changed}"
    );
}

#[tokio::test]
async fn history_pages_before_and_after() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    for i in 1..=5 {
        send(&app, "bob", "alice", &format!("m{i}")).await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let room = personal(&alice.user_id, &bob.user_id);
    let page = app
        .client_ok(&alice, "/v1/chat/message/list_by_room/before", json!({"roomID": room, "maxCreated": 0, "limit": 2}))
        .await;
    assert_eq!(bodies(&page["messages"]), vec!["m5", "m4"], "newest first");
    assert_eq!(page["hasMore"], true);
    let oldest = page["messages"][1]["created"].clone();
    let page = app
        .client_ok(
            &alice,
            "/v1/chat/message/list_by_room/before",
            json!({"roomID": room, "maxCreated": oldest, "limit": 50}),
        )
        .await;
    assert_eq!(bodies(&page["messages"]), vec!["m3", "m2", "m1"]);
    assert_eq!(page["hasMore"], false);

    let m2_created = page["messages"][1]["created"].clone();
    let after = app
        .client_ok(
            &alice,
            "/v1/chat/message/list_by_room/after",
            json!({"roomID": room, "minCreated": m2_created, "lastUpdated": m2_created}),
        )
        .await;
    assert_eq!(bodies(&after["messages"]), vec!["m5", "m4", "m3"]);
    assert_eq!(after["hasMore"], false);
}

#[tokio::test]
async fn deleting_for_me_hides_and_for_everyone_erases() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&alice.user_id, &bob.user_id);
    send(&app, "alice", "bob", "keep").await;
    send(&app, "alice", "bob", "oops").await;
    let mine = app
        .client_ok(
            &alice,
            "/v1/chat/message/list_by_room/before",
            json!({"roomID": room, "maxCreated": 0, "limit": 10}),
        )
        .await;
    let (oops, keep) = (mine["messages"][0]["messageID"].clone(), mine["messages"][1]["messageID"].clone());

    let d = app
        .client_ok(&bob, "/v1/chat/message/delete", json!({"roomID": room, "messageIDs": [keep], "forEveryone": false}))
        .await;
    assert_eq!(d["deletedMessageIDs"], json!([keep]));
    let bobs = app
        .client_ok(&bob, "/v1/chat/message/list_by_room/before", json!({"roomID": room, "maxCreated": 0, "limit": 10}))
        .await;
    assert_eq!(bodies(&bobs["messages"]), vec!["oops"], "hidden for bob");
    let alices = app
        .client_ok(
            &alice,
            "/v1/chat/message/list_by_room/before",
            json!({"roomID": room, "maxCreated": 0, "limit": 10}),
        )
        .await;
    assert_eq!(alices["messages"].as_array().unwrap().len(), 2, "still there for alice");

    let env = app
        .client(&bob, "/v1/chat/message/delete", json!({"roomID": room, "messageIDs": [oops], "forEveryone": true}))
        .await;
    assert_eq!(
        (env["status"].clone(), env["error"]["code"].clone()),
        (json!(403), json!("40301")),
        "only the sender deletes for everyone"
    );
    let mut ws = app.ws(&bob).await;
    let d = app
        .client_ok(
            &alice,
            "/v1/chat/message/delete",
            json!({"roomID": room, "messageIDs": [oops], "forEveryone": true}),
        )
        .await;
    assert_eq!(d["deletedMessageIDs"], json!([oops]));
    let up = ws.expect("chat/updateMessage").await;
    assert_eq!((up["messageID"].clone(), up["isDeleted"].clone()), (oops, json!(true)));
}

#[tokio::test]
async fn client_send_custom_encrypts_plain_content_on_the_way_out() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut b = app.ws(&bob).await;
    let d = app
        .client_ok(&alice, "/v1/chat/message/send/custom", json!({"roomID": "", "recipientUserID": bob.user_id, "localID": "", "messageType": 3001, "body": "Order #1", "data": "{\"total\":5}", "filterID": "", "isHidden": false}))
        .await;
    assert_eq!(d["success"], true);
    let m = b.expect("chat/sendMessage").await;
    assert_eq!(m["type"], 3001);
    assert_eq!(body_of(&m), "Order #1");
    let data = palaver_taptalk::crypto::decrypt(m["data"].as_str().unwrap(), m["localID"].as_str().unwrap()).unwrap();
    assert_eq!(data, "{\"total\":5}");
    let env = app
        .client(
            &alice,
            "/v1/chat/message/send/custom",
            json!({"recipientUserID": bob.user_id, "messageType": 9001, "body": "x"}),
        )
        .await;
    assert_eq!(env["error"]["code"], "40002");
    let env = app
        .client(
            &alice,
            "/v1/chat/message/send/custom",
            json!({"recipientUserID": bob.user_id, "messageType": 1001, "body": "x".repeat(4001)}),
        )
        .await;
    assert_eq!(env["error"]["message"], "Param 'body' is longer than 4000 characters");
}

#[tokio::test]
async fn catch_up_misses_nothing_whether_the_socket_carried_messages_closed_cleanly_or_died() {
    let app = TestApp::spawn().await;
    let tablet = app.login_device("alice", "Alice", "tablet").await;
    app.login("bob", "Bob").await;
    let sync = |s| {
        let app = &app;
        async move { bodies(&app.client_ok(s, "/v1/chat/message/new_and_updated", json!("")).await["messages"]) }
    };
    // A socket that never carried a message, and a device that never synced: what comes after
    // it goes away is still caught up.
    let ws = app.ws(&tablet).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(ws);
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&app, "bob", "alice", "while away").await;
    assert_eq!(sync(&tablet).await, vec!["while away"]);

    // A connection that dies (no Close frame): what was written into it is not proof that the
    // client read it, so the device gets it again with what came after (clients drop repeats
    // by local id).
    let mut ws = app.ws(&tablet).await;
    send(&app, "bob", "alice", "written, maybe lost").await;
    assert_eq!(body_of(&ws.expect("chat/sendMessage").await), "written, maybe lost");
    drop(ws);
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&app, "bob", "alice", "after").await;
    assert_eq!(sync(&tablet).await, vec!["written, maybe lost", "after"]);
}

#[tokio::test]
async fn a_pong_proves_what_a_dead_connection_had_delivered() {
    let app = TestApp::spawn_with(|s| s.core.ping_interval_ms = 100).await;
    let tablet = app.login_device("alice", "Alice", "tablet").await;
    app.login("bob", "Bob").await;
    let mut ws = app.ws(&tablet).await;
    send(&app, "bob", "alice", "read and answered").await;
    assert_eq!(body_of(&ws.expect("chat/sendMessage").await), "read and answered");
    // The client keeps reading: it answers the pings that follow the message.
    assert!(ws.next_within(Duration::from_millis(500)).await.is_none());
    drop(ws);
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&app, "bob", "alice", "after").await;
    let got = app.client_ok(&tablet, "/v1/chat/message/new_and_updated", json!("")).await;
    assert_eq!(bodies(&got["messages"]), vec!["after"]);
}

#[tokio::test]
async fn a_burst_pages_back_from_any_point_without_skipping_or_repeating() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    // A burst: many of these commit together, in the same millisecond.
    let texts: Vec<String> = (0..120).map(|i| format!("m{i}")).collect();
    futures_util::future::join_all(texts.iter().map(|t| send(&app, "bob", "alice", t))).await;
    let room = personal(&alice.user_id, &bob.user_id);
    let page = |max_created: i64, limit: i64| {
        let (app, alice, room) = (&app, &alice, room.clone());
        async move {
            let params = json!({"roomID": room, "maxCreated": max_created, "limit": limit});
            app.client_ok(alice, "/v1/chat/message/list_by_room/before", params).await
        }
    };
    // Pages hold at most 100 messages.
    let mut everything = page(0, 100).await["messages"].as_array().unwrap().clone();
    let oldest = everything.last().unwrap()["created"].as_i64().unwrap();
    everything.extend(page(oldest, 100).await["messages"].as_array().unwrap().iter().cloned());
    let distinct: std::collections::HashSet<&str> =
        everything.iter().map(|m| m["messageID"].as_str().unwrap()).collect();
    assert_eq!((everything.len(), distinct.len()), (120, 120));
    let created: Vec<i64> = everything.iter().map(|m| m["created"].as_i64().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] > w[1]), "created strictly decreases, newest first: {created:?}");
    // Start anywhere, page with any size: every older message once, in order.
    for (start, limit) in [(0usize, 1i64), (0, 7), (5, 50), (60, 13), (119, 3)] {
        let mut cursor = if start == 0 { 0 } else { created[start - 1] };
        let mut seen = Vec::new();
        loop {
            let d = page(cursor, limit).await;
            let got = d["messages"].as_array().unwrap();
            seen.extend(got.iter().map(|m| m["messageID"].as_str().unwrap().to_string()));
            match got.last() {
                Some(last) if d["hasMore"] == true => cursor = last["created"].as_i64().unwrap(),
                _ => break,
            }
        }
        let want: Vec<String> =
            everything[start..].iter().map(|m| m["messageID"].as_str().unwrap().to_string()).collect();
        assert_eq!(seen, want, "from {start} by {limit}");
    }
    // The room list gives a room's messages newest first too: its last one is the cursor.
    let list = app.client_ok(&alice, "/v1/chat/message/room_list_and_unread", json!({})).await;
    let listed: Vec<i64> =
        list["messages"].as_array().unwrap().iter().map(|m| m["created"].as_i64().unwrap()).collect();
    assert_eq!(listed, created, "every unread message, newest first");
}
