//! `/v1/server/message/send/custom` (seed 003).

use crate::support::{TestApp, assert_error};
use palaver_domain::{RoomId, RoomRef};
use palaver_store::repo::messages;
use palaver_taptalk::crypto::decrypt;
use serde_json::{Value, json};

/// Every key of a TapTalk message object (seed 001 `lastMessage`).
const MESSAGE_KEYS: &[&str] = &[
    "messageID",
    "localID",
    "type",
    "body",
    "data",
    "filterID",
    "isHidden",
    "quote",
    "replyTo",
    "forwardFrom",
    "room",
    "user",
    "recipientID",
    "action",
    "target",
    "isSending",
    "isDelivered",
    "isRead",
    "isDeleted",
    "created",
    "updated",
];

pub fn assert_message_shape(m: &Value) {
    for k in MESSAGE_KEYS {
        assert!(m.get(*k).is_some(), "message lacks {k}: {m}");
    }
    for k in ["title", "content", "imageURL", "fileID", "fileType"] {
        assert!(m["quote"][k].is_string(), "quote.{k}");
    }
    for k in ["userID", "xcUserID", "fullname", "messageID", "localID"] {
        assert!(m["replyTo"][k].is_string() && m["forwardFrom"][k].is_string(), "{k}");
    }
    assert!(m["replyTo"]["messageType"].is_i64());
    for k in ["targetType", "targetID", "targetXCID", "targetName"] {
        assert!(m["target"][k].is_string(), "target.{k}");
    }
    for k in
        ["roomID", "xcRoomID", "name", "type", "imageURL", "color", "isLocked", "lockedTime", "deleted", "isDeleted"]
    {
        assert!(m["room"].get(k).is_some(), "room.{k}");
    }
    crate::taptalk_server_users::assert_user_shape(&m["user"]);
}

/// The rooms of a user as `get_list_by_user` lists them.
pub async fn rooms_of(app: &TestApp, xc: &str) -> Vec<Value> {
    app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": xc})).await["rooms"]
        .as_array()
        .unwrap()
        .clone()
}

async fn send_raw(app: &TestApp, body: &str) -> Value {
    app.request("POST", "/v1/server/message/send/custom", &[("Server-Key", &app.creds.server_key)], body.to_string())
        .await
        .body
}

#[tokio::test]
async fn seed_text_example_reaches_the_recipient_encrypted() {
    let app = TestApp::spawn().await;
    let one = app.user("1", "Ann").await;
    let six = app.user("6", "Jony Lim").await;
    let env = send_raw(
        &app,
        r#"{
    "messageType": 1001,
    "body": "Hi, nice to meet you.",
    "data": "",
    "filterID": "",
    "senderXCUserID": "1",
    "recipientXCUserID": "6",
    "xcRoomID": ""
}"#,
    )
    .await;
    assert_eq!(env["status"], 200, "{env}");
    assert_eq!(env["data"]["success"], true);
    let local_id = env["data"]["localID"].as_str().unwrap().to_string();
    assert_eq!(local_id.len(), 32);
    assert!(local_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));

    let rooms = rooms_of(&app, "6").await;
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0]["unreadCount"], 1);
    let m = &rooms[0]["lastMessage"];
    assert_message_shape(m);
    assert_eq!(m["localID"], local_id.as_str());
    assert_eq!(m["type"], 1001);
    assert_ne!(m["body"], "Hi, nice to meet you.", "bodies leave the TapTalk face encrypted");
    assert_eq!(decrypt(m["body"].as_str().unwrap(), &local_id).as_deref(), Some("Hi, nice to meet you."));
    assert_eq!(m["data"], "");
    let (lo, hi) = if one.parse::<i64>().unwrap() < six.parse::<i64>().unwrap() { (&one, &six) } else { (&six, &one) };
    assert_eq!(m["room"]["roomID"], format!("{lo}-{hi}"));
    assert_eq!(m["room"]["type"], 1);
    assert_eq!(m["room"]["name"], "Ann", "a personal room is named after the partner");
    assert_eq!(m["user"]["xcUserID"], "1");
    assert_eq!(m["recipientID"], six.as_str());
    assert_eq!(
        (m["isSending"].clone(), m["isRead"].clone(), m["isDeleted"].clone()),
        (json!(false), json!(false), json!(false))
    );

    let mine = rooms_of(&app, "1").await;
    assert_eq!(mine[0]["unreadCount"], 0, "own messages are never unread");
    assert_eq!(mine[0]["lastMessage"]["room"]["name"], "Jony Lim");
}

#[tokio::test]
async fn seed_image_example_keeps_data_as_a_string_and_filter_id() {
    let app = TestApp::spawn().await;
    app.user("1", "Ann").await;
    app.user("6", "Jony").await;
    let env = send_raw(
        &app,
        r#"{
    "messageType": 1002,
    "body": "Image",
    "data": "{\"url\":\"http://www.example.com/img/50a09c1b.jpg\",\"mediaType\":\"image/jpeg\",\"size\":131072,\"width\":1280,\"height\":720,\"caption\":\"Look at this picture!\"}",
    "filterID": "products:expert:1",
    "senderXCUserID": "1",
    "recipientXCUserID": "6",
    "xcRoomID": ""
}"#,
    )
    .await;
    assert_eq!(env["data"]["success"], true, "{env}");
    let local_id = env["data"]["localID"].as_str().unwrap();
    let m = rooms_of(&app, "6").await[0]["lastMessage"].clone();
    assert_eq!(m["type"], 1002);
    assert_eq!(m["filterID"], "products:expert:1");
    assert_eq!(m["isHidden"], false, "a message that was not split is visible");
    let data = decrypt(m["data"].as_str().unwrap(), local_id).unwrap();
    let parsed: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(parsed["caption"], "Look at this picture!");
    assert_eq!(parsed["size"], 131072);
}

#[tokio::test]
async fn message_types_are_limited_to_the_documented_ones() {
    let app = TestApp::spawn().await;
    app.user("1", "Ann").await;
    app.user("6", "Bob").await;
    for ok in [json!(1001), json!(2001), json!(3123), json!("3999")] {
        let env = app
            .server(
                "/v1/server/message/send/custom",
                json!({"messageType": ok, "body": "x", "data": "[]", "senderXCUserID": "1", "recipientXCUserID": "6"}),
            )
            .await;
        assert_eq!(env["status"], 200, "{ok}: {env}");
    }
    for bad in [json!(1003), json!(9001), json!(4000), json!(0)] {
        let env = app
            .server(
                "/v1/server/message/send/custom",
                json!({"messageType": bad, "body": "x", "senderXCUserID": "1", "recipientXCUserID": "6"}),
            )
            .await;
        assert_error(&env, 400, "40002", "Param 'messageType' must be 1001, 1002, 2001 or 3xxx", "103");
    }
    let env = app.server("/v1/server/message/send/custom", json!({"messageType": "text", "body": "x"})).await;
    assert_error(&env, 400, "40002", "Param 'messageType' must be an integer", "103");
    assert_eq!(rooms_of(&app, "6").await[0]["unreadCount"], 4, "only the accepted sends were stored");
}

#[tokio::test]
async fn send_validates_targets_and_content() {
    let app = TestApp::spawn().await;
    app.user("1", "Ann").await;
    app.user("6", "Bob").await;
    app.user("7", "Cy").await;
    let a = &app;
    let send = |body: Value| async move { a.server("/v1/server/message/send/custom", body).await };
    let base = json!({"messageType": 1001, "body": "x", "senderXCUserID": "1"});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    assert_error(
        &send(with(json!({}))).await,
        400,
        "40002",
        "Param 'recipientXCUserID' or 'xcRoomID' is required",
        "108",
    );
    assert_error(
        &send(with(json!({"recipientXCUserID": "6", "xcRoomID": "R"}))).await,
        400,
        "40002",
        "Params 'recipientXCUserID' and 'xcRoomID' cannot be used together",
        "109",
    );
    assert_error(
        &send(with(json!({"recipientXCUserID": "6", "data": {"a": 1}}))).await,
        400,
        "40002",
        "Param 'data' must be a string",
        "105",
    );
    assert_error(
        &send(with(json!({"recipientXCUserID": "6", "body": ""}))).await,
        400,
        "40002",
        "Param 'body' is required",
        "104",
    );
    assert_error(
        &send(json!({"messageType": 1001, "body": "x", "recipientXCUserID": "6"})).await,
        400,
        "40002",
        "Param 'senderXCUserID' is required",
        "107",
    );
    assert_error(&send(with(json!({"recipientXCUserID": "nobody"}))).await, 404, "40401", "User is not found", "");
    assert_error(&send(with(json!({"xcRoomID": "nowhere"}))).await, 404, "40401", "Room is not found", "");
    app.server_ok(
        "/v1/server/room/create_or_update",
        json!({"xcRoomID": "R", "type": 2, "name": "R", "participantXCUserIDs": ["6", "7"]}),
    )
    .await;
    assert_error(
        &send(with(json!({"xcRoomID": "R"}))).await,
        403,
        "40301",
        "The sender is not a participant of the room",
        "",
    );
    assert!(rooms_of(&app, "6").await.iter().all(|r| r["lastMessage"].is_null()), "no failed send stored anything");

    let ok = app
        .server_ok(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": "to the group", "senderXCUserID": "6", "xcRoomID": "R"}),
        )
        .await;
    assert_eq!(ok["success"], true);
    let seven = rooms_of(&app, "7").await;
    assert_eq!(seven[0]["room"]["xcRoomID"], "R");
    assert_eq!(seven[0]["unreadCount"], 1);
    assert_eq!(seven[0]["lastMessage"]["recipientID"], "0", "group messages have no single recipient");
}

#[tokio::test]
async fn long_content_is_split_and_only_the_last_part_is_visible_with_a_filter_id() {
    let app = TestApp::spawn().await;
    app.user("1", "Ann").await;
    app.user("6", "Bob").await;
    let body: String = (0..9000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let d = app
        .server_ok(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": body, "filterID": "f:1", "senderXCUserID": "1", "recipientXCUserID": "6"}),
        )
        .await;
    let local_id = d["localID"].as_str().unwrap().to_string();
    let rooms = rooms_of(&app, "6").await;
    assert_eq!(rooms[0]["unreadCount"], 1, "hidden parts are not unread");
    let last = &rooms[0]["lastMessage"];
    assert_eq!(last["localID"], local_id.as_str(), "the answer names the visible part");
    assert_eq!(last["isHidden"], false);

    let room_id = rooms[0]["room"]["roomID"].as_str().unwrap().to_string();
    let RoomRef::Personal(a, b) = palaver_taptalk::wire::parse_room_id(&room_id).unwrap() else {
        panic!("personal room id")
    };
    let app_id = palaver_domain::AppId(app.creds.app_id);
    let room = app
        .core
        .store()
        .read(move |c| palaver_store::repo::rooms::by_ref(c, app_id, &RoomRef::Personal(a, b)))
        .await
        .unwrap()
        .unwrap();
    let parts = read_room(&app, room.id).await;
    assert_eq!(parts.len(), 3);
    assert_eq!(parts.iter().map(|m| m.body.chars().count()).collect::<Vec<_>>(), vec![4000, 4000, 1000]);
    assert_eq!(parts.iter().map(|m| m.body.as_str()).collect::<String>(), body, "the parts rebuild the body");
    assert_eq!(parts.iter().map(|m| m.is_hidden).collect::<Vec<_>>(), vec![true, true, false]);

    // Without a filter id every part is visible.
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": body, "senderXCUserID": "1", "recipientXCUserID": "6"}),
    )
    .await;
    assert_eq!(rooms_of(&app, "6").await[0]["unreadCount"], 4);
}

async fn read_room(app: &TestApp, room: RoomId) -> Vec<palaver_domain::Message> {
    let mut all = app.core.store().read(move |c| messages::page_newest_first(c, room, 0, 100)).await.unwrap();
    all.reverse();
    all
}

#[tokio::test]
async fn personal_room_ids_compare_user_ids_as_numbers() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(app.user(&format!("u{i}"), "U").await.parse::<i64>().unwrap());
    }
    // Pick a one-digit and a two-digit user id: as strings "10" < "9", as numbers 9 < 10.
    let small = ids.iter().position(|&i| i == 9).expect("a user with id 9");
    let big = ids.iter().position(|&i| i == 10).expect("a user with id 10");
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "hi", "senderXCUserID": format!("u{big}"), "recipientXCUserID": format!("u{small}")}),
    )
    .await;
    let rooms = rooms_of(&app, &format!("u{small}")).await;
    assert_eq!(rooms[0]["room"]["roomID"], "9-10");
}
