//! Qiscus Server API user list and (de)activation: get_user_list, deactivate_users,
//! reactivate_users.

use crate::support::{TestApp, assert_qiscus_error};
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<&str> {
    list["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn get_user_list_pages_orders_and_hides_the_system_user() {
    let app = TestApp::spawn().await;
    for (id, name) in [("u1", "Carol"), ("u2", "alice"), ("u3", "Bob"), ("u4", "Dave"), ("u5", "Eve")] {
        app.qiscus_user(id, name).await;
    }
    // The system user exists once a system event was posted; it is never listed.
    app.qiscus_ok("POST", "create_room", json!({"room_name": "R", "participants": ["u1"], "creator": "u1"})).await;
    let rooms = app.qiscus_ok("GET", "get_user_rooms", json!({"user_id": "u1"})).await;
    let room_id = rooms["rooms"][0]["room_id"].clone();
    app.qiscus_ok("POST", "post_system_event_message", json!({"room_id": room_id, "message": "hi"})).await;

    let page = app.qiscus_ok("GET", "get_user_list", json!({"limit": 2})).await;
    assert_eq!(page["meta"], json!({"total_data": 5, "total_page": 3}));
    assert_eq!(ids(&page), vec!["u5", "u4"], "newest first by default");
    let last = app.qiscus_ok("GET", "get_user_list", json!({"limit": 2, "page": 3})).await;
    assert_eq!(ids(&last), vec!["u1"]);
    let beyond = app.qiscus_ok("GET", "get_user_list", json!({"limit": 2, "page": 4})).await;
    assert_eq!(beyond["users"], json!([]));
    assert_eq!(beyond["meta"]["total_data"], 5);

    let by_name = app.qiscus_ok("GET", "get_user_list", json!({"order_query": "username asc"})).await;
    assert_eq!(ids(&by_name), vec!["u3", "u1", "u4", "u5", "u2"], "byte order of names");
    let oldest = app.qiscus_ok("GET", "get_user_list", json!({"order_query": "created_at asc nulls last"})).await;
    assert_eq!(ids(&oldest), vec!["u1", "u2", "u3", "u4", "u5"]);

    let u = &oldest["users"][0];
    let me = app.user_by_external_id("u1").await;
    assert_eq!(u["id"], me.id.0);
    assert_eq!(u["user_id"], "u1");
    assert_eq!(u["name"], "Carol");
    assert_eq!(u["username"], "Carol");
    assert_eq!(u["avatar_url"], "");
    assert_eq!(u["extras"], json!({}));
    assert_eq!(u["active"], true);
    for key in ["created_at", "updated_at"] {
        let t = u[key].as_str().unwrap();
        assert!(t.len() == 24 && t.ends_with('Z') && t.as_bytes()[10] == b'T', "{key}: {t}");
    }
    assert_eq!(u.as_object().unwrap().len(), 10, "{u}");

    for (params, message) in [
        (json!({"page": 0}), "Param 'page' must be 1 or more"),
        (json!({"limit": 0}), "Param 'limit' must be 1 or more"),
        (json!({"limit": "x"}), "Param 'limit' must be an integer"),
        (
            json!({"order_query": "password desc"}),
            "Param 'order_query' must be a field (created_at, updated_at, username or email) optionally followed by asc or desc",
        ),
    ] {
        assert_qiscus_error(&app.qiscus("GET", "get_user_list", params).await, 400, message);
    }
}

#[tokio::test]
async fn deactivated_users_are_inactive_and_listed_only_with_show_all() {
    let app = TestApp::spawn().await;
    for id in ["u1", "u2", "u3"] {
        app.qiscus_user(id, id).await;
    }
    // DELETE with a JSON body, as the Go client sends it.
    let a = app
        .request(
            "DELETE",
            "/api/v2.1/rest/deactivate_users",
            &[
                ("QISCUS_SDK_APP_ID", &app.creds.qiscus_app_id),
                ("QISCUS_SDK_SECRET", &app.creds.qiscus_secret),
                ("Content-Type", "text/plain"),
            ],
            r#"{"user_ids": ["u1", "u2"]}"#,
        )
        .await;
    assert_eq!(a.http, 200, "{}", a.body);
    assert_eq!(
        a.body,
        json!({"results": {"message": "Successfully deactivated 2 users", "users": [
            {"user_id": "u1", "username": "u1", "avatar_url": "", "extras": {}, "active": false},
            {"user_id": "u2", "username": "u2", "avatar_url": "", "extras": {}, "active": false}
        ]}, "status": 200})
    );
    let list = app.qiscus_ok("GET", "get_user_list", json!({})).await;
    assert_eq!(ids(&list), vec!["u3"]);
    let all = app.qiscus_ok("GET", "get_user_list", json!({"show_all": "true"})).await;
    assert_eq!(ids(&all), vec!["u3", "u2", "u1"]);
    let p = app.qiscus_ok("GET", "user_profile", json!({"user_id": "u1"})).await;
    assert_eq!(p["user"]["active"], false);

    // DELETE with the list in the query string.
    let r = app.qiscus_ok("DELETE", "deactivate_users", json!({"user_ids": ["u3"]})).await;
    assert_eq!(r["message"], "Successfully deactivated 1 user");

    let r = app.qiscus_ok("POST", "reactivate_users", json!({"user_ids": ["u1", "u3"]})).await;
    assert_eq!(r["message"], "Successfully reactivated 2 users");
    assert_eq!(r["users"][1]["active"], true);
    let list = app.qiscus_ok("GET", "get_user_list", json!({})).await;
    assert_eq!(ids(&list), vec!["u3", "u1"]);

    // An unknown id fails the whole call.
    let a = app.qiscus("POST", "reactivate_users", json!({"user_ids": ["u2", "ghost"]})).await;
    assert_qiscus_error(&a, 404, "User is not found");
    let p = app.qiscus_ok("GET", "user_profile", json!({"user_id": "u2"})).await;
    assert_eq!(p["user"]["active"], false, "nothing written");
    let a = app.qiscus("POST", "reactivate_users", json!({"user_ids": []})).await;
    assert_qiscus_error(&a, 400, "Param 'user_ids' cannot be empty");
}
