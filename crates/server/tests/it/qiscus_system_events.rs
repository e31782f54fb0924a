//! Qiscus Server API system events: post_system_event_message.

use crate::qiscus_messages::{DEMO, room_id, without_times};
use crate::qiscus_rooms::{seed_group, seed_users};
use crate::support::{TestApp, assert_qiscus_error};
use serde_json::json;

#[tokio::test]
async fn post_system_event_message_custom_as_documented() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let room = room_id(&seed_group(&app).await);
    let r = app
        .qiscus_ok(
            "POST",
            "post_system_event_message",
            json!({
                "system_event_type": "custom",
                "room_id": room,
                "subject_user_id": "guest2@qiscus.com",
                "object_user_id": "guest2@qiscus.com",
                "message": "Admin is being set!",
                "payload": {"type": "add_admin", "admin_user_id": "admin@email.com"},
                "extras": {"qiscus_ios_pn": {"aps": {"content-avaibility": 1}}}
            }),
        )
        .await;
    let c = &r["comment"];
    let system = format!("system@{}", app.creds.qiscus_app_id);
    assert_eq!(
        without_times(c),
        json!({
            "id": c["id"],
            "message": "Admin is being set!",
            "type": "system_event",
            "payload": {
                "type": "custom",
                "subject_email": "guest2@qiscus.com",
                "subject_username": "Qiscus Guest2",
                "object_email": "guest2@qiscus.com",
                "object_username": "Qiscus Guest2",
                "object_email_list": ["guest2@qiscus.com"],
                "object_username_list": ["Qiscus Guest2"],
                "room_name": "Group Room",
                "payload": {"type": "add_admin", "admin_user_id": "admin@email.com"}
            },
            "extras": {"qiscus_ios_pn": {"aps": {"content-avaibility": 1}}},
            "unique_temp_id": c["unique_temp_id"],
            "comment_before_id": 0,
            "room_id": room,
            "user": {"user_id": system, "username": "System", "avatar_url": "", "extras": {}, "active": true}
        })
    );
    let loaded = app.qiscus_ok("GET", "load_comments", json!({"room_id": room})).await;
    assert_eq!(loaded["comments"][0], *c);
    // System events count as unread for participants; the system user is not one of them.
    let unread = app.qiscus_ok("GET", "get_unread_count", json!({"user_id": DEMO, "room_ids": [room]})).await;
    assert_eq!(unread["unread_counts"][0]["unread_count"], 1);
    let members = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": room})).await;
    assert_eq!(members["meta"]["total"], 2);
}

#[tokio::test]
async fn post_system_event_message_generates_texts_and_validates() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let room = room_id(&seed_group(&app).await);
    let texts = [
        (
            json!({"system_event_type": "add_member", "subject_user_id": DEMO, "object_user_id": ["guest2@qiscus.com", "user1@email.com"]}),
            "Qiscus Demo added Qiscus Guest2, Liu Kang",
        ),
        (
            json!({"system_event_type": "remove_member", "subject_user_id": DEMO, "object_user_ids": ["user1@email.com"]}),
            "Qiscus Demo removed Liu Kang",
        ),
        (json!({"system_event_type": "create_room", "subject_user_id": DEMO}), "Qiscus Demo created room 'Group Room'"),
        (
            json!({"system_event_type": "change_room_name", "subject_user_id": DEMO, "updated_room_name": "New"}),
            "Qiscus Demo changed room name to 'New'",
        ),
        (
            json!({"system_event_type": "join_room", "subject_user_id": "guest2@qiscus.com"}),
            "Qiscus Guest2 joined room",
        ),
        (json!({"system_event_type": "left_room", "subject_user_id": "guest2@qiscus.com"}), "Qiscus Guest2 left room"),
        (
            json!({"system_event_type": "change_room_avatar", "subject_user_id": DEMO, "message": "Own text"}),
            "Own text",
        ),
    ];
    for (mut body, text) in texts {
        body["room_id"] = json!(room);
        let r = app.qiscus_ok("POST", "post_system_event_message", body.clone()).await;
        assert_eq!(r["comment"]["message"], text, "{body}");
        assert_eq!(r["comment"]["payload"]["type"], body["system_event_type"]);
    }
    let cases = [
        (json!({"room_id": room}), 400, "Param 'message' is required for custom system events"),
        (
            json!({"room_id": room, "system_event_type": "join_room"}),
            400,
            "Param 'subject_user_id' is required for this system event type",
        ),
        (
            json!({"room_id": room, "system_event_type": "add_member", "subject_user_id": DEMO}),
            400,
            "Param 'object_user_id' is required for this system event type",
        ),
        (
            json!({"room_id": room, "system_event_type": "party", "message": "m"}),
            400,
            "Param 'system_event_type' must be one of create_room, add_member, join_room, remove_member, left_room, change_room_name, change_room_avatar, custom",
        ),
        (json!({"room_id": room, "message": "x".repeat(5001)}), 400, "Param 'message' is longer than 5000 characters"),
        (
            json!({"room_id": room, "system_event_type": "join_room", "subject_user_id": "ghost"}),
            404,
            "User is not found",
        ),
        (json!({"room_id": "nope", "message": "m"}), 404, "Room is not found"),
        (json!({"message": "m"}), 400, "Param 'room_id' is required"),
    ];
    for (body, status, message) in cases {
        assert_qiscus_error(&app.qiscus("POST", "post_system_event_message", body).await, status, message);
    }
    let loaded = app.qiscus_ok("GET", "load_comments", json!({"room_id": room})).await;
    assert_eq!(loaded["comments"].as_array().unwrap().len(), 7, "failed calls wrote nothing");
}
