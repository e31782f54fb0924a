//! What real Qiscus clients send: form bodies, `key[]` arrays in query strings and forms,
//! ids as numbers, booleans as strings, JSON without a JSON content type, GET or POST.

use crate::support::{Answer, TestApp, encode};
use serde_json::{Value, json};

async fn send(app: &TestApp, method: &str, path_and_query: &str, content_type: Option<&str>, body: &str) -> Answer {
    let mut headers = vec![
        ("QISCUS_SDK_APP_ID", app.creds.qiscus_app_id.as_str()),
        ("QISCUS_SDK_SECRET", app.creds.qiscus_secret.as_str()),
    ];
    if let Some(ct) = content_type {
        headers.push(("Content-Type", ct));
    }
    app.request(method, &format!("/api/v2.1/rest/{path_and_query}"), &headers, body.to_string()).await
}

fn results(a: Answer) -> Value {
    assert_eq!((a.http, &a.body["status"]), (200, &json!(200)), "{}", a.body);
    a.body["results"].clone()
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

#[tokio::test]
async fn form_bodies_with_array_keys() {
    let app = TestApp::spawn().await;
    let r = results(
        send(
            &app,
            "POST",
            "login_or_register",
            FORM,
            "user_id=ann%40mail.com&username=Ann+Lee&password=pw&extras=%7B%22k%22%3A1%7D",
        )
        .await,
    );
    assert_eq!(
        r["user"],
        json!({"user_id": "ann@mail.com", "username": "Ann Lee", "avatar_url": "", "extras": {"k": 1}, "active": true})
    );
    results(send(&app, "POST", "login_or_register", FORM, "user_id=bob&username=Bob").await);

    let body = format!(
        "room_name=Form+Room&creator=bob&participants%5B%5D={}&participants%5B%5D=bob&room_options=%7B%7D",
        encode("ann@mail.com")
    );
    let room = results(send(&app, "POST", "create_room", FORM, &body).await);
    let id = room["room"]["room_id"].as_str().unwrap().to_string();
    assert_eq!(room["room"]["room_name"], "Form Room");
    let members = results(send(&app, "GET", &format!("get_room_participants?room_id={id}"), None, "").await);
    let ids: Vec<&str> =
        members["participants"].as_array().unwrap().iter().map(|p| p["user_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["ann@mail.com", "bob"]);

    // Repeated plain keys and PHP-style indexed keys are lists too.
    let r = results(
        send(&app, "POST", "get_or_create_room_with_target", FORM, "user_ids=bob&user_ids=ann%40mail.com").await,
    );
    let single = r["room"]["room_id"].as_str().unwrap().to_string();
    let r2 = results(
        send(
            &app,
            "POST",
            "get_or_create_room_with_target",
            FORM,
            "user_ids%5B0%5D=ann%40mail.com&user_ids%5B1%5D=bob",
        )
        .await,
    );
    assert_eq!(r2["room"]["room_id"], single.as_str());

    let r = results(
        send(&app, "POST", "post_comment", FORM, &format!("user_id=bob&room_id={id}&message=hi+there%21")).await,
    );
    assert_eq!(r["comment"]["message"], "hi there!");
}

#[tokio::test]
async fn query_arrays_numbers_and_boolean_strings() {
    let app = TestApp::spawn().await;
    app.qiscus_user("12345", "Numeric").await;
    app.qiscus_user("other", "Other").await;
    // Ids as JSON numbers.
    let r = app
        .qiscus_ok("POST", "create_room", json!({"room_name": "N", "participants": [12345, "other"], "creator": 12345}))
        .await;
    let id: i64 = r["room"]["room_id"].as_str().unwrap().parse().unwrap();
    let c = app.qiscus_ok("POST", "post_comment", json!({"user_id": 12345, "room_id": id, "message": "numbers"})).await;
    assert_eq!(c["comment"]["user"]["user_id"], "12345");
    let r2 = app
        .qiscus_ok("POST", "create_room", json!({"room_name": "M", "participants": ["other"], "creator": "other"}))
        .await;
    let id2 = r2["room"]["room_id"].as_str().unwrap().to_string();

    for q in [
        format!("room_ids[]={id}&room_ids[]={id2}"),
        format!("room_ids%5B%5D={id}&room_ids%5B%5D={id2}"),
        format!("room_ids={id}&room_ids={id2}"),
    ] {
        let r = results(send(&app, "GET", &format!("get_rooms_info?{q}"), None, "").await);
        let got: Vec<&str> = r["rooms"].as_array().unwrap().iter().map(|r| r["room_name"].as_str().unwrap()).collect();
        assert_eq!(got, vec!["N", "M"], "{q}");
    }

    app.qiscus_ok("DELETE", "deactivate_users", json!({"user_ids": ["other"]})).await;
    for (show_all, n) in [("true", 2), ("1", 2), ("false", 1), ("0", 1)] {
        let r = results(send(&app, "GET", &format!("get_user_list?show_all={show_all}"), None, "").await);
        assert_eq!(r["meta"]["total_data"], n, "show_all={show_all}");
    }
    let r = app.qiscus_ok("POST", "get_user_list", json!({"show_all": true})).await;
    assert_eq!(r["meta"]["total_data"], 2);
    let a = app.qiscus("GET", "get_user_list", json!({"show_all": "maybe"})).await;
    crate::support::assert_qiscus_error(&a, 400, "Param 'show_all' must be a boolean");
}

#[tokio::test]
async fn json_is_sniffed_and_get_and_post_answer_alike() {
    let app = TestApp::spawn().await;
    // JSON without a content type, and with text/plain.
    let r = results(send(&app, "POST", "login_or_register", None, r#"{"user_id": "u1", "username": "One"}"#).await);
    assert_eq!(r["user"]["username"], "One");
    results(
        send(&app, "POST", "login_or_register", Some("text/plain"), r#"{"user_id": "u2", "username": "Two"}"#).await,
    );
    // A query string and a body together: the body wins.
    let r = results(
        send(
            &app,
            "POST",
            "login_or_register?user_id=u3&username=Query",
            Some("application/json"),
            r#"{"username": "Body"}"#,
        )
        .await,
    );
    assert_eq!(r["user"], json!({"user_id": "u3", "username": "Body", "avatar_url": "", "extras": {}, "active": true}));

    let room = app
        .qiscus_ok("POST", "create_room", json!({"room_name": "R", "participants": ["u1", "u2"], "creator": "u1"}))
        .await;
    let id = room["room"]["room_id"].as_str().unwrap().to_string();
    app.qiscus_ok("POST", "post_comment", json!({"user_id": "u1", "room_id": id, "message": "m"})).await;
    let reads = [
        ("user_profile", json!({"user_id": "u1"})),
        ("get_user_token", json!({"user_id": "u1"})),
        ("get_user_list", json!({"limit": 5})),
        ("get_rooms_info", json!({"room_ids": [id]})),
        ("get_room_participants", json!({"room_id": id})),
        ("get_user_rooms", json!({"user_id": "u1"})),
        ("get_unread_count", json!({"user_id": "u2", "room_ids": [id]})),
        ("load_comments", json!({"room_id": id})),
        ("get_or_create_room_with_target", json!({"user_ids": ["u1", "u2"]})),
        ("get_or_create_channel", json!({"unique_id": "chan", "participants": ["u1"]})),
    ];
    for (action, params) in reads {
        let get = app.qiscus_ok("GET", action, params.clone()).await;
        let mut post = app.qiscus_ok("POST", action, params).await;
        if action == "get_or_create_channel" {
            assert_eq!(get["changed"], true);
            post["changed"] = json!(true);
        }
        assert_eq!(get, post, "{action}");
    }
}
