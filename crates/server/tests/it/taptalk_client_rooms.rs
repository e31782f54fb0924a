//! `client/room/*`: groups with admins; every membership change is a 9001 system message.

use crate::client_support::{Session, Ws, body_of};
use crate::support::TestApp;
use serde_json::{Value, json};

fn ids(v: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["userID"].as_str().unwrap_or_else(|| p.as_str().unwrap()).to_string())
        .collect();
    out.sort();
    out
}

/// The next system message on `ws` with this action (earlier ones are skipped).
async fn system(ws: &mut Ws, action: &str) -> Value {
    loop {
        let m = ws.expect("chat/sendMessage").await;
        assert_eq!(m["type"], 9001, "{m}");
        if m["action"] == action {
            return m;
        }
    }
}

async fn group(app: &TestApp, owner: &Session, members: &[&Session]) -> (String, Value) {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let d = app.client_ok(owner, "/v1/client/room/create", json!({"name": "Team", "type": 2, "userIDs": ids})).await;
    (d["room"]["roomID"].as_str().unwrap().to_string(), d)
}

#[tokio::test]
async fn a_group_is_created_with_its_creator_as_admin_and_announced() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let mut b = app.ws(&bob).await;
    let (room, d) = group(&app, &alice, &[&bob, &carol]).await;
    assert_eq!(d["room"]["type"], 2);
    assert_eq!(d["room"]["name"], "Team");
    let mut expected = vec![alice.user_id.clone(), bob.user_id.clone(), carol.user_id.clone()];
    expected.sort();
    assert_eq!(ids(&d, "participants"), expected);
    assert_eq!(d["adminUserIDs"], json!([alice.user_id]));
    let m = system(&mut b, "room/create").await;
    assert_eq!(body_of(&m), "{{sender}} created this group");
    assert_eq!(m["user"]["userID"], alice.user_id.as_str());
    assert_eq!(m["room"]["roomID"], room.as_str());

    let got = app.client_ok(&bob, "/v1/client/room/get", json!({"roomID": room})).await;
    assert_eq!(got["room"], d["room"]);
    let env =
        app.client(&alice, "/v1/client/room/create", json!({"name": "", "type": 2, "userIDs": [bob.user_id]})).await;
    assert_eq!(env["error"]["code"], "40002");
    let env =
        app.client(&alice, "/v1/client/room/create", json!({"name": "x", "type": 2, "userIDs": ["999999"]})).await;
    assert_eq!((env["status"].clone(), env["error"]["code"].clone()), (json!(404), json!("40401")));
}

#[tokio::test]
async fn membership_and_admin_changes_are_system_messages_to_everyone_concerned() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let (room, _) = group(&app, &alice, &[&bob]).await;
    let mut b = app.ws(&bob).await;
    let mut c = app.ws(&carol).await;

    let d = app
        .client_ok(&alice, "/v1/client/room/participants/add", json!({"roomID": room, "userIDs": [carol.user_id]}))
        .await;
    assert!(ids(&d, "participants").contains(&carol.user_id));
    for ws in [&mut b, &mut c] {
        let m = system(ws, "room/addParticipant").await;
        assert_eq!(body_of(&m), "{{sender}} added {{target}}");
        assert_eq!(
            m["target"],
            json!({"targetType": "user", "targetID": carol.user_id, "targetXCID": "carol", "targetName": "Carol"})
        );
    }

    let d = app
        .client_ok(&alice, "/v1/client/room/admins/promote", json!({"roomID": room, "userIDs": [bob.user_id]}))
        .await;
    let mut admins: Vec<String> =
        d["adminUserIDs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    admins.sort();
    let mut expected = vec![alice.user_id.clone(), bob.user_id.clone()];
    expected.sort();
    assert_eq!(admins, expected);
    system(&mut c, "room/promoteAdmin").await;
    let d =
        app.client_ok(&bob, "/v1/client/room/admins/demote", json!({"roomID": room, "userIDs": [alice.user_id]})).await;
    assert_eq!(d["adminUserIDs"], json!([bob.user_id]));
    assert_eq!(system(&mut c, "room/demoteAdmin").await["user"]["userID"], bob.user_id.as_str());

    let d = app.client_ok(&bob, "/v1/client/room/update", json!({"roomID": room, "name": "Renamed"})).await;
    assert_eq!(d["room"]["name"], "Renamed");
    system(&mut c, "room/update").await;

    app.client_ok(&bob, "/v1/client/room/participants/remove", json!({"roomID": room, "userIDs": [carol.user_id]}))
        .await;
    let m = system(&mut c, "room/removeParticipant").await;
    assert_eq!(m["target"]["targetID"], carol.user_id.as_str(), "the removed member hears of it");
    let env = app.client(&carol, "/v1/client/room/get", json!({"roomID": room})).await;
    assert_eq!(env["error"]["code"], "40301");

    let out = app.client_ok(&alice, "/v1/client/room/leave", json!({"roomID": room})).await;
    assert_eq!(out["success"], true);
    assert_eq!(system(&mut b, "room/leave").await["user"]["userID"], alice.user_id.as_str());
}

#[tokio::test]
async fn deleting_a_group_needs_the_checksum_and_an_admin() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let (room, _) = group(&app, &alice, &[&bob]).await;
    let mut b = app.ws(&bob).await;
    let checksum = crate::client_support::room_delete_checksum(&app, &alice, &room).await;
    let env = app.client(&alice, "/v1/client/room/delete", json!({"roomID": room, "checksum": "0000"})).await;
    assert_eq!(env["error"]["message"], "Param 'checksum' does not match");
    let out = app.client_ok(&alice, "/v1/client/room/delete", json!({"roomID": room, "checksum": checksum})).await;
    assert_eq!(out["success"], true);
    let m = system(&mut b, "room/delete").await;
    assert_eq!(body_of(&m), "{{sender}} deleted this group");
    let env = app.client(&bob, "/v1/client/room/get", json!({"roomID": room})).await;
    assert_eq!((env["status"].clone(), env["error"]["code"].clone()), (json!(404), json!("40401")));
}

#[tokio::test]
async fn get_by_xc_room_id_finds_server_created_rooms_for_members() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    app.server_ok(
        "/v1/server/room/create_or_update",
        json!({"xcRoomID": "ORDER-1", "type": 4, "name": "Order 1", "participantXCUserIDs": ["alice"]}),
    )
    .await;
    let d = app.client_ok(&alice, "/v1/client/room/get_by_xc_room_id", json!({"xcRoomID": "ORDER-1"})).await;
    assert_eq!((d["room"]["type"].clone(), d["room"]["xcRoomID"].clone()), (json!(4), json!("ORDER-1")));
    let env = app.client(&bob, "/v1/client/room/get_by_xc_room_id", json!({"xcRoomID": "ORDER-1"})).await;
    assert_eq!(env["error"]["code"], "40301");
}
