//! One core behind both faces: what the TapTalk Server API creates, the Qiscus Server API
//! sees and extends, and the other way round (`xcUserID` = `user_id`, `xcRoomID` =
//! `room_channel_id` / `unique_id`, numeric ids shared).

use crate::support::TestApp;
use palaver_taptalk::crypto::decrypt;
use serde_json::json;

#[tokio::test]
async fn taptalk_users_rooms_and_messages_are_qiscus_ones() {
    let app = TestApp::spawn().await;
    let ann = app.user("1", "Ann Smith").await;
    app.user("6", "Jony Lim").await;
    let created = app
        .server_ok("/v1/server/room/create_or_update", json!({"xcRoomID": "6A02C41D", "type": 2, "name": "Order #6A02C41D", "photoFullsizeURL": "http://www.example.com/full.jpg", "participantXCUserIDs": ["1", "6"]}))
        .await;
    let tap_room_id = created["room"]["roomID"].as_str().unwrap().to_string();
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "from TapTalk", "senderXCUserID": "1", "xcRoomID": "6A02C41D"}),
    )
    .await;

    let profile = app.qiscus_ok("GET", "user_profile", json!({"user_id": "1"})).await;
    assert_eq!(
        profile["user"],
        json!({"user_id": "1", "username": "Ann Smith", "avatar_url": "", "extras": {}, "active": true})
    );
    let list = app.qiscus_ok("GET", "get_user_list", json!({"order_query": "created_at asc"})).await;
    assert_eq!(list["users"][0]["id"].to_string(), ann, "numeric ids are shared");

    let info = app.qiscus_ok("GET", "get_rooms_info", json!({"room_channel_ids": ["6A02C41D"]})).await;
    assert_eq!(
        info["rooms"],
        json!([{"room_id": tap_room_id, "room_name": "Order #6A02C41D", "room_type": "group", "room_avatar_url": "http://www.example.com/full.jpg", "room_options": "{}", "room_channel_id": "6A02C41D"}])
    );
    let comments = app.qiscus_ok("GET", "load_comments", json!({"room_id": "6A02C41D"})).await;
    let c = &comments["comments"][0];
    assert_eq!(
        (c["message"].as_str(), c["type"].as_str(), c["user"]["user_id"].as_str()),
        (Some("from TapTalk"), Some("text"), Some("1"))
    );
    assert_eq!(c["room_id"], tap_room_id.as_str());

    // Qiscus posts into the TapTalk room by its xcRoomID; TapTalk lists it, unread for Ann.
    let posted = app
        .qiscus_ok(
            "POST",
            "post_comment",
            json!({"user_id": "6", "room_id": "6A02C41D", "message": "from Qiscus", "unique_temp_id": "q-1"}),
        )
        .await;
    let rooms = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "1"})).await;
    let entry = &rooms["rooms"][0];
    assert_eq!(entry["room"]["xcRoomID"], "6A02C41D");
    assert_eq!(entry["unreadCount"], 1);
    let last = &entry["lastMessage"];
    assert_eq!(last["localID"], "q-1");
    assert_eq!(last["messageID"], posted["comment"]["id"].to_string());
    assert_eq!(last["type"], 1001);
    assert_eq!(decrypt(last["body"].as_str().unwrap(), "q-1").as_deref(), Some("from Qiscus"));
    let unread =
        app.qiscus_ok("GET", "get_unread_count", json!({"user_id": "1", "room_channel_ids": ["6A02C41D"]})).await;
    assert_eq!(unread["unread_counts"], json!([{"room_id": tap_room_id, "unread_count": 1}]));

    // A TapTalk personal room is the Qiscus single room of the pair.
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "dm", "senderXCUserID": "6", "recipientXCUserID": "1"}),
    )
    .await;
    let single = app.qiscus_ok("POST", "get_or_create_room_with_target", json!({"user_ids": ["1", "6"]})).await;
    assert_eq!(single["room"]["room_type"], "single");
    let dm = app.qiscus_ok("GET", "load_comments", json!({"room_id": single["room"]["room_id"]})).await;
    assert_eq!(dm["comments"][0]["message"], "dm");
    let qiscus_rooms = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "1"})).await;
    assert_eq!(qiscus_rooms["meta"]["total_room"], 2);
}

#[tokio::test]
async fn qiscus_users_rooms_and_messages_are_taptalk_ones() {
    let app = TestApp::spawn().await;
    app.qiscus_ok(
        "POST",
        "login_or_register",
        json!({"user_id": "ann@mail.com", "username": "Ann", "avatar_url": "http://x/ann.jpg"}),
    )
    .await;
    app.qiscus_user("bob@mail.com", "Bob").await;
    let channel = app.qiscus_ok("POST", "get_or_create_channel", json!({"unique_id": "support-42", "participants": ["ann@mail.com", "bob@mail.com"], "room_name": "Support"})).await;
    let room_id = channel["room"]["room_id"].as_str().unwrap().to_string();
    let c = app.qiscus_ok("POST", "post_comment", json!({"user_id": "ann@mail.com", "room_id": "support-42", "message": "hello from Qiscus", "type": "custom", "payload": {"type": "promo", "content": 1}})).await;

    let user = app.server_ok("/v1/server/user/get", json!({"xcUserID": "ann@mail.com"})).await;
    assert_eq!(user["user"]["fullname"], "Ann");
    assert_eq!(user["user"]["imageURL"], json!({"thumbnail": "http://x/ann.jpg", "fullsize": "http://x/ann.jpg"}));
    let room = app.server_ok("/v1/server/room/get", json!({"xcRoomID": "support-42"})).await;
    assert_eq!(room["room"]["roomID"], room_id.as_str());
    assert_eq!(room["room"]["name"], "Support");
    assert_eq!(room["room"]["type"], 3, "a Qiscus channel is a TapTalk channel");
    assert_eq!(room["participants"].as_array().unwrap().len(), 2);

    // TapTalk sends into the Qiscus channel; Qiscus loads both, newest first.
    app.server_ok("/v1/server/message/send/custom", json!({"messageType": 1002, "body": "Image", "data": "{\"url\":\"http://x/i.jpg\"}", "senderXCUserID": "bob@mail.com", "xcRoomID": "support-42"})).await;
    let comments = app.qiscus_ok("GET", "load_comments", json!({"room_id": room_id})).await;
    let list = comments["comments"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["message"], "Image");
    assert_eq!(list[0]["type"], "custom");
    assert_eq!(list[0]["payload"], json!({"type": "taptalk:1002", "content": {"url": "http://x/i.jpg"}}));
    assert_eq!(list[0]["comment_before_id"], c["comment"]["id"]);
    assert_eq!(list[1], c["comment"]);

    let tap = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "ann@mail.com"})).await;
    assert_eq!(tap["rooms"][0]["unreadCount"], 1);
    let unread =
        app.qiscus_ok("GET", "get_unread_count", json!({"user_id": "ann@mail.com", "room_ids": [room_id]})).await;
    assert_eq!(unread["unread_counts"][0]["unread_count"], 1);

    // TapTalk membership changes show through Qiscus.
    app.server_ok(
        "/v1/server/room/participants/remove",
        json!({"xcRoomID": "support-42", "participantXCUserIDs": ["bob@mail.com"]}),
    )
    .await;
    let members = app.qiscus_ok("GET", "get_room_participants", json!({"room_id": "support-42"})).await;
    assert_eq!(
        members["participants"],
        json!([{"user_id": "ann@mail.com", "username": "Ann", "avatar_url": "http://x/ann.jpg", "extras": {}, "active": true}])
    );
}
