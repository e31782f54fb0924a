//! Every refusal of the client API: rooms one is not in, someone else's identity, locked
//! rooms, blocks, admin-only actions, others' messages.

use crate::client_support::{Session, body_of, personal, sdk_message};
use crate::support::TestApp;
use serde_json::{Value, json};
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(400);

fn refused(env: &Value, message: &str) {
    assert_eq!(env["status"], 403, "{env}");
    assert_eq!(env["error"], json!({"code": "40301", "message": message, "field": ""}));
}

async fn group_of(app: &TestApp, owner: &Session, members: &[&Session]) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let d = app.client_ok(owner, "/v1/client/room/create", json!({"name": "G", "type": 2, "userIDs": ids})).await;
    d["room"]["roomID"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn outsiders_can_neither_read_nor_write_a_room() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let eve = app.login("eve", "Eve").await;
    let room = group_of(&app, &alice, &[&bob]).await;
    let not_member = "You are not a participant of this room";
    refused(&app.client(&eve, "/v1/client/room/get", json!({"roomID": room})).await, not_member);
    refused(
        &app.client(
            &eve,
            "/v1/chat/message/list_by_room/before",
            json!({"roomID": room, "maxCreated": 0, "limit": 10}),
        )
        .await,
        not_member,
    );
    refused(
        &app.client(&eve, "/v1/chat/message/list_by_room/after", json!({"roomID": room, "minCreated": 0})).await,
        not_member,
    );
    refused(
        &app.client(&eve, "/v1/chat/message/send/custom", json!({"roomID": room, "messageType": 1001, "body": "hi"}))
            .await,
        not_member,
    );
    refused(
        &app.client(
            &eve,
            "/v1/chat/message/delete",
            json!({"roomID": room, "messageIDs": ["1"], "forEveryone": false}),
        )
        .await,
        not_member,
    );
    refused(&app.client(&eve, "/v1/client/room/leave", json!({"roomID": room})).await, not_member);
    // Nor a personal room of two others.
    refused(
        &app.client(
            &eve,
            "/v1/chat/message/send/custom",
            json!({"roomID": personal(&alice.user_id, &bob.user_id), "messageType": 1001, "body": "hi"}),
        )
        .await,
        not_member,
    );
    // Typing into a room one is not in reaches nobody.
    let mut b = app.ws(&bob).await;
    let mut e = app.ws(&eve).await;
    e.send("chat/startTyping", json!({"roomID": room})).await;
    b.expect_none("chat/startTyping", QUIET).await;
}

#[tokio::test]
async fn a_client_cannot_send_as_someone_else() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let mut forged = sdk_message(
        &personal(&alice.user_id, &bob.user_id),
        1,
        "from bob, honest",
        "local-forge-000000000000000000001",
    );
    forged["user"] = json!({"userID": bob.user_id, "xcUserID": "bob", "fullname": "Bob"});
    a.send("chat/sendMessage", forged).await;
    let got = b.expect("chat/sendMessage").await;
    assert_eq!(got["user"]["userID"], alice.user_id.as_str(), "the sender is whoever holds the token");
    a.expect("chat/sendMessage").await;
}

#[tokio::test]
async fn a_locked_room_refuses_client_messages() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    app.server_ok(
        "/v1/server/room/create_or_update",
        json!({"xcRoomID": "T", "type": 4, "name": "T", "participantXCUserIDs": ["alice", "bob"]}),
    )
    .await;
    let room = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "T"})).await["room"]["roomID"]
        .as_str()
        .unwrap()
        .to_string();
    app.server_ok("/v1/server/room/lock", json!({"xcRoomID": "T", "xcUserID": "alice"})).await;
    refused(
        &app.client(&alice, "/v1/chat/message/send/custom", json!({"roomID": room, "messageType": 1001, "body": "hi"}))
            .await,
        "The room is locked",
    );
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    a.send("chat/sendMessage", sdk_message(&room, 4, "hi", "local-locked-00000000000000000001")).await;
    assert_eq!(a.expect("chat/sendMessage").await["isFailedSend"], true);
    b.expect_none("chat/sendMessage", QUIET).await;
    // The customer's backend may still post, e.g. a closing note.
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "Order closed", "senderXCUserID": "alice", "xcRoomID": "T"}),
    )
    .await;
    assert_eq!(body_of(&b.expect("chat/sendMessage").await), "Order closed");
    app.server_ok("/v1/server/room/unlock", json!({"xcRoomID": "T", "xcUserID": "alice"})).await;
    app.client_ok(
        &alice,
        "/v1/chat/message/send/custom",
        json!({"roomID": room, "messageType": 1001, "body": "open again"}),
    )
    .await;
}

#[tokio::test]
async fn a_blocked_user_cannot_write_to_the_blockers_personal_room() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&alice.user_id, &bob.user_id);
    app.client_ok(&bob, "/v1/chat/message/send/custom", json!({"roomID": room, "messageType": 1001, "body": "hi"}))
        .await;
    app.client_ok(&alice, "/v1/client/contact/block", json!({"userID": bob.user_id})).await;
    let blocked = "Messages between these users are blocked";
    refused(
        &app.client(
            &bob,
            "/v1/chat/message/send/custom",
            json!({"roomID": room, "messageType": 1001, "body": "hello?"}),
        )
        .await,
        blocked,
    );
    refused(
        &app.client(
            &alice,
            "/v1/chat/message/send/custom",
            json!({"roomID": room, "messageType": 1001, "body": "bye"}),
        )
        .await,
        blocked,
    );
    let mut b = app.ws(&bob).await;
    b.send("chat/sendMessage", sdk_message(&room, 1, "hello?", "local-blocked-0000000000000000001")).await;
    assert_eq!(b.expect("chat/sendMessage").await["isFailedSend"], true);
    // Groups are unaffected.
    let g = group_of(&app, &alice, &[&bob]).await;
    app.client_ok(
        &bob,
        "/v1/chat/message/send/custom",
        json!({"roomID": g, "messageType": 1001, "body": "in the group"}),
    )
    .await;
    app.client_ok(&alice, "/v1/client/contact/unblock", json!({"userID": bob.user_id})).await;
    app.client_ok(
        &bob,
        "/v1/chat/message/send/custom",
        json!({"roomID": room, "messageType": 1001, "body": "friends again"}),
    )
    .await;
}

#[tokio::test]
async fn only_admins_manage_a_group() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let room = group_of(&app, &alice, &[&bob]).await;
    let admin_only = "Only an admin of the room can do this";
    refused(&app.client(&bob, "/v1/client/room/update", json!({"roomID": room, "name": "Mine"})).await, admin_only);
    refused(
        &app.client(&bob, "/v1/client/room/participants/add", json!({"roomID": room, "userIDs": [carol.user_id]}))
            .await,
        admin_only,
    );
    refused(
        &app.client(&bob, "/v1/client/room/participants/remove", json!({"roomID": room, "userIDs": [alice.user_id]}))
            .await,
        admin_only,
    );
    refused(
        &app.client(&bob, "/v1/client/room/admins/promote", json!({"roomID": room, "userIDs": [bob.user_id]})).await,
        admin_only,
    );
    refused(
        &app.client(&bob, "/v1/client/room/admins/demote", json!({"roomID": room, "userIDs": [alice.user_id]})).await,
        admin_only,
    );
    let checksum = crate::client_support::room_delete_checksum(&app, &bob, &room).await;
    refused(
        &app.client(&bob, "/v1/client/room/delete", json!({"roomID": room, "checksum": checksum})).await,
        admin_only,
    );
    let d = app.client_ok(&alice, "/v1/client/room/get", json!({"roomID": room})).await;
    assert_eq!(d["room"]["name"], "G");
    assert_eq!(d["participants"].as_array().unwrap().len(), 2);
}
