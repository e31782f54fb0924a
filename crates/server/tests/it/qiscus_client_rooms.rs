//! The Qiscus client API's groups, channels, room lookups, unread counts and comment edits.

use crate::qiscus_client::{login, sdk, sdk_ok, token};
use crate::support::{TestApp, assert_qiscus_error};
use serde_json::{Value, json};

#[tokio::test]
async fn a_group_is_managed_by_its_admins_and_announces_its_changes() {
    let app = TestApp::spawn().await;
    let (a, b, c) =
        (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await, login(&app, "carol", "Carol").await);
    let (ta, tb) = (token(&a), token(&b));
    // The form the Node SDK sends: participants[][0]=bob.
    let app_id = app.creds.qiscus_app_id.clone();
    let form = "name=Team&participants%5B%5D%5B0%5D=bob&options=%7B%22c%22%3A1%7D";
    let res = app
        .request(
            "POST",
            "/api/v2/sdk/create_room",
            &[
                ("QISCUS-SDK-APP-ID", &app_id),
                ("QISCUS-SDK-TOKEN", &ta),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            form,
        )
        .await;
    assert_eq!(res.http, 200, "{}", res.body);
    let room = &res.body["results"]["room"];
    let id = room["id"].as_i64().expect("an integer id");
    assert_eq!(
        (room["room_name"].as_str(), room["chat_type"].as_str(), room["options"].as_str()),
        (Some("Team"), Some("group"), Some("{\"c\":1}"))
    );
    let mut members: Vec<&str> =
        room["participants"].as_array().unwrap().iter().map(|p| p["email"].as_str().unwrap()).collect();
    members.sort();
    assert_eq!(members, vec!["alice", "bob"], "the creator is in");
    // The creation is announced with a system event.
    assert_eq!(res.body["results"]["comments"][0]["type"], "system_event");

    // Bob is no admin: he may not add; Alice may.
    let refused =
        sdk(&app, "POST", "add_room_participants", Some(&tb), json!({"room_id": id.to_string(), "emails": ["carol"]}))
            .await;
    assert_eq!(refused.http, 403, "{}", refused.body);
    let added = sdk_ok(
        &app,
        "POST",
        "add_room_participants",
        Some(&ta),
        json!({"room_id": id.to_string(), "emails": ["carol"]}),
    )
    .await;
    assert_eq!(added["participants_added"][0]["email"], "carol");
    assert_eq!(added["participants_added"][0]["id"], c["id"]);
    let again =
        sdk_ok(&app, "POST", "add_room_participants", Some(&ta), json!({"room_id": id, "emails": ["carol"]})).await;
    assert_eq!(again["participants_added"], json!([]), "only real changes are listed");

    let page = sdk_ok(&app, "GET", "room_participants", Some(&tb), json!({"room_id": id, "limit": 2})).await;
    assert_eq!((page["participants"].as_array().unwrap().len(), &page["meta"]["total"]), (2, &json!(3)));

    let renamed =
        sdk_ok(&app, "POST", "update_room", Some(&ta), json!({"id": id, "room_name": "Team 2", "options": "{}"})).await;
    assert_eq!((renamed["room"]["room_name"].as_str(), &renamed["changed"]), (Some("Team 2"), &json!(true)));
    let removed =
        sdk_ok(&app, "POST", "remove_room_participants", Some(&ta), json!({"room_id": id, "emails": ["carol"]})).await;
    assert_eq!(removed["participants_removed"], json!(["carol"]), "the client API lists user ids");

    // A single room cannot be managed as a group.
    let single = sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&ta), json!({"emails": "bob"})).await;
    let refused = sdk(
        &app,
        "POST",
        "add_room_participants",
        Some(&ta),
        json!({"room_id": single["room"]["id"], "emails": ["carol"]}),
    )
    .await;
    assert!(matches!(refused.http, 400 | 403), "{}", refused.body);
    let missing = sdk(&app, "POST", "create_room", Some(&ta), json!({"participants": ["bob"]})).await;
    assert_qiscus_error(&missing, 400, "Param 'name' is required");
}

#[tokio::test]
async fn channels_by_unique_id_room_info_and_unread_counts() {
    let app = TestApp::spawn().await;
    let (a, b) = (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await);
    let (ta, tb) = (token(&a), token(&b));
    let made = sdk_ok(
        &app,
        "POST",
        "get_or_create_room_with_unique_id",
        Some(&ta),
        json!({"unique_id": "news", "name": "News"}),
    )
    .await;
    let channel = made["room"]["id"].as_i64().unwrap();
    assert_eq!(
        (
            made["room"]["unique_id"].as_str(),
            made["room"]["is_public_channel"].as_bool(),
            made["room"]["room_name"].as_str()
        ),
        (Some("news"), Some(true), Some("News"))
    );
    let joined = sdk_ok(
        &app,
        "POST",
        "get_or_create_room_with_unique_id",
        Some(&tb),
        json!({"unique_id": "news", "name": "Renamed?"}),
    )
    .await;
    assert_eq!(
        (joined["room"]["id"].as_i64(), joined["room"]["room_name"].as_str()),
        (Some(channel), Some("News")),
        "joining renames nothing"
    );
    assert_eq!(joined["room"]["participants"].as_array().unwrap().len(), 2);

    for i in 0..3 {
        sdk_ok(&app, "POST", "post_comment", Some(&ta), json!({"comment": format!("n{i}"), "topic_id": channel})).await;
    }
    let single = sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&ta), json!({"emails": "bob"})).await;
    let single = single["room"]["id"].as_i64().unwrap();
    sdk_ok(&app, "POST", "post_comment", Some(&ta), json!({"comment": "hi", "topic_id": single})).await;

    assert_eq!(sdk_ok(&app, "GET", "total_unread_count", Some(&tb), json!({})).await["total_unread_count"], 4);
    assert_eq!(sdk_ok(&app, "GET", "get_room_unread_count", Some(&tb), json!({})).await["total_unread_count"], 2);
    assert_eq!(sdk_ok(&app, "GET", "total_unread_count", Some(&ta), json!({})).await["total_unread_count"], 0);

    let info = sdk_ok(
        &app,
        "POST",
        "rooms_info",
        Some(&tb),
        json!({"room_id": [single.to_string(), "999999"], "room_unique_id": ["news"], "show_participants": true}),
    )
    .await;
    assert_eq!(info["meta"], json!({"request_rooms_total": 3, "response_rooms_total": 2}));
    let rooms = info["rooms_info"].as_array().unwrap();
    let unread: Vec<(i64, i64)> =
        rooms.iter().map(|r| (r["id"].as_i64().unwrap(), r["unread_count"].as_i64().unwrap())).collect();
    assert!(unread.contains(&(single, 1)) && unread.contains(&(channel, 3)), "{unread:?}");

    // A private group's unique id does not let a stranger in.
    let carol = login(&app, "carol", "Carol").await;
    app.qiscus_ok("POST", "get_or_create_channel", json!({"unique_id": "inner", "participants": ["alice"]})).await;
    let group = app
        .qiscus_ok(
            "POST",
            "create_room",
            json!({"room_name": "Private", "participants": ["alice"], "creator": "alice"}),
        )
        .await;
    app.qiscus_ok("POST", "update_room", json!({"room_id": group["room"]["room_id"], "room_channel_id": "private"}))
        .await;
    let refused =
        sdk(&app, "POST", "get_or_create_room_with_unique_id", Some(&token(&carol)), json!({"unique_id": "private"}))
            .await;
    assert_eq!(refused.http, 403, "{}", refused.body);
}

#[tokio::test]
async fn comments_are_edited_and_deleted_by_their_unique_id() {
    let app = TestApp::spawn().await;
    let (a, b) = (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await);
    let (ta, tb) = (token(&a), token(&b));
    let room =
        sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&ta), json!({"emails": "bob"})).await["room"]["id"]
            .clone();
    for u in ["u1", "u2", "u3"] {
        sdk_ok(&app, "POST", "post_comment", Some(&ta), json!({"comment": u, "topic_id": room, "unique_temp_id": u}))
            .await;
    }
    let edited = sdk_ok(
        &app,
        "POST",
        "update_message",
        Some(&ta),
        json!({"token": ta, "unique_id": "u2", "comment": "second", "extras": {"e": 1}}),
    )
    .await;
    assert_eq!(
        (edited["comment"]["message"].as_str(), &edited["comment"]["extras"]),
        (Some("second"), &json!({"e": 1}))
    );
    let refused =
        sdk(&app, "POST", "update_message", Some(&tb), json!({"unique_id": "u2", "comment": "mine now"})).await;
    assert_eq!(refused.http, 403, "{}", refused.body);
    let unknown = sdk(&app, "POST", "update_message", Some(&ta), json!({"unique_id": "nope", "comment": "x"})).await;
    assert_eq!(unknown.http, 404, "{}", unknown.body);

    // Bob deletes u1 for himself only; Alice deletes u3 for everyone (a JSON body on DELETE).
    let mine = sdk_ok(
        &app,
        "DELETE",
        "delete_messages",
        Some(&tb),
        json!({"unique_ids": ["u1"], "is_delete_for_everyone": false}),
    )
    .await;
    assert_eq!(mine["comments"][0]["unique_temp_id"], "u1");
    let gone = sdk_ok(
        &app,
        "DELETE",
        "delete_messages",
        Some(&ta),
        json!({"unique_ids": ["u3"], "is_delete_for_everyone": true, "is_hard_delete": true}),
    )
    .await;
    assert_eq!(
        (gone["comments"][0]["unique_temp_id"].as_str(), gone["comments"][0]["is_deleted"].as_bool()),
        (Some("u3"), Some(true))
    );
    let seen = |v: &Value| {
        v["comments"].as_array().unwrap().iter().map(|c| c["message"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(seen(&sdk_ok(&app, "GET", "load_comments", Some(&tb), json!({"topic_id": room})).await), vec!["second"]);
    assert_eq!(
        seen(&sdk_ok(&app, "GET", "load_comments", Some(&ta), json!({"topic_id": room})).await),
        vec!["second", "u1"]
    );
}

#[tokio::test]
async fn receipts_and_deletions_come_back_as_events_and_per_comment_receipts() {
    let app = TestApp::spawn().await;
    let (a, b, c) =
        (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await, login(&app, "carol", "Carol").await);
    let (ta, tb) = (token(&a), token(&b));
    let start = a["last_sync_event_id"].as_i64().expect("an event cursor");
    let group =
        sdk_ok(&app, "POST", "create_room", Some(&ta), json!({"name": "G", "participants": ["bob", "carol"]})).await;
    let room = group["room"]["id"].as_i64().unwrap();
    let posted = sdk_ok(
        &app,
        "POST",
        "post_comment",
        Some(&ta),
        json!({"comment": "hey", "topic_id": room, "unique_temp_id": "k1"}),
    )
    .await;
    let id = posted["comment"]["id"].as_i64().unwrap();
    sdk_ok(&app, "POST", "update_comment_status", Some(&tb), json!({"room_id": room, "last_comment_read_id": id}))
        .await;
    sdk_ok(
        &app,
        "POST",
        "update_comment_status",
        Some(&token(&c)),
        json!({"room_id": room, "last_comment_received_id": id}),
    )
    .await;

    let r = sdk_ok(&app, "GET", "comment_receipt", Some(&ta), json!({"comment_id": id})).await;
    let names =
        |k: &str| r[k].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(
        (names("read_by"), names("delivered_to"), names("pending")),
        (vec!["bob".to_string()], vec!["carol".to_string()], vec![])
    );

    sdk_ok(&app, "DELETE", "delete_messages", Some(&ta), json!({"unique_ids": ["k1"]})).await;
    let a_events = sdk(&app, "GET", "sync_event", Some(&ta), json!({"start_event_id": start})).await;
    assert_eq!(a_events.http, 200);
    assert_eq!(a_events.body["is_start_event_id_found"], true);
    let events = a_events.body["events"].as_array().expect("events at the top level");
    let topics: Vec<&str> = events.iter().map(|e| e["action_topic"].as_str().unwrap()).collect();
    assert_eq!(topics, vec!["read", "delivered", "delete_message"], "{events:?}");
    assert_eq!(
        (events[0]["payload"]["data"]["email"].as_str(), events[0]["payload"]["data"]["comment_id"].as_i64()),
        (Some("bob"), Some(id))
    );
    assert_eq!(events[2]["payload"]["data"]["deleted_messages"][0]["message_unique_ids"], json!(["k1"]));
    let last = events[2]["id"].as_i64().unwrap();
    let none = sdk(&app, "GET", "sync_event", Some(&ta), json!({"start_event_id": last})).await;
    assert_eq!(none.body["events"], json!([]));
}

#[tokio::test]
async fn clearing_a_room_hides_its_history_from_the_caller_alone() {
    let app = TestApp::spawn().await;
    let (a, b) = (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await);
    let (ta, tb) = (token(&a), token(&b));
    let start = b["last_sync_event_id"].as_i64().unwrap();
    let room = sdk_ok(&app, "POST", "get_or_create_room_with_unique_id", Some(&ta), json!({"unique_id": "club"})).await;
    let room = room["room"]["id"].as_i64().unwrap();
    sdk_ok(&app, "POST", "get_or_create_room_with_unique_id", Some(&tb), json!({"unique_id": "club"})).await;
    for i in 0..3 {
        sdk_ok(&app, "POST", "post_comment", Some(&ta), json!({"comment": format!("old {i}"), "topic_id": room})).await;
    }
    let cleared = sdk_ok(&app, "DELETE", "clear_room_messages", Some(&tb), json!({"room_channel_ids": ["club"]})).await;
    assert_eq!(cleared["rooms"][0]["id"], room);
    let count = |v: &Value| v["comments"].as_array().unwrap().len();
    assert_eq!(count(&sdk_ok(&app, "GET", "load_comments", Some(&tb), json!({"topic_id": room})).await), 0);
    assert_eq!(count(&sdk_ok(&app, "GET", "load_comments", Some(&ta), json!({"topic_id": room})).await), 3);
    assert_eq!(sdk_ok(&app, "GET", "total_unread_count", Some(&tb), json!({})).await["total_unread_count"], 0);
    let again =
        sdk_ok(&app, "DELETE", "clear_room_messages", Some(&tb), json!({"room_channel_ids": [room.to_string()]})).await;
    assert_eq!(again["rooms"], json!([]), "nothing new to clear");

    sdk_ok(&app, "POST", "post_comment", Some(&ta), json!({"comment": "new", "topic_id": room})).await;
    let seen = sdk_ok(&app, "GET", "load_comments", Some(&tb), json!({"topic_id": room})).await;
    assert_eq!(seen["comments"][0]["message"], "new");
    assert_eq!(count(&seen), 1);

    let b_events = sdk(&app, "GET", "sync_event", Some(&tb), json!({"start_event_id": start})).await;
    let topics = |a: &crate::support::Answer| {
        a.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action_topic"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(topics(&b_events), vec!["clear_room"]);
    assert_eq!(b_events.body["events"][0]["payload"]["data"]["deleted_rooms"][0]["id"], room);
    let a_events = sdk(&app, "GET", "sync_event", Some(&ta), json!({"start_event_id": start})).await;
    assert!(topics(&a_events).is_empty(), "only the user who cleared hears of it");
    let refused = sdk(&app, "DELETE", "clear_room_messages", Some(&ta), json!({"room_channel_ids": ["nope"]})).await;
    assert_eq!(refused.http, 404);
}
