//! Qiscus Server API get-or-create and lookups (seed 002): get_or_create_room_with_target,
//! get_rooms_info, get_or_create_channel.

use crate::qiscus_rooms::{AVATAR, CHANNEL_ID, id_of, seed_group, seed_users};
use crate::support::{TestApp, assert_qiscus_error};
use serde_json::json;

#[tokio::test]
async fn seed_get_or_create_room_with_target_returns_one_room_every_time() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let body = json!({"user_ids": ["guest@qiscus.com", "guest2@qiscus.com"], "room_options": "{}"});
    let r = app.qiscus_ok("POST", "get_or_create_room_with_target", body).await;
    let id = id_of(&r);
    assert_eq!(
        r,
        json!({"room": {
            "room_id": id,
            "room_name": "",
            "room_type": "single",
            "room_avatar_url": "",
            "room_options": "{}",
            "room_channel_id": ""
        }})
    );
    // Reversed order, GET with a query array, later options: the same room, unchanged.
    let again = app
        .qiscus_ok(
            "GET",
            "get_or_create_room_with_target",
            json!({"user_ids": ["guest2@qiscus.com", "guest@qiscus.com"], "room_options": "{\"a\":1}"}),
        )
        .await;
    assert_eq!(again, r);
    // Options apply when the room is created.
    let other = app
        .qiscus_ok(
            "POST",
            "get_or_create_room_with_target",
            json!({"user_ids": ["guest@qiscus.com", "user1@email.com"], "room_options": {"color": "red"}}),
        )
        .await;
    assert_ne!(id_of(&other), id);
    assert_eq!(other["room"]["room_options"], "{\"color\":\"red\"}");

    let cases = [
        (json!({"user_ids": ["guest@qiscus.com"]}), 400, "Param 'user_ids' must contain exactly 2 user ids"),
        (
            json!({"user_ids": ["guest@qiscus.com", "guest2@qiscus.com", "user1@email.com"]}),
            400,
            "Param 'user_ids' must contain exactly 2 user ids",
        ),
        (
            json!({"user_ids": ["guest@qiscus.com", "guest@qiscus.com"]}),
            400,
            "Param 'user_ids' must name two different users",
        ),
        (json!({"user_ids": ["guest@qiscus.com", "ghost"]}), 404, "User is not found"),
        (json!({}), 400, "Param 'user_ids' is required"),
    ];
    for (body, status, message) in cases {
        assert_qiscus_error(&app.qiscus("POST", "get_or_create_room_with_target", body).await, status, message);
    }
}

#[tokio::test]
async fn seed_get_rooms_info() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let group = id_of(&seed_group(&app).await);
    app.qiscus_ok(
        "POST",
        "update_room",
        json!({"room_id": group, "room_name": "My Favorite Room", "room_channel_id": CHANNEL_ID}),
    )
    .await;
    let single = id_of(
        &app.qiscus_ok(
            "POST",
            "get_or_create_room_with_target",
            json!({"user_ids": ["guest@qiscus.com", "guest2@qiscus.com"]}),
        )
        .await,
    );
    let expected = json!({"rooms": [
        {
            "room_id": group,
            "room_name": "My Favorite Room",
            "room_type": "group",
            "room_avatar_url": AVATAR,
            "room_options": "{}",
            "room_channel_id": CHANNEL_ID
        },
        {
            "room_id": single,
            "room_name": "",
            "room_type": "single",
            "room_avatar_url": "",
            "room_options": "{}",
            "room_channel_id": ""
        }
    ]});
    let r = app.qiscus_ok("GET", "get_rooms_info", json!({"room_ids": [group, single]})).await;
    assert_eq!(r, expected);
    // By unique id, mixed, repeated and unknown ids: each known room once, in the order asked.
    let r = app
        .qiscus_ok(
            "GET",
            "get_rooms_info",
            json!({"room_ids": [group, "424242", single, "nope"], "room_channel_ids": [CHANNEL_ID]}),
        )
        .await;
    assert_eq!(r, expected);
    let r = app.qiscus_ok("POST", "get_rooms_info", json!({"room_channel_ids": [CHANNEL_ID]})).await;
    assert_eq!(r["rooms"], json!([expected["rooms"][0]]));
    let a = app.qiscus("GET", "get_rooms_info", json!({})).await;
    assert_qiscus_error(&a, 400, "Param 'room_ids' or 'room_channel_ids' is required");
}

#[tokio::test]
async fn seed_get_or_create_channel_reports_changed() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let r = app
        .qiscus_ok(
            "GET",
            "get_or_create_channel",
            json!({"unique_id": "test123", "participants": ["guest@qiscus.com"]}),
        )
        .await;
    let id = id_of(&r);
    // As seed 002 shows it: a channel is a group to the v2.1 Server API.
    assert_eq!(
        r,
        json!({"changed": true, "room": {
            "room_avatar_url": "",
            "room_channel_id": "test123",
            "room_id": id,
            "room_name": "test123",
            "room_options": "{}",
            "room_type": "group"
        }})
    );
    let same = app
        .qiscus_ok(
            "POST",
            "get_or_create_channel",
            json!({"unique_id": "test123", "participants": ["guest@qiscus.com"]}),
        )
        .await;
    assert_eq!(same, json!({"changed": false, "room": r["room"]}));
    let joined = app
        .qiscus_ok(
            "POST",
            "get_or_create_channel",
            json!({"unique_id": "test123", "participants": ["guest2@qiscus.com"]}),
        )
        .await;
    assert_eq!(joined, json!({"changed": true, "room": r["room"]}), "a new participant is a change");
    let renamed = app
        .qiscus_ok("POST", "get_or_create_channel", json!({"unique_id": "test123", "participants": ["guest2@qiscus.com"], "room_name": "Test", "room_options": "{\"x\":1}"}))
        .await;
    assert_eq!(renamed["changed"], true);
    assert_eq!(renamed["room"]["room_name"], "Test");
    assert_eq!(renamed["room"]["room_options"], "{\"x\":1}");
    let members = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": "test123"})).await;
    assert_eq!(members["meta"]["total"], 2);
    let channels =
        app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "guest2@qiscus.com", "room_type": "channel"})).await;
    assert_eq!(channels["rooms"][0]["room_id"], id.as_str());

    let cases = [
        (json!({"participants": ["guest@qiscus.com"]}), 400, "Param 'unique_id' is required"),
        (
            json!({"unique_id": "a#b", "participants": ["guest@qiscus.com"]}),
            400,
            "Param 'unique_id' cannot contain '#', '+', '/' or spaces",
        ),
        (
            json!({"unique_id": "a+b", "participants": ["guest@qiscus.com"]}),
            400,
            "Param 'unique_id' cannot contain '#', '+', '/' or spaces",
        ),
        (
            json!({"unique_id": "a/b", "participants": ["guest@qiscus.com"]}),
            400,
            "Param 'unique_id' cannot contain '#', '+', '/' or spaces",
        ),
        (json!({"unique_id": "fresh"}), 400, "Param 'participants' is required"),
        (json!({"unique_id": "fresh", "participants": ["ghost"]}), 404, "User is not found"),
    ];
    for (body, status, message) in cases {
        assert_qiscus_error(&app.qiscus("POST", "get_or_create_channel", body).await, status, message);
    }
    let a = app.qiscus("GET", "get_rooms_info", json!({"room_channel_ids": ["fresh"]})).await;
    assert_eq!(a.body["results"]["rooms"], json!([]), "no channel was created by the failed calls");
}

#[tokio::test]
async fn a_numeric_unique_id_keeps_naming_its_channel_after_that_room_number_exists() {
    let app = TestApp::spawn().await;
    app.qiscus_user("u1", "One").await;
    let channel =
        app.qiscus_ok("POST", "get_or_create_channel", json!({"unique_id": "3", "participants": ["u1"]})).await;
    let channel_id = channel["room"]["room_id"].as_str().unwrap().to_string();
    assert_ne!(channel_id, "3");
    // Rooms 2, 3, ... come into being; "3" still names the channel.
    for n in 0..3 {
        app.qiscus_ok(
            "POST",
            "create_room",
            json!({"room_name": format!("g{n}"), "participants": ["u1"], "creator": "u1"}),
        )
        .await;
    }
    let posted = app
        .qiscus_ok("POST", "post_comment", json!({"user_id": "u1", "room_id": "3", "message": "to the channel"}))
        .await;
    assert_eq!(posted["comment"]["room_id"], channel_id);
    // A number no room has as its unique id is still the room of that number.
    let posted =
        app.qiscus_ok("POST", "post_comment", json!({"user_id": "u1", "room_id": "4", "message": "to room 4"})).await;
    assert_eq!(posted["comment"]["room_id"], "4");
}
