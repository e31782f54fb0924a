//! Input limits: oversized lists and texts are refused with a clean error in the dialect's
//! envelope, and change nothing.

use crate::support::{TestApp, assert_error, assert_qiscus_error};
use serde_json::{Value, json};

/// More ids than any list parameter takes (40,000 hit SQLite's bound-parameter limit once).
const MANY: usize = 40_000;

fn many_ids() -> Vec<String> {
    (1..=MANY).map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn forty_thousand_ids_are_refused_cleanly_on_every_list_endpoint() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let ids = many_ids();
    let client = [
        ("/v1/client/user/get_all_by_ids", json!({"ids": ids}), "ids"),
        ("/v1/chat/message/feedback/read", json!({"messageIDs": ids}), "messageIDs"),
        ("/v1/chat/message/feedback/delivered", json!({"messageIDs": ids}), "messageIDs"),
        ("/v1/chat/message/delete", json!({"roomID": "1-2", "messageIDs": ids, "forEveryone": true}), "messageIDs"),
        ("/v1/client/contact/add_by_phones", json!({"phones": ids}), "phones"),
    ];
    for (path, body, name) in client {
        let env = app.client(&alice, path, body).await;
        assert_error(&env, 400, "40002", &format!("Param '{name}' has more than 5000 items"), name);
    }
    let server = [
        ("/v1/server/room/get_list_by_user", json!({"xcUserID": "alice", "xcRoomIDs": ids}), "xcRoomIDs", "xcRoomIDs"),
        (
            "/v1/server/room/create_or_update",
            json!({"xcRoomID": "r1", "type": 2, "name": "R", "participantUserRoles": ids}),
            "participantUserRoles",
            "108",
        ),
        (
            "/v1/server/room/participants/add",
            json!({"xcRoomID": "r1", "participantXCUserIDs": ids}),
            "participantXCUserIDs",
            "107",
        ),
    ];
    for (path, body, name, field) in server {
        let env = app.server(path, body).await;
        assert_error(&env, 400, "40002", &format!("Param '{name}' has more than 5000 items"), field);
    }
    let qiscus = app.qiscus("POST", "add_room_participants", json!({"room_id": "1", "user_ids": ids})).await;
    assert_qiscus_error(&qiscus, 400, "Param 'user_ids' lists more than 5000 items");
    let rooms = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "alice"})).await;
    assert_eq!(rooms["rooms"], json!([]), "nothing was created");

    let most: Vec<String> = ids[..5000].to_vec();
    let env = app.client(&alice, "/v1/client/user/get_all_by_ids", json!({"ids": most})).await;
    assert_eq!(env["status"], 200, "a list at the limit is taken: {env}");
}

/// A profile field over its limit, the field id TapTalk names, and the message.
fn oversized_profile(field: &str, chars: usize) -> Value {
    let mut body = json!({"xcUserID": "bob", "fullName": "Bob"});
    body[field] = json!("x".repeat(chars));
    body
}

#[tokio::test]
async fn oversized_profile_and_room_texts_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.user("bob", "Bob").await;
    for (name, chars, field, max) in [
        ("fullName", 150_000, "106", 100),
        ("email", 300, "107", 254),
        ("phone", 33, "108", 32),
        ("username", 65, "109", 64),
        ("photoThumbnailURL", 2049, "110", 2048),
        ("userRoleCode", 300_000, "112", 64),
    ] {
        let env = app.server("/v1/server/user/update", oversized_profile(name, chars)).await;
        assert_error(&env, 400, "40002", &format!("Param '{name}' is longer than {max} characters"), field);
    }
    let bob = app.server_ok("/v1/server/user/get", json!({"xcUserID": "bob"})).await;
    assert_eq!((bob["user"]["fullname"].as_str(), bob["user"]["userRole"]["code"].as_str()), (Some("Bob"), Some("")));
    let at_limit = json!({"xcUserID": "bob", "fullName": "é".repeat(100)});
    assert_eq!(app.server("/v1/server/user/update", at_limit).await["status"], 200, "100 characters of two bytes");

    let room = json!({"xcRoomID": "r1", "type": 2, "name": "x".repeat(101)});
    let env = app.server("/v1/server/room/create_or_update", room).await;
    assert_error(&env, 400, "40002", "Param 'name' length must be between 1 and 100", "103");
    let tags: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    let room = json!({"xcRoomID": "r1", "type": 2, "name": "R", "tags": tags});
    let env = app.server("/v1/server/room/create_or_update", room).await;
    assert_error(&env, 400, "40002", "Param 'tags' has more than 100 items", "106");
    let room = json!({"xcRoomID": "r1", "type": 2, "name": "R", "tags": ["y".repeat(65)]});
    let env = app.server("/v1/server/room/create_or_update", room).await;
    assert_error(&env, 400, "40002", "Param 'tags' is longer than 64 characters", "106");
    let env = app.server("/v1/server/room/get", json!({"xcRoomID": "r1"})).await;
    assert_eq!(env["status"], 404, "no room was written: {env}");

    let a = app.qiscus("POST", "login_or_register", json!({"user_id": "q1", "username": "q".repeat(101)})).await;
    assert_qiscus_error(&a, 400, "Param 'username' is longer than 100 characters");
    let options = json!({"blob": "o".repeat(17 * 1024)}).to_string();
    let body = json!({"room_name": "R", "creator": "q1", "participants": ["q1"], "room_options": options});
    let a = app.qiscus("POST", "create_room", body).await;
    assert_qiscus_error(&a, 400, "Param 'room_options' is longer than 16384 characters");
}
