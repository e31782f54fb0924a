//! Qiscus Server API rooms (seed 002): create_room, update_room,
//! get_or_create_room_with_target, get_rooms_info, get_or_create_channel.

use crate::support::{TestApp, assert_qiscus_error};
use serde_json::{Value, json};

pub const AVATAR: &str = "https://myimagebucket.com/image.jpg";
pub const CHANNEL_ID: &str = "831dfb71-1e5b-42cd-bf81-f303e6e988eb";

/// The users the seed's examples mention.
pub async fn seed_users(app: &TestApp) {
    app.qiscus_ok(
        "POST",
        "login_or_register",
        json!({"user_id": "user1@email.com", "username": "Liu Kang", "avatar_url": AVATAR}),
    )
    .await;
    app.qiscus_user("guest@qiscus.com", "Qiscus Demo").await;
    app.qiscus_user("guest2@qiscus.com", "Qiscus Guest2").await;
}

/// The seed's `create_room` request; returns the answer's `results`.
pub async fn seed_group(app: &TestApp) -> Value {
    app.qiscus_ok(
        "POST",
        "create_room",
        json!({
            "room_name": "Group Room",
            "participants": ["guest@qiscus.com", "guest2@qiscus.com"],
            "creator": "guest@qiscus.com",
            "room_avatar_url": AVATAR,
            "room_options": "{}"
        }),
    )
    .await
}

pub fn id_of(results: &Value) -> String {
    results["room"]["room_id"].as_str().expect("room_id is a string").to_string()
}

#[tokio::test]
async fn seed_create_room() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let r = seed_group(&app).await;
    let id = id_of(&r);
    assert!(id.parse::<i64>().is_ok(), "{id}");
    assert_eq!(
        r,
        json!({"room": {
            "room_id": id,
            "room_name": "Group Room",
            "room_type": "group",
            "room_avatar_url": AVATAR,
            "room_options": "{}",
            "room_channel_id": ""
        }})
    );
    // The creator is an admin (visible through the TapTalk face); the creator is not added
    // unless listed.
    let details = app
        .core
        .room(app.core_app(), palaver_domain::RoomRef::Id(palaver_domain::RoomId(id.parse().unwrap())))
        .await
        .unwrap();
    let creator = app.user_by_external_id("guest@qiscus.com").await;
    assert_eq!(details.admins, vec![creator.id]);
    let r = app
        .qiscus_ok(
            "POST",
            "create_room",
            json!({"room_name": "Solo", "participants": ["guest2@qiscus.com"], "creator": "guest@qiscus.com"}),
        )
        .await;
    let members = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": id_of(&r)})).await;
    assert_eq!(members["participants"].as_array().unwrap().len(), 1);
    assert_eq!(members["participants"][0]["user_id"], "guest2@qiscus.com");
}

#[tokio::test]
async fn create_room_validates_everything_before_writing() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let too_many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let cases = [
        (
            json!({"participants": ["guest@qiscus.com"], "creator": "guest@qiscus.com"}),
            400,
            "Param 'room_name' is required",
        ),
        (json!({"room_name": "R", "creator": "guest@qiscus.com"}), 400, "Param 'participants' is required"),
        (
            json!({"room_name": "R", "participants": [], "creator": "guest@qiscus.com"}),
            400,
            "Param 'participants' cannot be empty",
        ),
        (
            json!({"room_name": "R", "participants": too_many, "creator": "guest@qiscus.com"}),
            400,
            "Param 'participants' lists more than 100 users",
        ),
        (json!({"room_name": "R", "participants": ["guest@qiscus.com"]}), 400, "Param 'creator' is required"),
        (
            json!({"room_name": "R", "participants": ["guest@qiscus.com"], "creator": "guest@qiscus.com", "room_options": "not json"}),
            400,
            "Param 'room_options' must be a JSON object or a string holding one",
        ),
        (
            json!({"room_name": "R", "participants": ["guest@qiscus.com", "ghost"], "creator": "guest@qiscus.com"}),
            404,
            "User is not found",
        ),
        (json!({"room_name": "R", "participants": ["guest@qiscus.com"], "creator": "ghost"}), 404, "User is not found"),
    ];
    for (body, status, message) in cases {
        assert_qiscus_error(&app.qiscus("POST", "create_room", body).await, status, message);
    }
    let rooms = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "guest@qiscus.com"})).await;
    assert_eq!(rooms["meta"]["total_room"], 0, "no room was created");
}

#[tokio::test]
async fn seed_update_room() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let id = id_of(&seed_group(&app).await);
    let r = app
        .qiscus_ok(
            "POST",
            "update_room",
            json!({
                "room_id": id,
                "room_name": "Group Room Renamed",
                "room_avatar_url": AVATAR,
                "room_options": "{\"option1\":true,\"string_option2\":\"value\"}",
                "room_channel_id": CHANNEL_ID
            }),
        )
        .await;
    assert_eq!(
        r,
        json!({"changed": true, "room": {
            "room_id": id,
            "room_name": "Group Room Renamed",
            "room_type": "group",
            "room_avatar_url": AVATAR,
            "room_options": "{\"option1\":true,\"string_option2\":\"value\"}",
            "room_channel_id": CHANNEL_ID
        }})
    );
    // The same values again change nothing; the unique id now names the room too.
    let again =
        app.qiscus_ok("POST", "update_room", json!({"room_id": CHANNEL_ID, "room_name": "Group Room Renamed"})).await;
    assert_eq!(again["changed"], false);
    assert_eq!(again["room"], r["room"]);
    // Options given as an object are stored as JSON text; absent fields stay.
    let obj =
        app.qiscus_ok("POST", "update_room", json!({"room_id": id, "room_options": {"background": "green"}})).await;
    assert_eq!(obj["changed"], true);
    assert_eq!(obj["room"]["room_options"], "{\"background\":\"green\"}");
    assert_eq!(obj["room"]["room_name"], "Group Room Renamed");
    assert_eq!(obj["room"]["room_channel_id"], CHANNEL_ID);
}

#[tokio::test]
async fn update_room_is_only_for_existing_group_rooms() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let group = id_of(&seed_group(&app).await);
    let other = id_of(
        &app.qiscus_ok(
            "POST",
            "create_room",
            json!({"room_name": "Other", "participants": ["guest@qiscus.com"], "creator": "guest@qiscus.com"}),
        )
        .await,
    );
    app.qiscus_ok("POST", "update_room", json!({"room_id": other, "room_channel_id": "taken-id"})).await;
    let single = id_of(
        &app.qiscus_ok(
            "POST",
            "get_or_create_room_with_target",
            json!({"user_ids": ["guest@qiscus.com", "guest2@qiscus.com"]}),
        )
        .await,
    );
    let cases = [
        (json!({"room_id": single, "room_name": "x"}), 400, "The room is not a group room"),
        (json!({"room_id": "99999", "room_name": "x"}), 404, "Room is not found"),
        (json!({"room_id": "no-such-unique-id", "room_name": "x"}), 404, "Room is not found"),
        (json!({"room_name": "x"}), 400, "Param 'room_id' is required"),
        (
            json!({"room_id": group, "room_channel_id": "taken-id"}),
            400,
            "Param 'room_channel_id' is already used by another room",
        ),
        (
            json!({"room_id": group, "room_channel_id": "a#b"}),
            400,
            "Param 'room_channel_id' cannot contain '#', '+', '/' or spaces",
        ),
        (
            json!({"room_id": group, "room_options": "[]"}),
            400,
            "Param 'room_options' must be a JSON object or a string holding one",
        ),
    ];
    for (body, status, message) in cases {
        assert_qiscus_error(&app.qiscus("POST", "update_room", body).await, status, message);
    }
    let info = app.qiscus_ok("GET", "get_rooms_info", json!({"room_ids": [group]})).await;
    assert_eq!(info["rooms"][0]["room_name"], "Group Room", "nothing was written");
    assert_eq!(info["rooms"][0]["room_channel_id"], "");
}
