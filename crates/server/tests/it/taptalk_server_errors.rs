//! Authentication, malformed requests and tenant isolation on the TapTalk Server API.

use crate::support::{TestApp, assert_error};
use base64::Engine;
use serde_json::json;

/// Every route of the TapTalk Server API.
pub const SERVER_ROUTES: &[&str] = &[
    "/v1/server/user/update",
    "/v1/server/user/get",
    "/v1/server/user/delete",
    "/v1/server/auth_ticket/request",
    "/v1/server/contact/sync",
    "/v1/server/message/send/custom",
    "/v1/server/room/create_or_update",
    "/v1/server/room/get",
    "/v1/server/room/participants/add",
    "/v1/server/room/participants/remove",
    "/v1/server/room/get_list_by_user",
    "/v1/server/room/lock",
    "/v1/server/room/unlock",
];

#[tokio::test]
async fn every_endpoint_requires_the_server_key() {
    let app = TestApp::spawn().await;
    for path in SERVER_ROUTES {
        let a = app.request("POST", path, &[], r#"{"xcUserID": "1"}"#).await;
        assert_eq!(a.http, 200, "{path}");
        assert_eq!(a.content_type, "application/json");
        assert_error(&a.body, 400, "40001", "Request headers are required (Server-Key)", "");
    }
}

#[tokio::test]
async fn bad_server_keys_get_the_491xx_codes() {
    let app = TestApp::spawn().await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let path = "/v1/server/user/get";
    let cases = [
        ("%%% not base64 %%%".to_string(), "49102", "Server key is invalid"),
        (b64("no-colon-here"), "49102", "Server key is invalid"),
        (b64(&format!("{}:", app.creds.server_key_id)), "49102", "Server key is invalid"),
        (b64("0123456789abcdef01234567:secret"), "49103", "Server key is not found"),
        (b64(&format!("{}:wrong-secret", app.creds.server_key_id)), "49102", "Server key is invalid"),
        (app.creds.app_key.clone(), "49104", "The key is not a server key"),
    ];
    for (key, code, message) in cases {
        let a = app.request("POST", path, &[("Server-Key", &key)], r#"{"xcUserID": "1"}"#).await;
        assert_error(&a.body, 491, code, message, "");
    }
}

#[tokio::test]
async fn malformed_requests_get_clear_envelopes_and_write_nothing() {
    let app = TestApp::spawn().await;
    let key = [("Server-Key", app.creds.server_key.as_str())];

    let a = app.request("POST", "/v1/server/user/update", &key, "{\"xcUserID\": \"1\", ").await;
    assert_error(&a.body, 400, "40002", "Request body is not valid JSON", "");

    // The web SDK sends the JSON string "" and no Content-Type: read as no parameters.
    let a = app.request("POST", "/v1/server/user/update", &key, "\"\"").await;
    assert_error(&a.body, 400, "40002", "Param 'xcUserID' is required", "105");
    let a = app.request("POST", "/v1/server/user/update", &key, "").await;
    assert_error(&a.body, 400, "40002", "Param 'xcUserID' is required", "105");
    let a = app
        .request(
            "POST",
            "/v1/server/user/update",
            &[key[0], ("Content-Type", "text/plain;charset=UTF-8")],
            r#"{"xcUserID": "p", "fullName": "P"}"#,
        )
        .await;
    assert_eq!(a.body["status"], 200, "JSON is read whatever the Content-Type");

    let big = format!(r#"{{"xcUserID": "big", "fullName": "{}"}}"#, "x".repeat(1024 * 1024));
    let a = app.request("POST", "/v1/server/user/update", &key, big).await;
    assert_eq!(a.http, 200);
    assert_error(&a.body, 413, "41300", "Request body is larger than 1048576 bytes", "");
    let env = app.server("/v1/server/user/get", json!({"xcUserID": "big"})).await;
    assert_error(&env, 404, "40401", "User is not found", "");

    let a = app.request("POST", "/v1/server/no/such/thing", &key, "{}").await;
    assert_eq!(a.http, 200);
    assert_error(&a.body, 404, "40400", "Path not found: /v1/server/no/such/thing", "");

    let a = app.request("GET", "/v1/server/room/get", &key, "").await;
    assert_eq!(a.http, 200);
    assert_error(&a.body, 405, "40500", "Method GET is not allowed here; use POST", "");

    let a = app.request("POST", "/elsewhere", &key, "{}").await;
    assert_eq!(a.http, 404);
    assert_eq!(a.body["error"]["message"], "Path not found: /elsewhere");
}

#[tokio::test]
async fn one_apps_key_never_reaches_another_apps_data() {
    let app = TestApp::spawn().await;
    let other = app.create_app("other").await;
    let as_other = |path: &'static str, body: serde_json::Value| {
        let key = other.server_key.clone();
        let app = &app;
        async move { app.request("POST", path, &[("Server-Key", &key)], body.to_string()).await.body }
    };

    let mine = app.user("shared-id", "Mine").await;
    app.user("6", "Six").await;
    app.server_ok(
        "/v1/server/room/create_or_update",
        json!({"xcRoomID": "R", "type": 2, "name": "Mine", "participantXCUserIDs": ["shared-id"]}),
    )
    .await;
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "secret", "senderXCUserID": "shared-id", "recipientXCUserID": "6"}),
    )
    .await;

    assert_error(
        &as_other("/v1/server/user/get", json!({"xcUserID": "shared-id"})).await,
        404,
        "40401",
        "User is not found",
        "",
    );
    assert_error(
        &as_other("/v1/server/room/get", json!({"xcRoomID": "R"})).await,
        404,
        "40401",
        "Room is not found",
        "",
    );
    assert_error(
        &as_other("/v1/server/room/lock", json!({"xcRoomID": "R", "xcUserID": "shared-id"})).await,
        404,
        "40401",
        "Room is not found",
        "",
    );

    // The same external ids in the other app are different users and rooms.
    let theirs = as_other("/v1/server/user/update", json!({"xcUserID": "shared-id", "fullName": "Theirs"})).await;
    assert_ne!(theirs["data"]["userID"], mine.as_str());
    let created =
        as_other("/v1/server/room/create_or_update", json!({"xcRoomID": "R", "type": 4, "name": "Theirs"})).await;
    assert_eq!(created["status"], 200, "a type that differs from app one's room is fine: it is another room");
    let list = as_other("/v1/server/room/get_list_by_user", json!({"xcUserID": "shared-id"})).await;
    assert_eq!(list["data"]["rooms"], json!([]));
    assert_eq!(app.server_ok("/v1/server/room/get", json!({"xcRoomID": "R"})).await["room"]["name"], "Mine");
    let mine_now = app.server_ok("/v1/server/user/get", json!({"xcUserID": "shared-id"})).await;
    assert_eq!(mine_now["user"]["fullname"], "Mine");
}
