//! Qiscus Server API comments: post_comment, load_comments, post_system_event_message.

use crate::qiscus_rooms::{seed_group, seed_users};
use crate::support::{TestApp, assert_qiscus_error};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn room_id(results: &Value) -> String {
    results["room"]["room_id"].as_str().unwrap().to_string()
}

/// Checks the time fields agree with each other and with the clock; returns the comment
/// without them for exact comparison.
pub fn without_times(c: &Value) -> Value {
    let secs = c["unix_timestamp"].as_i64().expect("unix_timestamp is an integer");
    let nanos = c["unix_nano_timestamp"].as_i64().expect("unix_nano_timestamp is an integer");
    assert_eq!(nanos / 1_000_000_000, secs);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now - secs).abs() < 120, "{secs} vs {now}");
    let ts = c["timestamp"].as_str().unwrap();
    assert!(ts.len() == 20 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
    let mut c = c.clone();
    for k in ["timestamp", "unix_timestamp", "unix_nano_timestamp"] {
        c.as_object_mut().unwrap().remove(k);
    }
    c
}

pub const DEMO: &str = "guest@qiscus.com";

fn demo_user() -> Value {
    json!({"user_id": DEMO, "username": "Qiscus Demo", "avatar_url": "", "extras": {}, "active": true})
}

#[tokio::test]
async fn post_comment_answers_the_full_comment() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let room = room_id(&seed_group(&app).await);
    let r = app
        .qiscus_ok("POST", "post_comment", json!({"user_id": DEMO, "room_id": room, "message": "this is new message"}))
        .await;
    let c = &r["comment"];
    let id = c["id"].as_i64().expect("id is an integer");
    let temp = c["unique_temp_id"].as_str().unwrap().to_string();
    assert_eq!(temp.len(), 32, "a unique_temp_id is generated when absent");
    assert_eq!(
        without_times(c),
        json!({
            "id": id,
            "message": "this is new message",
            "type": "text",
            "payload": {},
            "extras": {},
            "unique_temp_id": temp,
            "comment_before_id": 0,
            "room_id": room,
            "user": demo_user()
        })
    );

    // A custom comment with payload and extras given as JSON strings, by unique id.
    app.qiscus_ok("POST", "update_room", json!({"room_id": room, "room_channel_id": "room-457"})).await;
    let r = app
        .qiscus_ok(
            "POST",
            "post_comment",
            json!({
                "user_id": DEMO,
                "room_id": "room-457",
                "type": "custom",
                "payload": "{\"type\":\"promo\",\"content\":{\"date\":\"2017-09-09\"}}",
                "extras": "{\"tag\":1}",
                "unique_temp_id": "javascript-abc"
            }),
        )
        .await;
    let c2 = &r["comment"];
    assert_eq!(
        without_times(c2),
        json!({
            "id": c2["id"],
            "message": "",
            "type": "custom",
            "payload": {"type": "promo", "content": {"date": "2017-09-09"}},
            "extras": {"tag": 1},
            "unique_temp_id": "javascript-abc",
            "comment_before_id": id,
            "room_id": room,
            "user": demo_user()
        })
    );
    assert!(c2["id"].as_i64().unwrap() > id);
    // Posting the same unique_temp_id again answers the stored comment.
    let again = app
        .qiscus_ok("POST", "post_comment", json!({"user_id": DEMO, "room_id": room, "type": "custom", "payload": {"type": "other"}, "unique_temp_id": "javascript-abc"}))
        .await;
    assert_eq!(again["comment"], *c2);

    let buttons = json!({"text": "pick", "buttons": [{"label": "b1", "type": "postback", "payload": {"url": "http://x", "method": "get", "payload": null}}]});
    let r = app
        .qiscus_ok(
            "POST",
            "post_comment",
            json!({"user_id": DEMO, "room_id": room, "type": "buttons", "payload": buttons}),
        )
        .await;
    assert_eq!(r["comment"]["payload"], buttons);
    assert_eq!(r["comment"]["type"], "buttons");
}

#[tokio::test]
async fn post_comment_validates_and_writes_nothing_on_error() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let room = room_id(&seed_group(&app).await);
    let long = "x".repeat(4001);
    let cases = [
        (json!({"room_id": room, "message": "m"}), 400, "Param 'user_id' is required".to_string()),
        (json!({"user_id": DEMO, "message": "m"}), 400, "Param 'room_id' is required".to_string()),
        (json!({"user_id": DEMO, "room_id": room}), 400, "Param 'message' is required".to_string()),
        (json!({"user_id": DEMO, "room_id": room, "message": long}), 400, "Param 'message' is longer than 4000 characters".to_string()),
        (json!({"user_id": DEMO, "room_id": room, "message": "m", "type": "system_event"}), 400, "Param 'type' cannot be system_event here: use post_system_event_message".to_string()),
        (json!({"user_id": DEMO, "room_id": room, "message": "m", "type": "sticker"}), 400, "Param 'type' must be one of account_linking, button_postback_response, buttons, card, carousel, contact_person, custom, file_attachment, location, reply, text".to_string()),
        (json!({"user_id": DEMO, "room_id": room, "type": "custom", "payload": {"content": 1}}), 400, "Param 'payload' of a custom comment must be an object with a string 'type'".to_string()),
        (json!({"user_id": DEMO, "room_id": room, "message": "m", "payload": "{broken"}), 400, "Param 'payload' must be a JSON object or a string holding one".to_string()),
        (json!({"user_id": "user1@email.com", "room_id": room, "message": "m"}), 403, "The sender is not a participant of the room".to_string()),
        (json!({"user_id": "ghost", "room_id": room, "message": "m"}), 404, "User is not found".to_string()),
        (json!({"user_id": DEMO, "room_id": "777777", "message": "m"}), 404, "Room is not found".to_string()),
    ];
    for (body, status, message) in cases {
        assert_qiscus_error(&app.qiscus("POST", "post_comment", body).await, status, &message);
    }
    let comments = app.qiscus_ok("GET", "load_comments", json!({"room_id": room})).await;
    assert_eq!(comments, json!({"comments": []}));
    let exact = "é".repeat(4000);
    let r = app.qiscus_ok("POST", "post_comment", json!({"user_id": DEMO, "room_id": room, "message": exact})).await;
    assert_eq!(r["comment"]["message"].as_str().unwrap().chars().count(), 4000, "4000 characters are fine");
}

#[tokio::test]
async fn load_comments_is_newest_first_and_pages() {
    let app = TestApp::spawn().await;
    seed_users(&app).await;
    let room = room_id(&seed_group(&app).await);
    let mut posted = Vec::new();
    for i in 0..25 {
        let who = if i % 2 == 0 { DEMO } else { "guest2@qiscus.com" };
        let r = app
            .qiscus_ok("POST", "post_comment", json!({"user_id": who, "room_id": room, "message": format!("m{i}")}))
            .await;
        posted.push(r["comment"].clone());
    }
    let newest: Vec<Value> = posted.iter().rev().cloned().collect();
    let page1 = app.qiscus_ok("GET", "load_comments", json!({"room_id": room})).await;
    assert_eq!(page1["comments"], json!(newest[..20]), "default 20, newest first, same shape as post_comment");
    let page2 = app.qiscus_ok("GET", "load_comments", json!({"room_id": room, "page": 2})).await;
    assert_eq!(page2["comments"], json!(newest[20..]));
    assert_eq!(page2["comments"][4]["comment_before_id"], 0, "the first comment has none");
    let small = app.qiscus_ok("POST", "load_comments", json!({"room_id": room, "page": "3", "limit": "5"})).await;
    assert_eq!(small["comments"], json!(newest[10..15]));
    let beyond = app.qiscus_ok("GET", "load_comments", json!({"room_id": room, "page": 9})).await;
    assert_eq!(beyond["comments"], json!([]));
    let big = app.qiscus_ok("GET", "load_comments", json!({"room_id": room, "limit": 1000})).await;
    assert_eq!(big["comments"].as_array().unwrap().len(), 25);
    for w in newest.windows(2) {
        assert_eq!(w[0]["comment_before_id"], w[1]["id"]);
    }
    assert_qiscus_error(
        &app.qiscus("GET", "load_comments", json!({"room_id": "nope"})).await,
        404,
        "Room is not found",
    );
    assert_qiscus_error(
        &app.qiscus("GET", "load_comments", json!({"room_id": room, "limit": 0})).await,
        400,
        "Param 'limit' must be 1 or more",
    );
}
