//! The `/connect` WebSocket with a raw client: fan-out to every device, echo as
//! acknowledgement, idempotent resends, edits and deletes, typing, presence, refusals and
//! slow consumers.

use crate::client_support::{body_of, personal, sdk_message};
use crate::support::TestApp;
use futures_util::future::join_all;
use serde_json::json;
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(400);

#[tokio::test]
async fn a_message_reaches_every_device_and_echoes_to_the_sender() {
    let app = TestApp::spawn().await;
    let alice = app.login_device("alice", "Alice", "phone").await;
    let alice_laptop = app.login_device("alice", "Alice", "laptop").await;
    let bob = app.login("bob", "Bob").await;
    let mut a1 = app.ws(&alice).await;
    let mut a2 = app.ws(&alice_laptop).await;
    let mut b = app.ws_with_headers(&bob).await;
    let room = personal(&alice.user_id, &bob.user_id);

    a1.send("chat/sendMessage", sdk_message(&room, 1, "Hello Bob", "local-00000000000000000000000001")).await;
    let echo = a1.expect("chat/sendMessage").await;
    assert_ne!(echo["messageID"], "0", "the echo carries the server id");
    assert_eq!(echo["localID"], "local-00000000000000000000000001");
    assert_eq!(echo["isSending"], false);
    assert_eq!(body_of(&echo), "Hello Bob");
    assert_eq!(echo["user"]["userID"], alice.user_id.as_str(), "the sender comes from the token, not the frame");
    assert!(echo["created"].as_i64().unwrap() > 1_600_000_000_000, "the server sets created");
    assert_eq!(echo["room"]["roomID"], room.as_str());
    assert_eq!(echo["room"]["name"], "Bob", "alice sees the room named after bob");

    let other_device = a2.expect("chat/sendMessage").await;
    assert_eq!(other_device["messageID"], echo["messageID"]);
    let received = b.expect("chat/sendMessage").await;
    assert_eq!(received["messageID"], echo["messageID"]);
    assert_eq!(body_of(&received), "Hello Bob");
    assert_eq!(received["room"]["name"], "Alice", "bob sees it named after alice");
    assert_eq!(received["recipientID"], bob.user_id.as_str());

    // Binary frames from a native client work the same way.
    b.send_binary("chat/sendMessage", sdk_message(&room, 1, "Hi Alice", "local-00000000000000000000000002")).await;
    assert_eq!(body_of(&a1.expect("chat/sendMessage").await), "Hi Alice");
    assert_eq!(body_of(&b.expect("chat/sendMessage").await), "Hi Alice");
}

#[tokio::test]
async fn resending_a_local_id_returns_the_same_message() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let room = personal(&alice.user_id, &bob.user_id);
    let msg = sdk_message(&room, 1, "once", "local-dup-000000000000000000000001");
    a.send("chat/sendMessage", msg.clone()).await;
    let first = a.expect("chat/sendMessage").await;
    b.expect("chat/sendMessage").await;
    a.send("chat/sendMessage", msg).await;
    let again = a.expect("chat/sendMessage").await;
    assert_eq!(again["messageID"], first["messageID"], "the resend is acknowledged with the stored message");
    b.expect_none("chat/sendMessage", QUIET).await;
    let rooms = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "bob"})).await;
    assert_eq!(rooms["rooms"][0]["unreadCount"], 1, "stored once");
}

#[tokio::test]
async fn typing_is_relayed_to_the_others_and_never_echoed() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let room = personal(&alice.user_id, &bob.user_id);
    a.send("chat/sendMessage", sdk_message(&room, 1, "hi", "local-typing-0000000000000000001")).await;
    b.expect("chat/sendMessage").await;

    a.send("chat/startTyping", json!({"roomID": room, "user": {"userID": alice.user_id}})).await;
    let t = b.expect("chat/startTyping").await;
    assert_eq!(t["roomID"], room.as_str());
    assert_eq!(t["user"]["userID"], alice.user_id.as_str());
    a.send("chat/stopTyping", json!({"roomID": room})).await;
    assert_eq!(b.expect("chat/stopTyping").await["roomID"], room.as_str());
    a.expect_none("chat/startTyping", QUIET).await;
    a.expect_none("chat/stopTyping", QUIET).await;
}

#[tokio::test]
async fn presence_goes_to_users_who_share_a_room() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "hi", "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
    )
    .await;
    let mut b = app.ws(&bob).await;
    let mut c = app.ws(&carol).await;
    let a = app.ws(&alice).await;
    let online = b.expect("user/status").await;
    assert_eq!((online["user"]["userID"].clone(), online["isOnline"].clone()), (json!(alice.user_id), json!(true)));
    assert!(online["lastActive"].as_i64().unwrap() > 0);
    drop(a);
    let offline = b.expect("user/status").await;
    assert_eq!((offline["user"]["userID"].clone(), offline["isOnline"].clone()), (json!(alice.user_id), json!(false)));
    c.expect_none("user/status", QUIET).await;
}

#[tokio::test]
async fn edits_and_deletes_reach_the_room_as_updates() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let room = personal(&alice.user_id, &bob.user_id);
    let local = "local-edit-0000000000000000000001";
    a.send("chat/sendMessage", sdk_message(&room, 1, "helo", local)).await;
    let sent = b.expect("chat/sendMessage").await;

    let mut edited = sdk_message(&room, 1, "hello", local);
    edited["messageID"] = sent["messageID"].clone();
    edited["isMessageEdited"] = json!(true);
    a.send("chat/updateMessage", edited).await;
    let update = b.expect("chat/updateMessage").await;
    assert_eq!(update["messageID"], sent["messageID"]);
    assert_eq!(update["isMessageEdited"], true);
    assert_eq!(body_of(&update), "hello");
    assert!(update["updated"].as_i64() >= sent["updated"].as_i64());
    a.expect("chat/updateMessage").await;

    let mut deleted = sdk_message(&room, 1, "hello", local);
    deleted["messageID"] = sent["messageID"].clone();
    deleted["isDeleted"] = json!(true);
    a.send("chat/updateMessage", deleted).await;
    let update = b.expect("chat/updateMessage").await;
    assert_eq!(update["isDeleted"], true);
    assert!(update["deleted"].as_i64().unwrap() > 0);
    assert_eq!(body_of(&update), "", "content is erased for everyone");
    assert_eq!(a.expect("chat/updateMessage").await["isDeleted"], true, "the sender's devices see it too");

    // Bob cannot edit Alice's message.
    let mut forged = sdk_message(&room, 1, "forged", local);
    forged["messageID"] = sent["messageID"].clone();
    forged["isMessageEdited"] = json!(true);
    b.send("chat/updateMessage", forged).await;
    a.expect_none("chat/updateMessage", QUIET).await;
}

#[tokio::test]
async fn several_events_in_one_frame_are_all_handled() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let room = personal(&alice.user_id, &bob.user_id);
    let one = json!({"eventName": "chat/sendMessage", "data": sdk_message(&room, 1, "one", "local-batch-000000000000000000001")});
    let two = json!({"eventName": "chat/sendMessage", "data": sdk_message(&room, 1, "two", "local-batch-000000000000000000002")});
    use futures_util::SinkExt;
    a.stream.send(tokio_tungstenite::tungstenite::Message::Text(format!("{one}\n{two}").into())).await.unwrap();
    assert_eq!(body_of(&b.expect("chat/sendMessage").await), "one");
    assert_eq!(body_of(&b.expect("chat/sendMessage").await), "two");
}

#[tokio::test]
async fn sends_not_waiting_for_each_other_are_stored_in_the_order_sent() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let room = personal(&alice.user_id, &bob.user_id);
    // 300 sends (more than one connection keeps in flight) written without reading a reply,
    // one of them refused in the middle.
    for i in 0..300 {
        let local_id = format!("local-pipe-{i:020}");
        let target = if i == 150 { personal(&bob.user_id, &bob.user_id) } else { room.clone() };
        a.send("chat/sendMessage", sdk_message(&target, 1, &format!("m{i}"), &local_id)).await;
    }
    let mut previous = 0i64;
    for i in (0..300).filter(|i| *i != 150) {
        let got = b.expect("chat/sendMessage").await;
        assert_eq!(body_of(&got), format!("m{i}"), "bob receives them in the order alice sent them");
        let id: i64 = got["messageID"].as_str().unwrap().parse().unwrap();
        assert!(id > previous, "ids follow the sending order");
        previous = id;
    }
    let mut echoed = 0;
    let mut failed = Vec::new();
    while echoed + failed.len() < 300 {
        let e = a.expect("chat/sendMessage").await;
        if e["isFailedSend"] == true {
            failed.push(e["localID"].as_str().unwrap().to_string());
        } else {
            echoed += 1;
        }
    }
    assert_eq!(failed, vec![format!("local-pipe-{:020}", 150)], "only the bad send is refused");
    let rooms = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "bob"})).await;
    assert_eq!(rooms["rooms"][0]["unreadCount"], 299, "every good send is stored once");
}

#[tokio::test]
async fn a_refused_message_comes_back_failed_and_is_not_stored() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    app.server_ok(
        "/v1/server/room/create_or_update",
        json!({"xcRoomID": "G", "type": 2, "name": "G", "participantXCUserIDs": ["bob", "carol"]}),
    )
    .await;
    let group = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "G"})).await["room"]["roomID"]
        .as_str()
        .unwrap()
        .to_string();
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    a.send("chat/sendMessage", sdk_message(&group, 2, "let me in", "local-refused-00000000000000001")).await;
    let failed = a.expect("chat/sendMessage").await;
    assert_eq!(failed["isFailedSend"], true);
    assert_eq!(failed["messageID"], "0");
    assert_eq!(failed["localID"], "local-refused-00000000000000001");
    b.expect_none("chat/sendMessage", QUIET).await;
    // A personal room of two other users is not Alice's either.
    a.send(
        "chat/sendMessage",
        sdk_message(&personal(&bob.user_id, &carol.user_id), 1, "psst", "local-refused-00000000000000002"),
    )
    .await;
    assert_eq!(a.expect("chat/sendMessage").await["isFailedSend"], true);
    b.expect_none("chat/sendMessage", QUIET).await;
    let bobs = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "bob"})).await;
    assert!(bobs["rooms"].as_array().unwrap().iter().all(|r| r["lastMessage"].is_null()), "{bobs}");
}

#[tokio::test]
async fn a_client_that_cannot_keep_up_is_dropped() {
    let app = TestApp::spawn_with(|s| s.core.outbox_limit_bytes = 64 * 1024).await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut slow = app.ws(&bob).await;
    let (app_id, bob_id) =
        (palaver_domain::AppId(app.creds.app_id), palaver_domain::UserId(bob.user_id.parse().unwrap()));
    let body = "x".repeat(3900);
    // Bob never reads; once the socket buffers fill, his outbox overflows and he is dropped.
    for _ in 0..60 {
        let sends = (0..50).map(|_| {
            app.server(
                "/v1/server/message/send/custom",
                json!({"messageType": 1001, "body": body, "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
            )
        });
        join_all(sends).await;
        if app.core.hub().connections_of(app_id, bob_id).is_empty() {
            break;
        }
    }
    assert!(app.core.hub().connections_of(app_id, bob_id).is_empty(), "the slow connection was dropped");
    assert!(slow.closed_within(Duration::from_secs(10)).await, "the slow connection was closed");
    // Everyone else is served as before.
    let mut fast = app.ws(&alice).await;
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "still here", "senderXCUserID": "bob", "recipientXCUserID": "alice"}),
    )
    .await;
    assert_eq!(body_of(&fast.expect("chat/sendMessage").await), "still here");
}

#[tokio::test]
async fn shutting_down_closes_live_connections_and_keeps_what_was_sent() {
    let app = TestApp::spawn().await;
    app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut b = app.ws(&bob).await;
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "before", "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
    )
    .await;
    assert_eq!(body_of(&b.expect("chat/sendMessage").await), "before");
    let app = app.restart().await;
    assert!(b.closed_within(Duration::from_secs(5)).await, "the connection is closed on shutdown");
    let bob = app.login("bob", "Bob").await;
    let list = app.client_ok(&bob, "/v1/chat/message/room_list_and_unread", json!("")).await;
    assert_eq!(list["messages"].as_array().unwrap().iter().map(body_of).collect::<Vec<_>>(), vec!["before"]);
}

#[tokio::test]
async fn idle_connections_are_pinged_and_silent_ones_dropped() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::spawn_with(|s| s.core.ping_interval_ms = 150).await;
    let bob = app.login("bob", "Bob").await;
    let mut alive = app.ws(&bob).await;
    let ping = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Some(Ok(Message::Ping(_))) = alive.stream.next().await {
                return;
            }
        }
    })
    .await;
    assert!(ping.is_ok(), "the server pings");
    // Reading answers pings (the client library replies with pongs), so this connection lives
    // on well past three intervals.
    assert!(!alive.closed_within(Duration::from_millis(900)).await);

    // A client that never reads never answers: after three silent intervals it is dropped.
    let silent = app.ws(&bob).await;
    let (app_id, bob_id) =
        (palaver_domain::AppId(app.creds.app_id), palaver_domain::UserId(bob.user_id.parse().unwrap()));
    assert!(!alive.closed_within(Duration::from_millis(1000)).await);
    assert_eq!(app.core.hub().connections_of(app_id, bob_id).len(), 1, "only the responsive connection remains");
    drop(silent);
}
