//! Qiscus Server API: app id and secret headers, unknown paths and methods, malformed bodies.

use crate::support::{TestApp, assert_qiscus_error};
use serde_json::json;

/// Every Server API endpoint with a method it answers.
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "login_or_register"),
    ("GET", "user_profile"),
    ("GET", "get_user_token"),
    ("POST", "reset_user_token"),
    ("GET", "get_user_list"),
    ("DELETE", "deactivate_users"),
    ("POST", "reactivate_users"),
    ("POST", "create_room"),
    ("POST", "update_room"),
    ("POST", "get_or_create_room_with_target"),
    ("GET", "get_rooms_info"),
    ("POST", "add_room_participants"),
    ("POST", "remove_room_participants"),
    ("GET", "get_room_participants"),
    ("GET", "get_user_rooms"),
    ("GET", "get_unread_count"),
    ("GET", "get_or_create_channel"),
    ("POST", "post_comment"),
    ("GET", "load_comments"),
    ("POST", "post_system_event_message"),
];

const MISSING: &str = "Headers QISCUS-SDK-APP-ID and QISCUS-SDK-SECRET are required";
const INVALID: &str = "Invalid QISCUS-SDK-APP-ID or QISCUS-SDK-SECRET";

#[tokio::test]
async fn every_endpoint_requires_the_app_id_and_secret() {
    let app = TestApp::spawn().await;
    let id = app.creds.qiscus_app_id.clone();
    for (method, action) in ENDPOINTS {
        let a = app.qiscus_with(method, action, &[], json!({"user_id": "u1"})).await;
        assert_qiscus_error(&a, 401, MISSING);
        let a = app.qiscus_with(method, action, &[("QISCUS-SDK-APP-ID", &id)], json!({})).await;
        assert_qiscus_error(&a, 401, MISSING);
        let a = app
            .qiscus_with(method, action, &[("QISCUS-SDK-APP-ID", &id), ("QISCUS-SDK-SECRET", "wrong")], json!({}))
            .await;
        assert_qiscus_error(&a, 401, INVALID);
    }
}

#[tokio::test]
async fn wrong_ids_and_other_kinds_of_keys_are_refused() {
    let app = TestApp::spawn().await;
    let secret = app.creds.qiscus_secret.clone();
    let cases = [
        ("no-such-app", secret.as_str()),
        (app.creds.server_key_id.as_str(), app.creds.server_key_secret.as_str()),
        (app.creds.app_key_id.as_str(), app.creds.app_key_secret.as_str()),
    ];
    for (id, secret) in cases {
        let headers = [("QISCUS-SDK-APP-ID", id), ("QISCUS-SDK-SECRET", secret)];
        let a = app.qiscus_with("GET", "get_user_list", &headers, json!({})).await;
        assert_qiscus_error(&a, 401, INVALID);
    }
    // Nothing was created by the refused calls.
    let a = app.qiscus_with("POST", "login_or_register", &[], json!({"user_id": "u1", "username": "U"})).await;
    assert_qiscus_error(&a, 401, MISSING);
    let a = app.qiscus("GET", "user_profile", json!({"user_id": "u1"})).await;
    assert_qiscus_error(&a, 404, "User is not found");
}

#[tokio::test]
async fn header_names_match_with_any_case_and_underscores() {
    let app = TestApp::spawn().await;
    app.qiscus_user("u1", "One").await;
    let (id, secret) = (app.creds.qiscus_app_id.as_str(), app.creds.qiscus_secret.as_str());
    let spellings = [
        ("QISCUS_SDK_APP_ID", "QISCUS_SDK_SECRET"),
        ("qiscus-sdk-app-id", "qiscus-sdk-secret"),
        ("Qiscus_sdk_app_id", "Qiscus_sdk_secret"),
        ("QISCUS-SDK-APP_ID", "qiscus_sdk-SECRET"),
    ];
    for (id_name, secret_name) in spellings {
        let headers = [(id_name, id), (secret_name, secret)];
        let a = app.qiscus_with("GET", "user_profile", &headers, json!({"user_id": "u1"})).await;
        assert_eq!(a.http, 200, "{id_name} / {secret_name}: {}", a.body);
        assert_eq!(a.body["results"]["user"]["user_id"], "u1");
    }
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_in_the_qiscus_envelope() {
    let app = TestApp::spawn().await;
    let a = app.request("GET", "/api/v2.1/rest/no_such_action", &[], "").await;
    assert_qiscus_error(&a, 404, "Path not found: /api/v2.1/rest/no_such_action");
    let a = app.request("POST", "/api/v2/sdk/whatever", &[], "").await;
    assert_qiscus_error(&a, 404, "Path not found: /api/v2/sdk/whatever");
    let a = app.qiscus("GET", "post_comment", json!({})).await;
    assert_qiscus_error(&a, 405, "Method GET is not allowed on /api/v2.1/rest/post_comment");
    let a = app.qiscus("PUT", "get_user_list", json!({})).await;
    assert_qiscus_error(&a, 405, "Method PUT is not allowed on /api/v2.1/rest/get_user_list");
}

#[tokio::test]
async fn malformed_bodies_are_400_and_huge_ones_413() {
    let app = TestApp::spawn().await;
    let (id, secret) = (app.creds.qiscus_app_id.clone(), app.creds.qiscus_secret.clone());
    let auth = [("QISCUS-SDK-APP-ID", id.as_str()), ("QISCUS-SDK-SECRET", secret.as_str())];
    let path = "/api/v2.1/rest/login_or_register";
    let json_headers = [auth[0], auth[1], ("Content-Type", "application/json")];
    let a = app.request("POST", path, &json_headers, r#"{"user_id": "u1", "#).await;
    assert_qiscus_error(&a, 400, "Request body is not valid JSON");
    let a = app.request("POST", path, &json_headers, r#"["u1"]"#).await;
    assert_qiscus_error(&a, 400, "Request body must be a JSON object");
    let a = app.request("POST", path, &auth, vec![b'a'; 1024 * 1024 + 1]).await;
    assert_qiscus_error(&a, 413, "Request body is larger than 1048576 bytes");
    let a = app.qiscus("GET", "user_profile", json!({"user_id": "u1"})).await;
    assert_qiscus_error(&a, 404, "User is not found");
}
