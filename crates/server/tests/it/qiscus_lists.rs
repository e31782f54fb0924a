//! Qiscus Server API room lists (seed 002): get_user_rooms and get_unread_count.

use crate::qiscus_rooms::{seed_group, seed_users};
use crate::support::{TestApp, assert_qiscus_error};
use palaver_domain::RoomId;
use palaver_store::repo::participants;
use serde_json::{Value, json};

const AVATAR: &str = "https://myimagebucket.com/image.jpg";
const CHANNEL_ID: &str = "831dfb71-1e5b-42cd-bf81-f303e6e988eb";

fn room_id(results: &Value) -> String {
    results["room"]["room_id"].as_str().unwrap().to_string()
}

fn room_ids(list: &Value) -> Vec<&str> {
    list["rooms"].as_array().unwrap().iter().map(|r| r["room_id"].as_str().unwrap()).collect()
}

async fn say(app: &TestApp, user: &str, room: &str, text: &str) {
    app.qiscus_ok("POST", "post_comment", json!({"user_id": user, "room_id": room, "message": text})).await;
}

#[tokio::test]
async fn seed_get_user_rooms() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let group = room_id(&seed_group(&app).await);
    app.qiscus_ok("POST", "update_room", json!({"room_id": group, "room_channel_id": CHANNEL_ID})).await;
    let single = room_id(
        &app.qiscus_ok(
            "POST",
            "get_or_create_room_with_target",
            json!({"user_ids": ["guest@qiscus.com", "user1@email.com"]}),
        )
        .await,
    );
    say(&app, "user1@email.com", &single, "hello").await;
    say(&app, "guest2@qiscus.com", &group, "hi all").await;

    let r = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "guest@qiscus.com"})).await;
    assert_eq!(
        r,
        json!({
            "meta": {"current_page": 1, "total_room": 2},
            "rooms": [
                {
                    "room_id": group,
                    "room_name": "Group Room",
                    "room_type": "group",
                    "room_avatar_url": AVATAR,
                    "room_options": "{}",
                    "room_channel_id": CHANNEL_ID
                },
                {
                    "room_id": single,
                    "room_name": "",
                    "room_type": "single",
                    "room_avatar_url": AVATAR,
                    "room_options": "{}",
                    "room_channel_id": ""
                }
            ]
        }),
        "most recently active first; a single room shows the partner's avatar"
    );
    say(&app, "guest@qiscus.com", &single, "back to you").await;
    let r = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "guest@qiscus.com"})).await;
    assert_eq!(room_ids(&r), vec![single.as_str(), group.as_str()]);

    let singles =
        app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "guest@qiscus.com", "room_type": "single"})).await;
    assert_eq!(singles["meta"], json!({"current_page": 1, "total_room": 1}));
    assert_eq!(room_ids(&singles), vec![single.as_str()]);
    let groups =
        app.qiscus_ok("POST", "get_user_rooms", json!({"user_id": "guest@qiscus.com", "room_type": "group"})).await;
    assert_eq!(room_ids(&groups), vec![group.as_str()]);
}

#[tokio::test]
async fn get_user_rooms_pages_and_validates() {
    let app = TestApp::spawn().await;
    app.qiscus_user("me", "Me").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = app
            .qiscus_ok(
                "POST",
                "create_room",
                json!({"room_name": format!("R{i}"), "participants": ["me"], "creator": "me"}),
            )
            .await;
        ids.push(room_id(&r));
    }
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    let all = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "me"})).await;
    assert_eq!(room_ids(&all), newest_first, "rooms without messages: newest first");
    let p2 = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "me", "page": 2, "limit": 2})).await;
    assert_eq!(p2["meta"], json!({"current_page": 2, "total_room": 5}));
    assert_eq!(room_ids(&p2), newest_first[2..4].to_vec());
    let p3 = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "me", "page": 3, "limit": 2})).await;
    assert_eq!(room_ids(&p3), newest_first[4..].to_vec());
    let p4 = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "me", "page": 4, "limit": 2})).await;
    assert_eq!(p4, json!({"meta": {"current_page": 4, "total_room": 5}, "rooms": []}));
    let capped = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "me", "limit": 500})).await;
    assert_eq!(room_ids(&capped).len(), 5, "a limit over 100 counts as 100");

    let cases = [
        (json!({}), 400, "Param 'user_id' is required"),
        (json!({"user_id": "ghost"}), 404, "User is not found"),
        (json!({"user_id": "me", "room_type": "private"}), 400, "Param 'room_type' must be single, group or channel"),
        (json!({"user_id": "me", "page": 0}), 400, "Param 'page' must be 1 or more"),
        (json!({"user_id": "me", "limit": 0}), 400, "Param 'limit' must be 1 or more"),
        (json!({"user_id": "me", "page": "first"}), 400, "Param 'page' must be an integer"),
    ];
    for (params, status, message) in cases {
        assert_qiscus_error(&app.qiscus("GET", "get_user_rooms", params).await, status, message);
    }
}

/// Moves a user's read pointer in a room up to the room's newest message, the way a client
/// marking the room read does.
async fn read_all(app: &TestApp, user_id: &str, room: &str) {
    let user = app.user_by_external_id(user_id).await.id;
    let room = RoomId(room.parse().unwrap());
    app.core
        .store()
        .write(move |tx| {
            let latest = palaver_store::repo::messages::latest_id(tx.conn(), room)?;
            participants::advance(tx.conn(), room, user, Some(latest), None).map(|_| ())
        })
        .await
        .map_err(|e: palaver_store::DbError| e)
        .unwrap();
}

#[tokio::test]
async fn seed_get_unread_count_is_derived_from_read_pointers() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let a = room_id(&seed_group(&app).await);
    let b = room_id(
        &app.qiscus_ok(
            "GET",
            "get_or_create_channel",
            json!({"unique_id": "room-b", "participants": ["guest@qiscus.com", "guest2@qiscus.com"]}),
        )
        .await,
    );
    for i in 0..10 {
        say(&app, "guest2@qiscus.com", &a, &format!("a{i}")).await;
    }
    for i in 0..12 {
        say(&app, "guest2@qiscus.com", &b, &format!("b{i}")).await;
    }
    say(&app, "guest@qiscus.com", &a, "my own messages are never unread").await;

    let r = app.qiscus_ok("GET", "get_unread_count", json!({"user_id": "guest@qiscus.com", "room_ids": [a, b]})).await;
    assert_eq!(
        r,
        json!({"unread_counts": [
            {"room_id": a, "unread_count": 10},
            {"room_id": b, "unread_count": 12}
        ]})
    );
    let by_unique = app
        .qiscus_ok(
            "GET",
            "get_unread_count",
            json!({"user_id": "guest@qiscus.com", "room_ids": [a], "room_channel_ids": ["room-b", "unknown"]}),
        )
        .await;
    assert_eq!(by_unique, r);

    read_all(&app, "guest@qiscus.com", &a).await;
    say(&app, "guest2@qiscus.com", &a, "one more").await;
    let r = app.qiscus_ok("GET", "get_unread_count", json!({"user_id": "guest@qiscus.com", "room_ids": [a, b]})).await;
    assert_eq!(r["unread_counts"][0], json!({"room_id": a, "unread_count": 1}));
    assert_eq!(r["unread_counts"][1], json!({"room_id": b, "unread_count": 12}));
    let sender =
        app.qiscus_ok("GET", "get_unread_count", json!({"user_id": "guest2@qiscus.com", "room_ids": [a]})).await;
    assert_eq!(sender["unread_counts"][0]["unread_count"], 1, "only the other user's message");
    let outsider =
        app.qiscus_ok("GET", "get_unread_count", json!({"user_id": "user1@email.com", "room_ids": [a]})).await;
    assert_eq!(outsider["unread_counts"], json!([{"room_id": a, "unread_count": 0}]));

    let cases = [
        (json!({"room_ids": [a]}), 400, "Param 'user_id' is required"),
        (json!({"user_id": "guest@qiscus.com"}), 400, "Param 'room_ids' or 'room_channel_ids' is required"),
        (json!({"user_id": "ghost", "room_ids": [a]}), 404, "User is not found"),
    ];
    for (params, status, message) in cases {
        assert_qiscus_error(&app.qiscus("GET", "get_unread_count", params).await, status, message);
    }
}
