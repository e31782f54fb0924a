//! Rate limits: a client over its limit is refused with the dialect's 429 and a time to retry,
//! and nobody else is slowed down.

use crate::client_support::{personal, sdk_message};
use crate::process_support::{Node, create_app};
use crate::support::{Endpoint, TestApp, assert_error, assert_qiscus_error};
use base64::Engine;
use palaver_core::Quota;
use serde_json::json;
use std::time::Duration;

/// Three at once, then one a second.
const TIGHT: Quota = Quota { per_minute: 60, burst: 3 };

#[tokio::test]
async fn a_user_over_its_send_limit_is_refused_and_others_are_not() {
    let app = TestApp::spawn_with(|s| s.core.rate_limits.sends = TIGHT).await;
    let (alice, bob) = (app.login("alice", "Alice").await, app.login("bob", "Bob").await);
    let send = |to: &str, n: usize| json!({"roomID": "", "recipientUserID": to, "localID": format!("l{n}"), "messageType": 1001, "body": format!("m{n}"), "data": "", "filterID": "", "isHidden": false});
    for n in 0..3 {
        app.client_ok(&alice, "/v1/chat/message/send/custom", send(&bob.user_id, n)).await;
    }
    let env = app.client(&alice, "/v1/chat/message/send/custom", send(&bob.user_id, 3)).await;
    assert_error(&env, 429, "42900", "Too many requests; retry in 1 s", "");
    app.client_ok(&bob, "/v1/chat/message/send/custom", send(&alice.user_id, 0)).await;

    // Over the realtime channel the refused message comes back marked as failed.
    let mut ws = app.ws(&alice).await;
    let room = personal(&alice.user_id, &bob.user_id);
    ws.send("chat/sendMessage", sdk_message(&room, 1, "too soon", "local-rate-00000000000000000001")).await;
    let refused = ws.expect("chat/sendMessage").await;
    assert_eq!(
        (refused["isFailedSend"].clone(), refused["localID"].clone()),
        (json!(true), json!("local-rate-00000000000000000001"))
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.client_ok(&alice, "/v1/chat/message/send/custom", send(&bob.user_id, 4)).await;
    let history = app.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "alice"})).await;
    assert_eq!(history["rooms"].as_array().map(Vec::len), Some(1), "{history}");
}

#[tokio::test]
async fn receipts_over_their_limit_are_refused() {
    let app = TestApp::spawn_with(|s| s.core.rate_limits.receipts = TIGHT).await;
    let alice = app.login("alice", "Alice").await;
    for _ in 0..3 {
        app.client_ok(&alice, "/v1/chat/message/feedback/read", json!({"messageIDs": ["1"]})).await;
    }
    let env = app.client(&alice, "/v1/chat/message/feedback/read", json!({"messageIDs": ["1"]})).await;
    assert_error(&env, 429, "42900", "Too many requests; retry in 1 s", "");
}

#[tokio::test]
async fn an_address_that_keeps_failing_to_authenticate_is_told_to_wait_in_every_dialect() {
    let app = TestApp::spawn_with(|s| s.core.rate_limits.auth_failures = TIGHT).await;
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{}:wrong-secret", app.creds.server_key_id));
    for _ in 0..3 {
        let a = app.request("POST", "/v1/server/user/get", &[("Server-Key", &wrong)], "{}").await;
        assert_error(&a.body, 491, "49102", "Server key is invalid", "");
    }
    let right = app.request("POST", "/v1/server/user/get", &[("Server-Key", &app.creds.server_key)], "{}").await;
    assert_error(&right.body, 429, "42900", "Too many requests; retry in 1 s", "");
    let q = app.qiscus("GET", "get_user_list", json!({})).await;
    assert_qiscus_error(&q, 429, "Too many requests; retry in 1 s");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let env = app.server("/v1/server/user/get", json!({"xcUserID": "nobody"})).await;
    assert_eq!(env["status"], 404, "a right key works again once the address has waited: {env}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_budget() {
    let app = TestApp::spawn_with(|s| {
        s.core.rate_limits.auth_failures = TIGHT;
        s.limits.trust_forwarded_for = true;
    })
    .await;
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{}:wrong-secret", app.creds.server_key_id));
    let (one, other) = ("10.0.0.1, 198.51.100.7", "198.51.100.8");
    for _ in 0..3 {
        let headers = [("Server-Key", wrong.as_str()), ("X-Forwarded-For", one)];
        let a = app.request("POST", "/v1/server/user/get", &headers, "{}").await;
        assert_eq!(a.body["error"]["code"], "49102");
    }
    let key = app.creds.server_key.as_str();
    let limited =
        app.request("POST", "/v1/server/user/get", &[("Server-Key", key), ("X-Forwarded-For", one)], "{}").await;
    assert_eq!(limited.body["status"], 429, "{}", limited.body);
    let fine =
        app.request("POST", "/v1/server/user/get", &[("Server-Key", key), ("X-Forwarded-For", other)], "{}").await;
    assert_eq!(fine.body["error"]["code"], "40002", "another client behind the proxy is not held up: {}", fine.body);
}

/// Runs `palaver app limits` on a data directory; returns its JSON answer.
fn app_limits(data_dir: &str, args: &[&str]) -> Result<serde_json::Value, String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args(["app", "limits"])
        .args(args)
        .args(["--json", "--data-dir", data_dir])
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap())
}

#[tokio::test]
async fn an_app_gets_limits_of_its_own_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let creds = create_app(&["--data-dir", &data_dir]);
    assert_eq!(app_limits(&data_dir, &["tested"]).unwrap(), json!({}), "none of its own at first");
    let set = app_limits(&data_dir, &["tested", "--sends-per-minute", "8"]).unwrap();
    assert_eq!(set, json!({"sends_per_minute": 8}));
    assert_eq!(
        app_limits(&data_dir, &["tested", "--uploads-per-minute", "5"]).unwrap(),
        json!({"sends_per_minute": 8, "uploads_per_minute": 5})
    );
    let err = app_limits(&data_dir, &["nonesuch", "--sends-per-minute", "8"]).unwrap_err();
    assert!(err.contains("There is no app named \"nonesuch\""), "{err}");

    let node = Node::start(&["--data-dir".to_string(), data_dir.clone()]);
    let api = Endpoint::new(node.addr, creds);
    let (alice, bob) = (api.login("alice", "Alice").await, api.login("bob", "Bob").await);
    let send = |n: usize| json!({"roomID": "", "recipientUserID": bob.user_id, "localID": format!("l{n}"), "messageType": 1001, "body": "hi", "data": "", "filterID": "", "isHidden": false});
    for n in 0..2 {
        api.client_ok(&alice, "/v1/chat/message/send/custom", send(n)).await;
    }
    let env = api.client(&alice, "/v1/chat/message/send/custom", send(2)).await;
    assert_eq!(env["status"], 429, "8 a minute is a burst of two: {env}");
    assert_eq!(app_limits(&data_dir, &["tested", "--reset"]).unwrap(), json!({}));
}
