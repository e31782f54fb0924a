//! `/v1/server/room/*` (seeds 000 and 001).

use crate::support::{TestApp, assert_error};
use crate::taptalk_server_messages::{assert_message_shape, rooms_of};
use crate::taptalk_server_users::assert_user_shape;
use serde_json::{Value, json};

const SEED_CREATE: &str = r#"{
    "xcRoomID": "6A02C41D",
    "type": 2,
    "name": "Order #6A02C41D",
    "photoThumbnailURL": "http://www.example.com/photo/thumb/6a02c41d6.jpg",
    "photoFullsizeURL": "http://www.example.com/photo/full/6a02c41d6.jpg",
    "participantXCUserIDs": [
        "6"
    ],
    "participantUserRoles": [
        "agent:1"
    ],
    "tags": [
        "category:1"
    ]
}"#;

async fn raw(app: &TestApp, path: &str, body: &str) -> Value {
    app.request("POST", path, &[("Server-Key", &app.creds.server_key)], body.to_string()).await.body
}

fn member_xcs(details: &Value) -> Vec<String> {
    let mut v: Vec<String> = details["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["xcUserID"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// Users 6 (Jony Lim) and an agent holding role `agent:1`, then the seed's room.
async fn seed_room(app: &TestApp) -> Value {
    app.user("6", "Jony Lim").await;
    app.server_ok(
        "/v1/server/user/update",
        json!({"xcUserID": "agent-1", "fullName": "Agent One", "userRoleCode": "agent:1"}),
    )
    .await;
    let env = raw(app, "/v1/server/room/create_or_update", SEED_CREATE).await;
    assert_eq!(env["status"], 200, "{env}");
    env["data"].clone()
}

#[tokio::test]
async fn seed_create_or_update_answers_the_documented_shape() {
    let app = TestApp::spawn().await;
    let d = seed_room(&app).await;
    let room = &d["room"];
    assert!(room["roomID"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(room["xcRoomID"], "6A02C41D");
    assert_eq!(room["name"], "Order #6A02C41D");
    assert_eq!(room["type"], 2);
    assert_eq!(
        room["imageURL"],
        json!({"thumbnail": "http://www.example.com/photo/thumb/6a02c41d6.jpg", "fullsize": "http://www.example.com/photo/full/6a02c41d6.jpg"})
    );
    assert_eq!(room["color"], "");
    assert_eq!(room["isLocked"], false);
    assert_eq!(room["lockedTime"], 0);
    assert_eq!(room["deleted"], 0);
    assert_eq!(room["isDeleted"], false);
    assert_eq!(room["tags"], json!(["category:1"]));
    assert_eq!(d["adminUserIDs"], json!([]));
    assert_eq!(member_xcs(&d), vec!["6", "agent-1"], "named participants plus users of the listed roles");
    for p in d["participants"].as_array().unwrap() {
        assert_user_shape(p);
    }
    let jony = d["participants"].as_array().unwrap().iter().find(|p| p["xcUserID"] == "6").unwrap();
    assert_eq!(jony["fullname"], "Jony Lim");
}

#[tokio::test]
async fn seed_get_add_remove_answer_room_and_participants() {
    let app = TestApp::spawn().await;
    let created = seed_room(&app).await;
    app.user("7", "Seven").await;

    let got = raw(
        &app,
        "/v1/server/room/get",
        r#"{
    "xcRoomID": "6A02C41D"
}"#,
    )
    .await;
    assert_eq!(got["status"], 200);
    assert_eq!(got["data"], created, "get answers what create answered");

    let removed = raw(
        &app,
        "/v1/server/room/participants/remove",
        r#"{
    "xcRoomID": "6A02C41D",
    "participantXCUserIDs": [
        "6"
    ]
}"#,
    )
    .await;
    assert_eq!(removed["status"], 200, "{removed}");
    assert_eq!(member_xcs(&removed["data"]), vec!["agent-1"]);

    let added = raw(
        &app,
        "/v1/server/room/participants/add",
        r#"{
    "xcRoomID": "6A02C41D",
    "participantXCUserIDs": [
        "6"
    ]
}"#,
    )
    .await;
    assert_eq!(added["status"], 200);
    assert_eq!(member_xcs(&added["data"]), vec!["6", "agent-1"]);
    assert_eq!(added["data"]["room"]["xcRoomID"], "6A02C41D");

    let added = app
        .server_ok(
            "/v1/server/room/participants/add",
            json!({"xcRoomID": "6A02C41D", "participantXCUserIDs": ["7", "6"]}),
        )
        .await;
    assert_eq!(member_xcs(&added), vec!["6", "7", "agent-1"], "adding a member twice is harmless");
}

#[tokio::test]
async fn seed_get_list_by_user_shows_last_message_and_unread_count() {
    let app = TestApp::spawn().await;
    seed_room(&app).await;
    app.user("9", "Nine").await;
    app.server_ok("/v1/server/room/participants/add", json!({"xcRoomID": "6A02C41D", "participantXCUserIDs": ["9"]}))
        .await;
    for text in ["one", "two", "three"] {
        app.server_ok(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": text, "senderXCUserID": "9", "xcRoomID": "6A02C41D"}),
        )
        .await;
    }
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "dm", "senderXCUserID": "9", "recipientXCUserID": "6"}),
    )
    .await;

    let env = raw(
        &app,
        "/v1/server/room/get_list_by_user",
        r#"{
    "xcUserID": "6",
    "xcRoomIDs": [
        "6A02C41D"
    ]
}"#,
    )
    .await;
    assert_eq!(env["status"], 200);
    let rooms = env["data"]["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 1, "xcRoomIDs filters the list");
    assert_eq!(rooms[0]["unreadCount"], 3);
    let m = &rooms[0]["lastMessage"];
    assert_message_shape(m);
    assert_eq!(
        palaver_taptalk::crypto::decrypt(m["body"].as_str().unwrap(), m["localID"].as_str().unwrap()).as_deref(),
        Some("three")
    );
    assert_eq!(m["room"]["xcRoomID"], "6A02C41D");
    assert_eq!(m["room"]["name"], "Order #6A02C41D");
    assert_eq!(m["user"]["xcUserID"], "9");

    let all = rooms_of(&app, "6").await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["room"]["type"], 1, "most recently active first");
    assert_eq!(all[0]["unreadCount"], 1);
    assert_eq!(all[1]["unreadCount"], 3);
    assert_eq!(rooms_of(&app, "9").await.iter().map(|r| r["unreadCount"].as_i64().unwrap()).sum::<i64>(), 0);

    let env = app.server("/v1/server/room/get_list_by_user", json!({})).await;
    assert_error(&env, 400, "40002", "Param 'xcUserID' is required", "xcUserID");
    let env = app.server("/v1/server/room/get_list_by_user", json!({"xcUserID": "nobody"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");
}

#[tokio::test]
async fn seed_lock_and_unlock_report_the_room_state() {
    let app = TestApp::spawn().await;
    seed_room(&app).await;
    let body = r#"{
    "xcRoomID": "6A02C41D",
    "xcUserID": "6"
}"#;
    let env = raw(&app, "/v1/server/room/lock", body).await;
    assert_eq!(env["data"], json!({"success": true, "message": "The room has been locked succesfully"}));
    let room = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "6A02C41D"})).await["room"].clone();
    assert_eq!(room["isLocked"], true);
    let locked_time = room["lockedTime"].as_i64().unwrap();
    assert!(locked_time > 0);

    let env = raw(&app, "/v1/server/room/lock", body).await;
    assert_eq!(
        env,
        json!({"status": 200, "error": {"code": "", "message": "", "field": ""}, "data": {"success": false, "message": "The room is already locked"}})
    );
    let again = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "6A02C41D"})).await["room"].clone();
    assert_eq!(again["lockedTime"], locked_time, "locking twice changes nothing");

    let env = raw(&app, "/v1/server/room/unlock", body).await;
    assert_eq!(env["data"], json!({"success": true, "message": "The room has been unlocked succesfully"}));
    let env = raw(&app, "/v1/server/room/unlock", body).await;
    assert_eq!(env["data"], json!({"success": false, "message": "The room is already unlocked"}));
    let room = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "6A02C41D"})).await["room"].clone();
    assert_eq!((room["isLocked"].clone(), room["lockedTime"].clone()), (json!(false), json!(0)));

    for path in ["/v1/server/room/lock", "/v1/server/room/unlock"] {
        let env = app.server(path, json!({"xcRoomID": "6A02C41D"})).await;
        assert_error(&env, 400, "40002", "Param 'xcUserID' is required", "xcUserID");
        let env = app.server(path, json!({"xcUserID": "6"})).await;
        assert_error(&env, 400, "40002", "Param 'xcRoomID' is required", "101");
        let env = app.server(path, json!({"xcRoomID": "nope", "xcUserID": "6"})).await;
        assert_error(&env, 404, "40401", "Room is not found", "");
        let env = app.server(path, json!({"xcRoomID": "6A02C41D", "xcUserID": "ghost"})).await;
        assert_error(&env, 404, "40401", "User is not found", "");
    }
}

#[tokio::test]
async fn update_rules_type_must_match_tags_and_roles_override_participants_ignored() {
    let app = TestApp::spawn().await;
    seed_room(&app).await;
    app.user("7", "Seven").await;
    app.server_ok(
        "/v1/server/user/update",
        json!({"xcUserID": "agent-2", "fullName": "Agent Two", "userRoleCode": "agent:2"}),
    )
    .await;

    let env = app
        .server("/v1/server/room/create_or_update", json!({"xcRoomID": "6A02C41D", "type": 4, "name": "Changed"}))
        .await;
    assert_error(&env, 400, "40002", "Room type does not match the existing room's type", "102");
    let room = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "6A02C41D"})).await;
    assert_eq!(room["room"]["name"], "Order #6A02C41D", "a rejected update changes nothing");
    assert_eq!(room["room"]["type"], 2);

    let d = app
        .server_ok(
            "/v1/server/room/create_or_update",
            json!({"xcRoomID": "6A02C41D", "type": 2, "name": "Renamed", "tags": ["category:2", "vip"],
                   "participantXCUserIDs": ["7"], "participantUserRoles": ["agent:2"]}),
        )
        .await;
    assert_eq!(d["room"]["name"], "Renamed");
    assert_eq!(d["room"]["tags"], json!(["category:2", "vip"]), "tags replace the old ones");
    assert_eq!(member_xcs(&d), vec!["6", "agent-2"], "participants are ignored on update; roles replace the old ones");
    assert_eq!(
        d["room"]["imageURL"]["thumbnail"], "http://www.example.com/photo/thumb/6a02c41d6.jpg",
        "photos not given are kept"
    );

    let d = app
        .server_ok("/v1/server/room/create_or_update", json!({"xcRoomID": "6A02C41D", "type": 2, "name": "Again"}))
        .await;
    assert_eq!(d["room"]["tags"], json!(["category:2", "vip"]), "tags not given are kept");
    assert_eq!(member_xcs(&d), vec!["6", "agent-2"]);

    // A user who takes on a listed role joins; one who leaves it is removed.
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "7", "fullName": "Seven", "userRoleCode": "agent:2"}))
        .await;
    app.server_ok(
        "/v1/server/user/update",
        json!({"xcUserID": "agent-2", "fullName": "Agent Two", "userRoleCode": "retired"}),
    )
    .await;
    let d = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "6A02C41D"})).await;
    assert_eq!(member_xcs(&d), vec!["6", "7"]);

    let t = app
        .server_ok("/v1/server/room/create_or_update", json!({"xcRoomID": "T-1", "type": 4, "name": "Transaction"}))
        .await;
    assert_eq!(t["room"]["type"], 4);
}

#[tokio::test]
async fn room_parameters_are_validated() {
    let app = TestApp::spawn().await;
    app.user("6", "Six").await;
    let c = "/v1/server/room/create_or_update";
    assert_error(
        &app.server(c, json!({"type": 2, "name": "x"})).await,
        400,
        "40002",
        "Param 'xcRoomID' is required",
        "101",
    );
    assert_error(
        &app.server(c, json!({"xcRoomID": "x".repeat(51), "type": 2, "name": "x"})).await,
        400,
        "40002",
        "Param 'xcRoomID' length must be between 1 and 50",
        "101",
    );
    assert_error(
        &app.server(c, json!({"xcRoomID": "R", "name": "x"})).await,
        400,
        "40002",
        "Param 'type' is required",
        "102",
    );
    for bad in [1, 3, 5] {
        assert_error(
            &app.server(c, json!({"xcRoomID": "R", "type": bad, "name": "x"})).await,
            400,
            "40002",
            "Param 'type' must be 2 (group) or 4 (transaction)",
            "102",
        );
    }
    assert_error(
        &app.server(c, json!({"xcRoomID": "R", "type": 2})).await,
        400,
        "40002",
        "Param 'name' is required",
        "103",
    );
    assert_error(
        &app.server(c, json!({"xcRoomID": "R", "type": 2, "name": "x", "tags": "a"})).await,
        400,
        "40002",
        "Param 'tags' must be a list of strings",
        "106",
    );
    assert_error(
        &app.server(c, json!({"xcRoomID": "R", "type": 2, "name": "x", "participantXCUserIDs": ["6", "ghost"]})).await,
        404,
        "40401",
        "User is not found",
        "",
    );
    for path in ["/v1/server/room/get", "/v1/server/room/participants/add", "/v1/server/room/participants/remove"] {
        assert_error(
            &app.server(path, json!({"participantXCUserIDs": ["6"]})).await,
            400,
            "40002",
            "Param 'xcRoomID' is required",
            "101",
        );
        assert_error(
            &app.server(path, json!({"xcRoomID": "R", "participantXCUserIDs": ["6"]})).await,
            404,
            "40401",
            "Room is not found",
            "",
        );
    }
    app.server_ok(c, json!({"xcRoomID": "R", "type": 2, "name": "x"})).await;
    for path in ["/v1/server/room/participants/add", "/v1/server/room/participants/remove"] {
        assert_error(
            &app.server(path, json!({"xcRoomID": "R"})).await,
            400,
            "40002",
            "Param 'participantXCUserIDs' is required",
            "107",
        );
        assert_error(
            &app.server(path, json!({"xcRoomID": "R", "participantXCUserIDs": []})).await,
            400,
            "40002",
            "Param 'participantXCUserIDs' cannot be empty",
            "107",
        );
    }
    // The failed create with an unknown participant wrote no room.
    let d = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "R"})).await;
    assert!(d["participants"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_group_is_limited_to_one_hundred_participants() {
    let app = TestApp::spawn().await;
    let mut xcs = Vec::new();
    for i in 0..101 {
        xcs.push(format!("m{i}"));
    }
    for x in &xcs {
        app.user(x, x).await;
    }
    let env = app
        .server(
            "/v1/server/room/create_or_update",
            json!({"xcRoomID": "Big", "type": 2, "name": "Big", "participantXCUserIDs": xcs}),
        )
        .await;
    assert_error(&env, 400, "40002", "A room has at most 100 participants", "107");
    let env = app.server("/v1/server/room/get", json!({"xcRoomID": "Big"})).await;
    assert_error(&env, 404, "40401", "Room is not found", "");
}
