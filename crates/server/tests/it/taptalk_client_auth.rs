//! Client sessions: tickets, tokens, refresh, logout, the token check, project configs, CORS.

use crate::client_support::Session;
use crate::support::{TestApp, assert_error};
use serde_json::json;
use std::time::Duration;

async fn redeem(app: &TestApp, ticket: &str) -> serde_json::Value {
    app.request(
        "POST",
        "/v1/auth/access_token/request",
        &[("App-Key", &app.creds.app_key), ("Authorization", &format!("Bearer {ticket}"))],
        "\"\"",
    )
    .await
    .body
}

async fn as_token(app: &TestApp, key: &str, authorization: &str, path: &str) -> serde_json::Value {
    let mut headers = vec![("App-Key", key)];
    if !authorization.is_empty() {
        headers.push(("Authorization", authorization));
    }
    app.request("POST", path, &headers, "\"\"").await.body
}

#[tokio::test]
async fn a_ticket_is_redeemed_once_for_tokens_and_the_user() {
    let app = TestApp::spawn().await;
    let t = app.server_ok("/v1/server/auth_ticket/request", json!({"xcUserID": "u1", "fullName": "Una"})).await;
    let ticket = t["ticket"].as_str().unwrap();
    let env = redeem(&app, ticket).await;
    assert_eq!(env["status"], 200, "{env}");
    let d = &env["data"];
    let now = palaver_domain::time::now_ms();
    assert!(d["accessToken"].as_str().unwrap().len() >= 32);
    assert!(d["refreshToken"].as_str().unwrap().len() >= 32);
    assert!(d["accessTokenExpiry"].as_i64().unwrap() > now);
    assert!(d["refreshTokenExpiry"].as_i64().unwrap() > d["accessTokenExpiry"].as_i64().unwrap());
    assert_eq!(d["user"]["xcUserID"], "u1");
    assert_eq!(d["user"]["userID"], t["userID"]);
    crate::taptalk_server_users::assert_user_shape(&d["user"]);

    assert_error(&redeem(&app, ticket).await, 401, "40103", "Access token is invalid", "");
    assert_error(&redeem(&app, "made-up-ticket").await, 401, "40103", "Access token is invalid", "");
}

#[tokio::test]
async fn token_problems_get_the_codes_the_sdks_react_to() {
    let app = TestApp::spawn().await;
    let s = app.login("u1", "Una").await;
    let key = app.creds.app_key.clone();
    let path = "/v1/client/contact/list";
    assert_error(&as_token(&app, &key, "", path).await, 401, "40101", "Authorization header is required", "");
    assert_error(
        &as_token(&app, &key, &format!("Token {}", s.access), path).await,
        401,
        "40102",
        "Authorization header is malformed",
        "",
    );
    assert_error(&as_token(&app, &key, "Bearer nope", path).await, 401, "40103", "Access token is invalid", "");
    let other = app.create_app("other").await;
    assert_error(
        &as_token(&app, &other.app_key, &format!("Bearer {}", s.access), path).await,
        401,
        "40105",
        "Access token does not belong to this app",
        "",
    );
    assert_error(
        &as_token(&app, "", &format!("Bearer {}", s.access), path).await,
        400,
        "40001",
        "Request headers are required (App-Key)",
        "",
    );
    assert_error(
        &as_token(&app, "bm9wZQ==", &format!("Bearer {}", s.access), path).await,
        491,
        "49102",
        "App key is invalid",
        "",
    );
    assert_error(
        &as_token(&app, &app.creds.server_key, &format!("Bearer {}", s.access), path).await,
        491,
        "49104",
        "The key is not an app key",
        "",
    );

    app.server_ok("/v1/server/user/delete", json!({"xcUserID": "u1"})).await;
    assert_error(
        &as_token(&app, &key, &format!("Bearer {}", s.access), path).await,
        401,
        "40103",
        "Access token is invalid",
        "",
    );
}

#[tokio::test]
async fn expired_tokens_refresh_and_refresh_tokens_rotate() {
    let app = TestApp::spawn_with(|s| {
        s.core.access_token_ttl_ms = 800;
        s.core.ticket_ttl_ms = 800;
    })
    .await;
    let s = app.login("u1", "Una").await;
    let stale_ticket =
        app.server_ok("/v1/server/auth_ticket/request", json!({"xcUserID": "u1", "fullName": "Una"})).await;
    tokio::time::sleep(Duration::from_millis(900)).await;

    assert_error(
        &app.client(&s, "/v1/client/contact/list", json!({})).await,
        401,
        "40104",
        "Access token has expired",
        "",
    );
    let env = redeem(&app, stale_ticket["ticket"].as_str().unwrap()).await;
    assert_error(&env, 401, "40104", "Access token has expired", "");

    let refreshed =
        as_token(&app, &app.creds.app_key, &format!("Bearer {}", s.refresh), "/v1/auth/access_token/refresh").await;
    assert_eq!(refreshed["status"], 200, "{refreshed}");
    let d = &refreshed["data"];
    assert_eq!(d["user"]["xcUserID"], "u1");
    let fresh = Session {
        access: d["accessToken"].as_str().unwrap().into(),
        refresh: d["refreshToken"].as_str().unwrap().into(),
        ..s.clone()
    };
    assert_ne!(fresh.access, s.access);
    assert_ne!(fresh.refresh, s.refresh);
    assert_eq!(app.client(&fresh, "/v1/client/contact/list", json!({})).await["status"], 200);
    // The old refresh token was replaced.
    let again =
        as_token(&app, &app.creds.app_key, &format!("Bearer {}", s.refresh), "/v1/auth/access_token/refresh").await;
    assert_error(&again, 401, "40103", "Access token is invalid", "");
}

#[tokio::test]
async fn connect_check_logout_and_project_configs() {
    let app = TestApp::spawn().await;
    let s = app.login("u1", "Una").await;
    let check = |token: String| {
        let app = &app;
        async move {
            app.request(
                "GET",
                "/connect?check=1",
                &[("App-Key", &app.creds.app_key), ("Authorization", &format!("Bearer {token}"))],
                "",
            )
            .await
        }
    };
    let a = check(s.access.clone()).await;
    assert_eq!((a.http, a.body["status"].clone(), a.body["error"]["code"].clone()), (200, json!(200), json!("")));
    let a = check("wrong".into()).await;
    assert_eq!(a.http, 200);
    assert_error(&a.body, 401, "40103", "Access token is invalid", "");

    let cfg = app
        .request(
            "POST",
            "/v1/client/project_configs",
            &[("App-Key", &app.creds.app_key), ("Authorization", "")],
            "\"\"",
        )
        .await;
    assert_eq!(cfg.body["status"], 200, "{}", cfg.body);
    assert_eq!(cfg.body["data"]["core"]["chatMediaMaxFileSize"], "26214400");
    assert_eq!(cfg.body["data"]["core"]["groupMaxParticipants"], "100");

    let out = app.client_ok(&s, "/v1/client/logout", json!("")).await;
    assert_eq!(out, json!({"success": true, "message": "Logged out successfully"}));
    assert_error(
        &app.client(&s, "/v1/client/contact/list", json!({})).await,
        401,
        "40103",
        "Access token is invalid",
        "",
    );
    let err = tokio_tungstenite::connect_async(format!(
        "ws://{}/connect?app_key={}&authorization=Bearer%20{}",
        app.addr,
        crate::client_support::urlencode(&app.creds.app_key),
        s.access
    ))
    .await
    .expect_err("a revoked token cannot open the realtime channel");
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn browsers_get_cors_preflight_answers() {
    let app = TestApp::spawn().await;
    let a = app
        .request(
            "OPTIONS",
            "/v1/client/contact/list",
            &[
                ("Origin", "https://app.example.com"),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "app-key, authorization, device-identifier, device-model, device-platform",
                ),
            ],
            "",
        )
        .await;
    assert_eq!(a.http, 204);
    assert_eq!(a.header("access-control-allow-origin"), "*");
    assert_eq!(
        a.header("access-control-allow-headers"),
        "app-key, authorization, device-identifier, device-model, device-platform"
    );
    assert!(a.header("access-control-allow-methods").contains("POST"));
    let s = app.login("u1", "Una").await;
    let res = app
        .request(
            "POST",
            "/v1/client/contact/list",
            &[
                ("Origin", "https://app.example.com"),
                ("App-Key", &app.creds.app_key),
                ("Authorization", &format!("Bearer {}", s.access)),
            ],
            "\"\"",
        )
        .await;
    assert_eq!(res.body["status"], 200);
    assert_eq!(res.header("access-control-allow-origin"), "*");
}

/// How many tickets and sessions are stored.
async fn credential_rows(app: &TestApp) -> (i64, i64) {
    app.core
        .store()
        .read(|c| {
            let tickets = c.query_int("SELECT COUNT(*) FROM auth_tickets", &[])?;
            let sessions = c.query_int("SELECT COUNT(*) FROM sessions", &[])?;
            Ok::<_, palaver_domain::Error>((tickets, sessions))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn expired_tickets_and_dead_sessions_are_purged_and_live_ones_kept() {
    let app = TestApp::spawn_with(|s| s.core.ticket_ttl_ms = 1500).await;
    let kept = app.login("u1", "Una").await;
    let out = app.login("u2", "Dos").await;
    app.client_ok(&out, "/v1/client/logout", json!("")).await;
    let unused = app.server_ok("/v1/server/auth_ticket/request", json!({"xcUserID": "u3", "fullName": "Tres"})).await;
    assert_eq!(credential_rows(&app).await, (3, 2), "two used tickets and an unused one; two sessions");

    assert_eq!(app.core.purge_credentials().await.unwrap(), 1, "the logged-out session goes at once");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let fresh = app.login("u4", "Cuatro").await;
    assert_eq!(app.core.purge_credentials().await.unwrap(), 3, "the three expired tickets go");
    assert_eq!(credential_rows(&app).await, (1, 2), "the fresh ticket (used, not expired) and two live sessions");
    assert_error(&redeem(&app, unused["ticket"].as_str().unwrap()).await, 401, "40103", "Access token is invalid", "");
    for s in [&kept, &fresh] {
        assert_eq!(app.client(s, "/v1/client/contact/list", json!({})).await["status"], 200);
    }
}

#[tokio::test]
async fn logging_out_closes_that_sessions_sockets_and_no_other() {
    let app = TestApp::spawn().await;
    let phone = app.login_device("alice", "Alice", "phone").await;
    let laptop = app.login_device("alice", "Alice", "laptop").await;
    app.login("bob", "Bob").await;
    let (mut on_phone, mut on_laptop) = (app.ws(&phone).await, app.ws(&laptop).await);
    app.client_ok(&phone, "/v1/client/logout", json!("")).await;
    assert!(on_phone.closed_within(Duration::from_secs(5)).await, "the logged-out socket is closed");
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "hi", "senderXCUserID": "bob", "recipientXCUserID": "alice"}),
    )
    .await;
    on_laptop.expect("chat/sendMessage").await;

    app.server_ok("/v1/server/user/delete", json!({"xcUserID": "alice"})).await;
    assert!(on_laptop.closed_within(Duration::from_secs(5)).await, "a deleted user's sockets all close");
}

#[tokio::test]
async fn a_socket_closes_when_its_access_token_expires() {
    let app = TestApp::spawn_with(|s| s.core.access_token_ttl_ms = 1500).await;
    let s = app.login("alice", "Alice").await;
    let mut ws = app.ws(&s).await;
    assert_eq!(ws.close_code_within(Duration::from_secs(5)).await, Some(1008), "policy: the token expired");
    let refreshed =
        as_token(&app, &app.creds.app_key, &format!("Bearer {}", s.refresh), "/v1/auth/access_token/refresh").await;
    assert_eq!(refreshed["status"], 200, "the SDK refreshes, then reconnects: {refreshed}");
}
