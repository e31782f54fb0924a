//! `client/room/*` for the caller's own view: mute with expiry, pin, mark unread, clear
//! chat, the lists of each, and groups in common. Each change reaches every session of the
//! caller and no one else.

use crate::client_support::{Session, Ws, personal, sdk_message};
use crate::support::TestApp;
use serde_json::{Value, json};
use std::time::Duration;

async fn group(app: &TestApp, owner: &Session, members: &[&Session]) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let d = app.client_ok(owner, "/v1/client/room/create", json!({"name": "Team", "type": 2, "userIDs": ids})).await;
    d["room"]["roomID"].as_str().unwrap().to_string()
}

/// Sends a text into `room` on `ws` and returns the stored message (the sender's echo).
async fn send(ws: &mut Ws, room: &str, kind: i64, text: &str, local_id: &str) -> Value {
    ws.send("chat/sendMessage", sdk_message(room, kind, text, local_id)).await;
    loop {
        let m = ws.expect("chat/sendMessage").await;
        if m["localID"] == local_id {
            return m;
        }
    }
}

fn error_code(env: &Value) -> String {
    env["error"]["code"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn room_views_change_for_every_session_of_the_caller_alone() {
    let app = TestApp::spawn().await;
    let alice = app.login_device("alice", "Alice", "phone").await;
    let alice_web = app.login_device("alice", "Alice", "laptop").await;
    let bob = app.login("bob", "Bob").await;
    let room = group(&app, &alice, &[&bob]).await;
    let (mut phone, mut laptop, mut b) = (app.ws(&alice).await, app.ws(&alice_web).await, app.ws(&bob).await);
    let pair = personal(&alice.user_id, &bob.user_id);
    send(&mut phone, &pair, 1, "hello", "p-1").await;

    // Mute until a time: both of Alice's sessions hear it, with the time; Bob does not.
    let until = palaver_domain::time::now_ms() + 3_600_000;
    let d = app.client_ok(&alice, "/v1/client/room/mute", json!({"roomIDs": [room, pair], "expiredAt": until})).await;
    assert_eq!(d["success"], true, "{d}");
    for ws in [&mut phone, &mut laptop] {
        let e = ws.expect("room/mute").await;
        let other = ws.expect("room/mute").await;
        let mut rooms = vec![e["room"]["roomID"].clone(), other["room"]["roomID"].clone()];
        rooms.sort_by_key(|r| r.as_str().unwrap().len());
        assert_eq!(rooms, vec![json!(room), json!(pair)]);
        assert_eq!(e["expiredAt"], until);
    }
    b.expect_none("room/mute", Duration::from_millis(300)).await;
    let d = app.client_ok(&alice_web, "/v1/client/room/get_muted_room_ids", json!({})).await;
    let mut muted = d["mutedRooms"].as_array().unwrap().clone();
    muted.sort_by_key(|m| m["roomID"].as_str().unwrap().len());
    assert_eq!(muted, vec![json!({"roomID": room, "expiredAt": until}), json!({"roomID": pair, "expiredAt": until})]);
    assert_eq!(app.client_ok(&bob, "/v1/client/room/get_muted_room_ids", json!({})).await["mutedRooms"], json!([]));

    // For good, then unmuted; a time in the past is refused.
    app.client_ok(&alice, "/v1/client/room/mute", json!({"roomIDs": [room], "expiredAt": 0})).await;
    assert_eq!(phone.expect("room/mute").await["expiredAt"], 0);
    let env = app.client(&alice, "/v1/client/room/mute", json!({"roomIDs": [room], "expiredAt": 1000})).await;
    assert_eq!((env["status"].clone(), error_code(&env)), (json!(400), "40002".into()), "{env}");
    app.client_ok(&alice, "/v1/client/room/unmute", json!({"roomIDs": [room, pair]})).await;
    let e = laptop.expect("room/unmute").await;
    assert_eq!(e["expiredAt"], Value::Null);
    assert_eq!(app.client_ok(&alice, "/v1/client/room/get_muted_room_ids", json!({})).await["mutedRooms"], json!([]));

    // Pins: the latest pinned first.
    app.client_ok(&alice, "/v1/client/room/pin", json!({"roomIDs": [pair]})).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.client_ok(&alice, "/v1/client/room/pin", json!({"roomIDs": [room]})).await;
    assert_eq!(laptop.expect("room/pin").await["room"]["roomID"], pair.as_str());
    assert_eq!(laptop.expect("room/pin").await["room"]["roomID"], room.as_str());
    let d = app.client_ok(&alice, "/v1/client/room/get_pinned_room_ids", json!({})).await;
    assert_eq!(d["pinnedRoomIDs"], json!([room, pair]));
    app.client_ok(&alice, "/v1/client/room/unpin", json!({"roomIDs": [pair]})).await;
    assert_eq!(phone.expect("room/unpin").await["room"]["roomID"], pair.as_str());
    assert_eq!(
        app.client_ok(&alice, "/v1/client/room/get_pinned_room_ids", json!({})).await["pinnedRoomIDs"],
        json!([room])
    );
    b.expect_none("room/pin", Duration::from_millis(200)).await;

    // Marked unread until Alice reads the room.
    let d = app.client_ok(&alice, "/v1/client/room/mark_as_unread", json!({"roomIDs": [pair]})).await;
    assert_eq!(d["unreadRoomIDs"], json!([pair]));
    assert_eq!(laptop.expect("room/markAsUnread").await["room"]["roomID"], pair.as_str());
    let from_bob = send(&mut b, &pair, 1, "are you there", "b-1").await;
    let ids = json!({"messageIDs": [from_bob["messageID"]]});
    app.client_ok(&alice, "/v1/chat/message/feedback/read", ids).await;
    assert_eq!(laptop.expect("room/markAsRead").await["room"]["roomID"], pair.as_str());
    assert_eq!(
        app.client_ok(&alice, "/v1/client/room/get_unread_room_ids", json!({})).await["unreadRoomIDs"],
        json!([])
    );

    // Clearing hides the history so far from Alice alone.
    let d = app.client_ok(&alice, "/v1/client/room/clear_chat", json!({"roomIDs": [pair]})).await;
    assert_eq!(d["clearedRoomIDs"], json!([pair]));
    assert_eq!(laptop.expect("room/clearChat").await["room"]["roomID"], pair.as_str());
    b.expect_none("room/clearChat", Duration::from_millis(200)).await;
    let page = json!({"roomID": pair, "maxCreated": 0, "limit": 50});
    let mine = app.client_ok(&alice, "/v1/chat/message/list_by_room/before", page.clone()).await;
    assert_eq!(mine["messages"], json!([]), "cleared for Alice");
    let theirs = app.client_ok(&bob, "/v1/chat/message/list_by_room/before", page).await;
    assert_eq!(theirs["messages"].as_array().unwrap().len(), 2, "not for Bob");

    let all = app.client_ok(&alice, "/v1/client/room/get_room_ids_with_state", json!({})).await;
    assert_eq!(all["pinnedRoomIDs"], json!([room]));
    assert_eq!(all["mutedRooms"], json!([]));
    assert_eq!(all["unreadRoomIDs"], json!([]));
    assert_eq!(all["clearedRooms"][0]["roomID"], pair.as_str());
    assert_eq!(all["clearedRooms"][0]["expiredAt"], from_bob["created"]);
}

#[tokio::test]
async fn room_views_refuse_rooms_the_caller_is_not_in_and_bad_ids() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let room = group(&app, &alice, &[&bob]).await;
    for path in ["mute", "unmute", "pin", "unpin", "mark_as_unread", "clear_chat"] {
        let path = format!("/v1/client/room/{path}");
        let env = app.client(&carol, &path, json!({"roomIDs": [room]})).await;
        assert_eq!((env["status"].clone(), error_code(&env)), (json!(403), "40301".into()), "{path}: {env}");
        let env = app.client(&alice, &path, json!({"roomIDs": ["x-y"]})).await;
        assert_eq!(error_code(&env), "40002", "{path}: {env}");
        let env = app.client(&alice, &path, json!({"roomIDs": []})).await;
        assert_eq!(error_code(&env), "40002", "{path}: {env}");
        let env = app.client(&alice, &path, json!({"roomIDs": ["999999"]})).await;
        assert_eq!((env["status"].clone(), error_code(&env)), (json!(404), "40401".into()), "{path}: {env}");
    }
    // Nothing changed for anyone.
    for s in [&alice, &carol] {
        let all = app.client_ok(s, "/v1/client/room/get_room_ids_with_state", json!({})).await;
        assert_eq!(all, json!({"clearedRooms": [], "pinnedRoomIDs": [], "mutedRooms": [], "unreadRoomIDs": []}));
    }
}

#[tokio::test]
async fn groups_in_common_are_the_groups_both_users_are_in() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let shared = group(&app, &alice, &[&bob]).await;
    group(&app, &alice, &[&carol]).await;
    let mut a = app.ws(&alice).await;
    send(&mut a, &personal(&alice.user_id, &bob.user_id), 1, "hi", "a-1").await;

    let d = app.client_ok(&alice, "/v1/client/room/groups_in_common", json!({"userID": bob.user_id})).await;
    let rooms: Vec<&str> = d["rooms"].as_array().unwrap().iter().map(|r| r["roomID"].as_str().unwrap()).collect();
    assert_eq!(rooms, vec![shared.as_str()], "the group, not the personal room");
    let d = app.client_ok(&bob, "/v1/client/room/groups_in_common", json!({"userID": carol.user_id})).await;
    assert_eq!(d["rooms"], json!([]));
    let env = app.client(&alice, "/v1/client/room/groups_in_common", json!({"userID": "999999"})).await;
    assert_eq!(error_code(&env), "40401", "{env}");
    let env = app.client(&alice, "/v1/client/room/groups_in_common", json!({})).await;
    assert_eq!(error_code(&env), "40002", "{env}");
}
