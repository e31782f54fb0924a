//! The Qiscus client API's identity-token login, blocks, presence status, push tokens and
//! token expiry.

use crate::qiscus_client::{login, sdk, sdk_ok, token};
use crate::support::{TestApp, assert_qiscus_error};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

fn now() -> i64 {
    palaver_domain::time::now_ms() / 1000
}

/// An identity token as a customer's backend signs it.
fn identity_token(secret: &str, claims: Value) -> String {
    let header = Header::new(Algorithm::HS256);
    encode(&header, &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("signed")
}

async fn nonce(app: &TestApp) -> String {
    let app_id = app.creds.qiscus_app_id.clone();
    let a = app
        .request(
            "POST",
            "/api/v2/sdk/auth/nonce",
            &[("qiscus_sdk_app_id", &app_id), ("qiscus_sdk_version", "WEB_2.16.9")],
            "",
        )
        .await;
    assert_eq!(a.http, 200, "{}", a.body);
    let expires = a.body["results"]["expired_at"].as_i64().unwrap();
    assert!((now() + 500..=now() + 700).contains(&expires), "ten minutes: {expires}");
    a.body["results"]["nonce"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_identity_token_signed_with_the_secret_logs_in_once_per_nonce() {
    let app = TestApp::spawn().await;
    let (app_id, secret) = (app.creds.qiscus_app_id.clone(), app.creds.qiscus_secret.clone());
    let claims = |nce: &str| json!({"iss": app_id, "iat": now(), "nbf": now(), "exp": now() + 120, "nce": nce, "prn": "dave", "name": "Dave", "avatar_url": "https://x/d.png"});
    let verify = |jwt: String| sdk(&app, "POST", "auth/verify_identity_token", None, json!({"identity_token": jwt}));

    let n = nonce(&app).await;
    let jwt = identity_token(&secret, claims(&n));
    let a = verify(jwt.clone()).await;
    assert_eq!(a.http, 200, "{}", a.body);
    let user = &a.body["results"]["user"];
    assert_eq!(
        (user["email"].as_str(), user["username"].as_str(), user["avatar_url"].as_str()),
        (Some("dave"), Some("Dave"), Some("https://x/d.png"))
    );
    let t = user["token"].as_str().unwrap();
    assert_eq!(sdk_ok(&app, "GET", "my_profile", Some(t), json!({})).await["user"]["email"], "dave");
    assert_qiscus_error(&verify(jwt).await, 401, "The identity token's nonce is unknown, used or expired");

    // Wrong key, wrong issuer, expired, missing nonce claim: refused, and none uses the nonce up.
    let n = nonce(&app).await;
    let wrong_key = identity_token("not-the-secret", claims(&n));
    assert_eq!(verify(wrong_key).await.http, 401);
    let mut other_app = claims(&n);
    other_app["iss"] = json!("someone-else");
    assert_eq!(verify(identity_token(&secret, other_app)).await.http, 401);
    let mut expired = claims(&n);
    expired["exp"] = json!(now() - 600);
    assert_eq!(verify(identity_token(&secret, expired)).await.http, 401);
    let ok = verify(identity_token(&secret, claims(&n))).await;
    assert_eq!(ok.http, 200, "the nonce survived the refusals: {}", ok.body);
    assert_qiscus_error(
        &sdk(&app, "POST", "auth/verify_identity_token", None, json!({})).await,
        400,
        "Param 'identity_token' is required",
    );
}

#[tokio::test]
async fn blocks_status_push_tokens_and_expiry() {
    let app = TestApp::spawn().await;
    let (a, b) = (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await);
    let (ta, tb) = (token(&a), token(&b));
    let room =
        sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&ta), json!({"emails": "bob"})).await["room"]["id"]
            .clone();

    let blocked = sdk_ok(&app, "POST", "block_user", Some(&tb), json!({"user_email": "alice"})).await;
    assert_eq!(
        (blocked["user"]["email"].as_str(), blocked["user"]["avatar"]["avatar"]["url"].as_str()),
        (Some("alice"), Some(""))
    );
    let list = sdk_ok(&app, "GET", "get_blocked_users", Some(&tb), json!({"page": 1, "limit": 10})).await;
    assert_eq!(
        (list["blocked_users"][0]["email"].as_str(), list["users"][0]["email"].as_str()),
        (Some("alice"), Some("alice"))
    );
    let refused = sdk(&app, "POST", "post_comment", Some(&ta), json!({"comment": "hi", "topic_id": room})).await;
    assert_eq!(refused.http, 403, "a blocked user cannot message the blocker: {}", refused.body);
    sdk_ok(&app, "POST", "unblock_user", Some(&tb), json!({"user_email": "alice"})).await;
    sdk_ok(&app, "POST", "post_comment", Some(&ta), json!({"comment": "hi", "topic_id": room})).await;

    let status = sdk_ok(&app, "POST", "users/status", Some(&ta), json!({"user_ids": ["bob", "nobody"]})).await;
    let s = &status["user_status"];
    assert_eq!(
        (s.as_array().unwrap().len(), s[0]["email"].as_str(), s[0]["status"].as_i64()),
        (1, Some("bob"), Some(0))
    );
    assert!(s[0]["timestamp"].as_i64().unwrap() > 1_700_000_000, "Unix seconds");

    let set = |add: bool| {
        let action = if add { "set_user_device_token" } else { "remove_user_device_token" };
        sdk_ok(
            &app,
            "POST",
            action,
            Some(&ta),
            json!({"device_token": "fcm-1", "device_platform": "rn", "is_development": false}),
        )
    };
    assert_eq!(set(true).await["changed"], true);
    assert_eq!(set(true).await["changed"], false, "a known token changes nothing");
    let alice = app.user_by_external_id("alice").await;
    assert_eq!(app.core.push_tokens(alice.id).await.unwrap().len(), 1);
    assert_eq!(set(false).await["changed"], true);
    assert!(app.core.push_tokens(alice.id).await.unwrap().is_empty());

    let users = sdk_ok(&app, "GET", "get_user_list", Some(&ta), json!({"query": "BO"})).await;
    assert_eq!((users["users"].as_array().unwrap().len(), users["users"][0]["email"].as_str()), (1, Some("bob")));

    let refresh =
        sdk(&app, "POST", "refresh_user_token", None, json!({"user_id": "alice", "refresh_token": "x"})).await;
    assert_qiscus_error(&refresh, 401, "refresh token invalid");
    sdk_ok(&app, "POST", "logout", Some(&ta), json!({"user_id": "alice", "token": ta})).await;
    sdk_ok(&app, "POST", "expire_user_token", Some(&ta), json!({"user_id": "alice"})).await;
    assert_eq!(sdk(&app, "GET", "my_profile", Some(&ta), json!({})).await.http, 401, "the old token is gone");
    assert_ne!(token(&login(&app, "alice", "Alice").await), ta);
}

/// A multipart body with an optional `token` field and a `file`.
fn upload_form(token: Option<&str>, name: &str, media: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----qiscusboundary";
    let mut body = Vec::new();
    if let Some(t) = token {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{t}\r\n").as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {media}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn uploads_stream_to_a_file_url_any_participant_can_fetch() {
    let app = TestApp::spawn().await;
    let a = login(&app, "alice", "Alice").await;
    let ta = token(&a);
    let app_id = app.creds.qiscus_app_id.clone();
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (ct, body) = upload_form(None, "notes.bin", "application/octet-stream", &bytes);
    let headers =
        [("QISCUS-SDK-APP-ID", app_id.as_str()), ("QISCUS-SDK-TOKEN", ta.as_str()), ("Content-Type", ct.as_str())];
    let res = app.request("POST", "/api/v2/sdk/upload", &headers, body).await;
    assert_eq!(res.http, 200, "{}", res.body);
    let url = res.body["results"]["file"]["url"].as_str().unwrap().to_string();
    assert_eq!(res.body["results"]["file"]["size"], 300_000);
    let path = url.split_once("://").unwrap().1.split_once('/').unwrap().1;
    let got = app.request("GET", &format!("/{path}"), &[], "").await;
    assert_eq!((got.http, got.raw.len()), (200, 300_000));
    assert_eq!(got.raw.as_ref(), bytes.as_slice());

    // Android's form: the token as a field before the file, on the mobile prefix.
    let (ct, body) = upload_form(Some(&ta), "a.txt", "text/plain", b"hello");
    let headers = [("QISCUS-SDK-APP-ID", app_id.as_str()), ("Content-Type", ct.as_str())];
    let res = app.request("POST", "/api/v2/mobile/upload", &headers, body).await;
    assert_eq!(res.http, 200, "{}", res.body);
    // No token at all, or not a form: refused in Qiscus' envelope.
    let (ct, body) = upload_form(None, "a.txt", "text/plain", b"hello");
    let headers = [("QISCUS-SDK-APP-ID", app_id.as_str()), ("Content-Type", ct.as_str())];
    assert_qiscus_error(&app.request("POST", "/api/v2/sdk/upload", &headers, body).await, 401, "Unauthorized");
    let headers = [("QISCUS-SDK-APP-ID", app_id.as_str()), ("QISCUS-SDK-TOKEN", ta.as_str())];
    assert_qiscus_error(
        &app.request("POST", "/api/v2/sdk/upload", &headers, "x").await,
        400,
        "The request is not multipart/form-data",
    );
}

#[tokio::test]
async fn a_rotated_secret_replaces_the_old_one_for_the_server_api_and_identity_tokens() {
    let app = TestApp::spawn().await;
    let (app_id, old) = (app.creds.qiscus_app_id.clone(), app.creds.qiscus_secret.clone());
    let key =
        app.core.rotate_keys("default", &[palaver_qiscus::SECRET], std::time::Duration::ZERO).await.unwrap().remove(0);
    assert_eq!(key.id, app_id);
    for (secret, status) in [(old.as_str(), 401), (key.secret.as_str(), 200)] {
        let headers = [("QISCUS-SDK-APP-ID", app_id.as_str()), ("QISCUS-SDK-SECRET", secret)];
        assert_eq!(app.qiscus_with("GET", "get_user_list", &headers, json!({})).await.http, status);
    }
    let n = nonce(&app).await;
    let claims = json!({"iss": app_id, "iat": now(), "nbf": now(), "exp": now() + 60, "nce": n, "prn": "zed"});
    assert_eq!(
        sdk(
            &app,
            "POST",
            "auth/verify_identity_token",
            None,
            json!({"identity_token": identity_token(&old, claims.clone())})
        )
        .await
        .http,
        401
    );
    let ok = sdk(
        &app,
        "POST",
        "auth/verify_identity_token",
        None,
        json!({"identity_token": identity_token(&key.secret, claims)}),
    )
    .await;
    assert_eq!(ok.http, 200, "{}", ok.body);
}
