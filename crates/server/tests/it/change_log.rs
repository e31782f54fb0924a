//! The change log through the APIs: every kind of change a request makes is exactly one row,
//! written in the request's transaction; devices catch up from the log; shutdown saves what
//! live connections were sent.

use crate::client_support::{Session, body_of, personal, sdk_message};
use crate::support::TestApp;
use futures_util::StreamExt;
use palaver_store::DbError;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The last id the log has used.
async fn position(app: &TestApp) -> i64 {
    app.core.store().read(|c| palaver_store::repo::current_seq(c)).await.unwrap()
}

/// How many changes of each kind were logged after `after`.
async fn kinds_after(app: &TestApp, after: i64) -> BTreeMap<String, i64> {
    app.core
        .store()
        .read(move |c| {
            let rows =
                c.query("SELECT kind, COUNT(*) FROM changes WHERE id > $1 GROUP BY kind", &[after.into()], |r| {
                    Ok((r.text(0)?, r.int(1)?))
                })?;
            Ok::<_, DbError>(rows.into_iter().collect())
        })
        .await
        .unwrap()
}

/// Runs a request and asserts exactly which changes it logged.
macro_rules! logs {
    ($app:expr, $request:expr, {$($kind:literal: $n:expr),* $(,)?}) => {{
        let before = position(&$app).await;
        let answer = $request;
        let expected: BTreeMap<String, i64> = [$(($kind.to_string(), $n)),*].into_iter().collect();
        assert_eq!(kinds_after(&$app, before).await, expected, "changes logged by {}", stringify!($request));
        answer
    }};
}

async fn client_send(app: &TestApp, s: &Session, room: &str, text: &str) -> String {
    app.client_ok(s, "/v1/chat/message/send/custom", json!({"roomID": room, "messageType": 1001, "body": text})).await;
    let list = app.client_ok(s, "/v1/chat/message/list_by_room/before", json!({"roomID": room, "limit": 1})).await;
    list["messages"][0]["messageID"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_kind_of_change_is_one_row_of_the_change_log() {
    let app = TestApp::spawn().await;
    let up = |id: &str, name: &str| json!({"xcUserID": id, "fullName": name});
    logs!(app, app.server_ok("/v1/server/user/update", up("ann", "Ann")).await, {"user.created": 1});
    logs!(app, app.server_ok("/v1/server/user/update", up("ann", "Ann Smith")).await, {"user.updated": 1});
    logs!(app, app.server_ok("/v1/server/user/update", up("ann", "Ann Smith")).await, {});
    let ann = app.login("ann", "Ann Smith").await;
    let bob = logs!(app, app.login("bob", "Bob").await, {"user.created": 1});
    let carol = app.login("carol", "Carol").await;

    let room = json!({"xcRoomID": "r1", "type": 2, "name": "R", "participantXCUserIDs": ["ann", "bob"]});
    let made = logs!(app, app.server_ok("/v1/server/room/create_or_update", room).await,
        {"room.created": 1, "participant.added": 2});
    let room_id = made["room"]["roomID"].as_str().unwrap().to_string();
    logs!(app, app.server_ok("/v1/server/room/create_or_update", json!({"xcRoomID": "r1", "type": 2, "name": "R2"})).await,
        {"room.updated": 1});
    let members = |ids: &[&str]| json!({"xcRoomID": "r1", "participantXCUserIDs": ids});
    logs!(app, app.server_ok("/v1/server/room/participants/add", members(&["carol"])).await, {"participant.added": 1});
    logs!(app, app.server_ok("/v1/server/room/participants/remove", members(&["carol"])).await, {"participant.removed": 1});
    logs!(app, app.server_ok("/v1/server/room/lock", json!({"xcRoomID": "r1", "xcUserID": "ann"})).await, {"room.locked": 1});
    logs!(app, app.server_ok("/v1/server/room/unlock", json!({"xcRoomID": "r1", "xcUserID": "ann"})).await, {"room.unlocked": 1});
    let send = json!({"messageType": 1001, "body": "hello", "senderXCUserID": "ann", "xcRoomID": "r1"});
    logs!(app, app.server_ok("/v1/server/message/send/custom", send).await, {"message.created": 1});
    let contact =
        |delete: bool| json!({"contacts": [{"ownerXCUserID": "ann", "contactXCUserID": "bob", "isDeleted": delete}]});
    logs!(app, app.server_ok("/v1/server/contact/sync", contact(false)).await, {"contact.added": 1});
    logs!(app, app.server_ok("/v1/server/contact/sync", contact(true)).await, {"contact.removed": 1});

    // Clients: messages, receipts, edits, deletions, blocks.
    let m1 = logs!(app, client_send(&app, &ann, &room_id, "one").await, {"message.created": 1});
    let ids = json!({"messageIDs": [m1]});
    logs!(app, app.client_ok(&bob, "/v1/chat/message/feedback/delivered", ids.clone()).await, {"message.delivered": 1});
    logs!(app, app.client_ok(&bob, "/v1/chat/message/feedback/read", ids.clone()).await, {"message.read": 1});
    let mut ws = app.ws(&ann).await;
    let mut edit = sdk_message(&room_id, 2, "one, edited", "edit-1");
    edit["messageID"] = json!(m1);
    edit["isMessageEdited"] = json!(true);
    let before = position(&app).await;
    ws.send("chat/updateMessage", edit).await;
    assert_eq!(body_of(&ws.expect("chat/updateMessage").await), "one, edited");
    assert_eq!(kinds_after(&app, before).await, [("message.edited".to_string(), 1)].into_iter().collect());
    let delete = |everyone: bool| json!({"roomID": room_id, "messageIDs": [m1], "forEveryone": everyone});
    logs!(app, app.client_ok(&bob, "/v1/chat/message/delete", delete(false)).await, {"message.hidden": 1});
    logs!(app, app.client_ok(&ann, "/v1/chat/message/delete", delete(true)).await, {"message.deleted": 1});
    let whom = json!({"userID": carol.user_id});
    logs!(app, app.client_ok(&bob, "/v1/client/contact/block", whom.clone()).await, {"user.blocked": 1});
    logs!(app, app.client_ok(&bob, "/v1/client/contact/unblock", whom).await, {"user.unblocked": 1});

    // Groups as clients manage them: each change also posts its system message.
    let group = logs!(app, app.client_ok(&ann, "/v1/client/room/create", json!({"name": "G", "userIDs": [bob.user_id]})).await,
        {"room.created": 1, "participant.added": 2, "participant.promoted": 1, "message.created": 1});
    let g = group["room"]["roomID"].as_str().unwrap().to_string();
    let them = json!({"roomID": g, "userIDs": [bob.user_id]});
    logs!(app, app.client_ok(&ann, "/v1/client/room/admins/promote", them.clone()).await,
        {"participant.promoted": 1, "message.created": 1});
    logs!(app, app.client_ok(&ann, "/v1/client/room/admins/demote", them).await,
        {"participant.demoted": 1, "message.created": 1});
    logs!(app, app.client_ok(&ann, "/v1/client/room/update", json!({"roomID": g, "name": "G2"})).await,
        {"room.updated": 1, "message.created": 1});
    logs!(app, app.client_ok(&bob, "/v1/client/room/leave", json!({"roomID": g})).await,
        {"participant.left": 1, "message.created": 1});
    let sum = crate::client_support::room_delete_checksum(&app, &ann, &g).await;
    logs!(app, app.client_ok(&ann, "/v1/client/room/delete", json!({"roomID": g, "checksum": sum})).await,
        {"room.deleted": 1, "message.created": 1});

    // A personal room comes into being with its first message.
    logs!(app, client_send(&app, &ann, &personal(&ann.user_id, &bob.user_id), "hi").await,
        {"room.created": 1, "participant.added": 2, "message.created": 1});

    // Users: (de)activation, sessions, deletion.
    logs!(app, app.qiscus_ok("POST", "deactivate_users", json!({"user_ids": ["carol"]})).await, {"user.deactivated": 1});
    logs!(app, app.qiscus_ok("POST", "reactivate_users", json!({"user_ids": ["carol"]})).await, {"user.reactivated": 1});
    logs!(app, app.client_ok(&bob, "/v1/client/logout", json!({})).await, {"session.revoked": 1});
    logs!(app, app.server_ok("/v1/server/user/delete", json!({"xcUserID": "carol"})).await,
        {"user.deleted": 1, "session.revoked": 1});
}

#[tokio::test]
async fn a_request_that_fails_after_writing_leaves_no_change() {
    let app = TestApp::spawn().await;
    let ann = app.login("ann", "Ann").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&ann.user_id, &bob.user_id);
    let mine = client_send(&app, &ann, &room, "mine").await;
    let theirs = client_send(&app, &bob, &room, "theirs").await;
    // Deleting both for everyone: ann's goes first (lower id), then bob's is refused.
    let before = position(&app).await;
    let env = app
        .client(
            &ann,
            "/v1/chat/message/delete",
            json!({"roomID": room, "messageIDs": [mine, theirs], "forEveryone": true}),
        )
        .await;
    assert_eq!(env["status"], 403, "{env}");
    assert_eq!(kinds_after(&app, before).await, BTreeMap::new(), "the refused request logged nothing");
    let list = app.client_ok(&bob, "/v1/chat/message/list_by_room/before", json!({"roomID": room})).await;
    assert!(list["messages"].as_array().unwrap().iter().all(|m| m["isDeleted"] == false), "and deleted nothing");
}

#[tokio::test]
async fn a_device_catches_up_from_the_change_log() {
    let app = TestApp::spawn().await;
    let ann = app.login("ann", "Ann").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&ann.user_id, &bob.user_id);
    let first = client_send(&app, &ann, &room, "first").await;
    let sync = || app.client_ok(&bob, "/v1/chat/message/new_and_updated", json!({}));
    assert_eq!(sync().await["messages"], json!([]), "a device's first sync starts it from now");
    client_send(&app, &ann, &room, "second").await;
    let bodies = |v: &Value| v["messages"].as_array().unwrap().iter().map(body_of).collect::<Vec<_>>();
    assert_eq!(bodies(&sync().await), vec!["second"]);
    // A change recorded in the log alone, with the message itself untouched, reaches the
    // device: catching up reads the log.
    let (app_id, message) = (app.core_app().0, first.parse::<i64>().unwrap());
    app.core
        .store()
        .write(move |tx| {
            let id = tx.next_seq()?;
            tx.conn().execute(
                "INSERT INTO changes (id, app_id, kind, room_id, message_id, created) \
                 SELECT $1, app_id, 'message.edited', room_id, id, created FROM messages WHERE id = $2 AND app_id = $3",
                &[id.into(), message.into(), app_id.into()],
            )
        })
        .await
        .unwrap();
    assert_eq!(bodies(&sync().await), vec!["first"]);
    assert_eq!(sync().await["messages"], json!([]), "and moves its cursor on");
}

#[tokio::test]
async fn shutdown_closes_websockets_with_a_close_frame_after_saving_what_they_were_sent() {
    let app = TestApp::spawn().await;
    let ann = app.login("ann", "Ann").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&ann.user_id, &bob.user_id);
    app.client_ok(&bob, "/v1/chat/message/new_and_updated", json!({})).await;
    let before = app.server_ok("/v1/server/user/get", json!({"xcUserID": "bob"})).await["user"]["lastActivity"].clone();
    let mut ws = app.ws(&bob).await;
    client_send(&app, &ann, &room, "seen live").await;
    assert_eq!(body_of(&ws.expect("chat/sendMessage").await), "seen live");

    // The client reads on while the server stops, as a live one does, answering its Close.
    let client = async {
        let code = ws.close_code_within(Duration::from_secs(5)).await;
        // Reading on sends the answering Close that the client library queued.
        let _ = tokio::time::timeout(Duration::from_secs(5), ws.stream.next()).await;
        code
    };
    let (app, code) = tokio::join!(app.restart(), client);
    assert_eq!(code, Some(1001), "going away");
    let after = app.server_ok("/v1/server/user/get", json!({"xcUserID": "bob"})).await["user"]["lastActivity"].clone();
    assert!(after.as_i64() > before.as_i64(), "the last activity was saved: {before} then {after}");
    client_send(&app, &ann, &room, "sent later").await;
    let caught = app.client_ok(&bob, "/v1/chat/message/new_and_updated", json!({})).await;
    let bodies: Vec<String> = caught["messages"].as_array().unwrap().iter().map(body_of).collect();
    assert_eq!(bodies, vec!["sent later"], "the device's cursor was saved at shutdown");
}

#[tokio::test]
async fn a_read_receipt_marks_the_messages_it_covers_as_updated() {
    let app = TestApp::spawn().await;
    let ann = app.login("ann", "Ann").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&ann.user_id, &bob.user_id);
    let id = client_send(&app, &ann, &room, "read me").await;
    let list = app.client_ok(&ann, "/v1/chat/message/list_by_room/before", json!({"roomID": room})).await;
    let sent = list["messages"][0]["updated"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.client_ok(&bob, "/v1/chat/message/feedback/read", json!({"messageIDs": [id]})).await;
    // Ann's app syncs what changed since it last looked: the message, now read.
    let after = app
        .client_ok(
            &ann,
            "/v1/chat/message/list_by_room/after",
            json!({"roomID": room, "minCreated": sent, "lastUpdated": sent}),
        )
        .await;
    let m = &after["messages"][0];
    assert_eq!((m["messageID"].as_str(), m["isRead"].as_bool()), (Some(id.as_str()), Some(true)), "{after}");
}

#[tokio::test]
async fn a_device_the_log_no_longer_reaches_back_to_catches_up_with_new_messages() {
    let app = TestApp::spawn_with(|s| s.core.change_retention_ms = 1).await;
    let ann = app.login("ann", "Ann").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&ann.user_id, &bob.user_id);
    app.client_ok(&bob, "/v1/chat/message/new_and_updated", json!({})).await;
    client_send(&app, &ann, &room, "one").await;
    client_send(&app, &ann, &room, "two").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let purged = app.core.purge_changes().await.unwrap();
    assert!(purged >= 2, "the changes went: {purged}");
    let left = kinds_after(&app, 0).await;
    assert!(left.is_empty(), "nothing is left in the log: {left:?}");
    let caught = app.client_ok(&bob, "/v1/chat/message/new_and_updated", json!({})).await;
    let bodies: Vec<String> = caught["messages"].as_array().unwrap().iter().map(body_of).collect();
    assert_eq!(bodies, vec!["one", "two"], "new messages, from the messages themselves");
}
