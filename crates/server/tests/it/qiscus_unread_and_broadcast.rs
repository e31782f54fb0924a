//! Qiscus Server API: `broadcast`, `load_comments_with_range`, `get_unread_users`,
//! `get_user_unread_count`.

use crate::support::{TestApp, assert_qiscus_error};
use serde_json::json;

#[tokio::test]
async fn a_broadcast_reaches_each_targets_single_room_once_per_call_id() {
    let app = TestApp::spawn().await;
    for (id, name) in [("boss", "Boss"), ("t1", "T1"), ("t2", "T2")] {
        app.qiscus_user(id, name).await;
    }
    let call = json!({"sender_user_id": "boss", "target_user_ids": ["t1", "t2"], "message": "All hands", "broadcast_id": "b-1"});
    let r = app.qiscus_ok("POST", "broadcast", call.clone()).await;
    let comments = r["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(
        (comments[0]["target_user_id"].as_str(), comments[0]["message"].as_str()),
        (Some("t1"), Some("All hands"))
    );
    assert_ne!(comments[0]["room_id"], comments[1]["room_id"], "one single room per target");
    let again = app.qiscus_ok("POST", "broadcast", call).await;
    assert_eq!(again["comments"][0]["id"], comments[0]["id"], "a repeated call posts nothing twice");
    let room = comments[0]["room_id"].as_str().unwrap().to_string();
    let history = app.qiscus_ok("GET", "load_comments", json!({"room_id": room})).await;
    assert_eq!(history["comments"].as_array().unwrap().len(), 1);

    let unknown = app
        .qiscus("POST", "broadcast", json!({"sender_user_id": "boss", "target_user_ids": ["nobody"], "message": "x"}))
        .await;
    assert_qiscus_error(&unknown, 404, "User is not found");
    let missing = app.qiscus("POST", "broadcast", json!({"sender_user_id": "boss", "message": "x"})).await;
    assert_qiscus_error(&missing, 400, "Param 'target_user_ids' is required");
}

#[tokio::test]
async fn comments_by_range_and_unread_counts_by_user_and_time() {
    let app = TestApp::spawn().await;
    for (id, name) in [("a", "A"), ("b", "B"), ("c", "C")] {
        app.qiscus_user(id, name).await;
    }
    let room = app
        .qiscus_ok("POST", "create_room", json!({"room_name": "R", "participants": ["a", "b", "c"], "creator": "a"}))
        .await;
    let room = room["room"]["room_id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = app
            .qiscus_ok("POST", "post_comment", json!({"user_id": "a", "room_id": room, "message": format!("m{i}")}))
            .await;
        ids.push(c["comment"]["id"].as_i64().unwrap());
    }
    let range = app
        .qiscus_ok(
            "GET",
            "load_comments_with_range",
            json!({"room_id": room, "first_comment_id": ids[1], "last_comment_id": ids[3]}),
        )
        .await;
    let got: Vec<i64> = range["comments"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(got, vec![ids[3], ids[2], ids[1]]);
    assert_eq!(range["comments"][2]["comment_before_id"], ids[0]);
    let bad = app
        .qiscus(
            "GET",
            "load_comments_with_range",
            json!({"room_id": room, "first_comment_id": ids[3], "last_comment_id": ids[1]}),
        )
        .await;
    assert_eq!(bad.http, 400);

    let counts = app.qiscus_ok("GET", "get_user_unread_count", json!({"user_ids": ["a", "b", "nobody"]})).await;
    assert_eq!(
        counts["user_unread_count"],
        json!([{"user_id": "a", "unread_count": 0}, {"user_id": "b", "unread_count": 5}])
    );
    let users = app.qiscus_ok("GET", "get_unread_users", json!({})).await;
    assert_eq!(users["user_ids"], json!(["b", "c"]));
    // A window in the past counts nothing.
    let old = json!({"user_ids": ["b"], "start_time": "2000-01-01 00:00:00", "end_time": "2000-01-02 00:00:00"});
    assert_eq!(app.qiscus_ok("GET", "get_user_unread_count", old).await["user_unread_count"][0]["unread_count"], 0);
    let old = json!({"start_time": "2000-01-01 00:00:00", "end_time": "2000-01-02 00:00:00"});
    assert_eq!(app.qiscus_ok("GET", "get_unread_users", old).await["user_ids"], json!([]));
    let bad = app.qiscus("GET", "get_unread_users", json!({"start_time": "yesterday"})).await;
    assert_qiscus_error(&bad, 400, "Param 'start_time' must be a time as YYYY-MM-DD hh:mm:ss");
}

#[tokio::test]
async fn reply_times_measure_from_the_first_unanswered_message_to_the_answer() {
    let app = TestApp::spawn().await;
    for (id, name) in [("agent", "Agent"), ("c1", "C1"), ("c2", "C2")] {
        app.qiscus_user(id, name).await;
    }
    let room = |a: &str, b: &str| json!({"user_ids": [a, b]});
    let r1 =
        app.qiscus_ok("POST", "get_or_create_room_with_target", room("agent", "c1")).await["room"]["room_id"].clone();
    let r2 =
        app.qiscus_ok("POST", "get_or_create_room_with_target", room("agent", "c2")).await["room"]["room_id"].clone();
    let say =
        |who: &str, room: &serde_json::Value, text: &str| json!({"user_id": who, "room_id": room, "message": text});
    for (who, r, text) in [
        ("c1", &r1, "q1"),
        ("c1", &r1, "q1 again"),
        ("agent", &r1, "a1"),
        ("agent", &r1, "a1 more"),
        ("c2", &r2, "q2"),
        ("agent", &r2, "a2"),
        ("c2", &r2, "unanswered"),
    ] {
        app.qiscus_ok("POST", "post_comment", say(who, r, text)).await;
    }
    let r = app.qiscus_ok("GET", "get_average_reply_time_user", json!({"user_id": "agent"})).await;
    assert_eq!((r["data"]["user_id"].as_str(), r["data"]["replies"].as_i64()), (Some("agent"), Some(2)), "{r}");
    let d = &r["data"]["duration"];
    assert!(d["average"].is_i64() && d["longest"].as_i64() >= d["shortest"].as_i64(), "{d}");
    let none = app
        .qiscus_ok("GET", "get_average_reply_time_user", json!({"user_id": "c2", "end_time": "2000-01-01 00:00:00"}))
        .await;
    assert_eq!((none["data"]["replies"].as_i64(), &none["data"]["duration"]["average"]), (Some(0), &json!(0)));
    let unknown = app.qiscus("GET", "get_average_reply_time_user", json!({"user_id": "nobody"})).await;
    assert_qiscus_error(&unknown, 404, "User is not found");
}
