//! Qiscus Server API users: login_or_register, user_profile, tokens, the user list and
//! (de)activation.

use crate::support::{TestApp, assert_qiscus_error};
use palaver_store::repo::users;
use serde_json::json;

async fn credentials(app: &TestApp, user_id: &str) -> (String, String) {
    let user = app.user_by_external_id(user_id).await;
    app.core.store().read(move |c| users::credentials(c, user.id)).await.expect("credentials")
}

#[tokio::test]
async fn login_or_register_creates_then_updates_the_user() {
    let app = TestApp::spawn().await;
    let r = app
        .qiscus_ok(
            "POST",
            "login_or_register",
            json!({
                "user_id": "user@email.com",
                "password": "secret-1",
                "username": "Johnny Cage",
                "avatar_url": "https://myimagebucket.com/image.jpg",
                "extras": {"key": "value", "key1": "value1"}
            }),
        )
        .await;
    assert_eq!(
        r,
        json!({"user": {
            "user_id": "user@email.com",
            "username": "Johnny Cage",
            "avatar_url": "https://myimagebucket.com/image.jpg",
            "extras": {"key": "value", "key1": "value1"},
            "active": true
        }})
    );
    let (hash, token) = credentials(&app, "user@email.com").await;
    assert!(palaver_core::secrets::verify_password("secret-1", &hash), "the password is stored hashed: {hash}");
    assert!(!hash.contains("secret-1"));
    assert!(token.len() == 20 && token.chars().all(|c| c.is_ascii_alphanumeric()), "{token}");

    // Updating: extras as a JSON string, no avatar (kept), a new password.
    let r = app
        .qiscus_ok(
            "POST",
            "login_or_register",
            json!({"user_id": "user@email.com", "username": "Johnny", "password": "secret-2", "extras": "{\"k\":2}"}),
        )
        .await;
    assert_eq!(
        r["user"],
        json!({"user_id": "user@email.com", "username": "Johnny", "avatar_url": "https://myimagebucket.com/image.jpg", "extras": {"k": 2}, "active": true})
    );
    let (hash2, token2) = credentials(&app, "user@email.com").await;
    assert!(palaver_core::secrets::verify_password("secret-2", &hash2), "the new password replaced the old one");
    assert_eq!(token2, token, "logging in again keeps the token");

    // Without password and username: the profile and password stay.
    let r = app.qiscus_ok("POST", "login_or_register", json!({"user_id": "user@email.com"})).await;
    assert_eq!(r["user"]["username"], "Johnny");
    assert_eq!(credentials(&app, "user@email.com").await.0, hash2);

    let p = app.qiscus_ok("GET", "user_profile", json!({"user_id": "user@email.com"})).await;
    assert_eq!(p, r);
}

#[tokio::test]
async fn a_password_hash_of_an_earlier_version_is_replaced_with_argon2id_at_the_next_login() {
    let app = TestApp::spawn().await;
    app.qiscus_user("old@qiscus.com", "Old").await;
    let user = app.user_by_external_id("old@qiscus.com").await;
    // What an earlier Palaver stored for "old-secret": PBKDF2-HMAC-SHA256, 100,000 rounds.
    let legacy =
        "pbkdf2-sha256$100000$0123456789abcdef$a676cfe12e2ee216ac117f71199161e7558057daef0c3ffaa003461b717de3d3";
    app.core.store().write(move |tx| users::set_password_hash(tx.conn(), user.id, legacy)).await.unwrap();
    assert!(palaver_core::secrets::verify_password("old-secret", legacy), "the earlier form still verifies");
    assert!(palaver_core::secrets::needs_rehash(legacy));

    app.qiscus_ok("POST", "login_or_register", json!({"user_id": "old@qiscus.com", "password": "old-secret"})).await;
    let (hash, _) = credentials(&app, "old@qiscus.com").await;
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(palaver_core::secrets::verify_password("old-secret", &hash));
}

#[tokio::test]
async fn a_new_user_without_password_gets_a_random_one() {
    let app = TestApp::spawn().await;
    app.qiscus_user("guest@qiscus.com", "Guest").await;
    let (hash, _) = credentials(&app, "guest@qiscus.com").await;
    assert!(hash.starts_with("pbkdf2-sha256$"), "a hash of a random password is stored: {hash}");
}

#[tokio::test]
async fn login_or_register_validates_and_writes_nothing_on_error() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(51);
    let system = format!("system@{}", app.creds.qiscus_app_id);
    let cases = [
        (json!({"username": "X"}), "Param 'user_id' is required"),
        (json!({"user_id": "bad id", "username": "X"}), "Param 'user_id' may contain only letters, digits and . - _ @"),
        (json!({"user_id": "a+b", "username": "X"}), "Param 'user_id' may contain only letters, digits and . - _ @"),
        (json!({"user_id": long, "username": "X"}), "Param 'user_id' must be 1 to 50 characters"),
        (json!({"user_id": "new.user"}), "Param 'username' is required to register a user"),
        (json!({"user_id": "new.user", "username": ""}), "Param 'username' is required to register a user"),
        (
            json!({"user_id": "new.user", "username": "X", "extras": "[1]"}),
            "Param 'extras' must be a JSON object or a string holding one",
        ),
        (
            json!({"user_id": "new.user", "username": "X", "extras": 5}),
            "Param 'extras' must be a JSON object or a string holding one",
        ),
        (json!({"user_id": "new.user", "username": {"a": 1}}), "Param 'username' must be a string"),
        (
            json!({"user_id": system, "username": "X"}),
            "Param 'user_id' names the app's system user, which cannot log in",
        ),
    ];
    for (body, message) in cases {
        let a = app.qiscus("POST", "login_or_register", body.clone()).await;
        assert_qiscus_error(&a, 400, message);
    }
    let list = app.qiscus_ok("GET", "get_user_list", json!({})).await;
    assert_eq!(list["meta"], json!({"total_data": 0, "total_page": 0}));
    // Allowed characters.
    let r = app.qiscus_user("A.b-c_d@e.F9", "Odd").await;
    assert_eq!(r["user_id"], "A.b-c_d@e.F9");
}

#[tokio::test]
async fn user_profile_of_an_unknown_user_is_404() {
    let app = TestApp::spawn().await;
    let a = app.qiscus("GET", "user_profile", json!({"user_id": "nobody"})).await;
    assert_qiscus_error(&a, 404, "User is not found");
    let a = app.qiscus("GET", "user_profile", json!({})).await;
    assert_qiscus_error(&a, 400, "Param 'user_id' is required");
}

#[tokio::test]
async fn user_tokens_are_stable_until_reset() {
    let app = TestApp::spawn().await;
    app.qiscus_user("guest@mail.com", "Guest").await;
    let t1 = app.qiscus_ok("GET", "get_user_token", json!({"user_id": "guest@mail.com"})).await;
    let t2 = app.qiscus_ok("POST", "get_user_token", json!({"user_id": "guest@mail.com"})).await;
    assert_eq!(t1, t2);
    let token = t1["token"].as_str().unwrap().to_string();
    assert_eq!(t1, json!({"token": token}));
    assert_eq!(credentials(&app, "guest@mail.com").await.1, token);

    let reset = app.qiscus_ok("POST", "reset_user_token", json!({"user_id": "guest@mail.com"})).await;
    let new = reset["token"].as_str().unwrap().to_string();
    assert_ne!(new, token);
    assert_eq!(new.len(), 20);
    let again = app.qiscus_ok("GET", "get_user_token", json!({"user_id": "guest@mail.com"})).await;
    assert_eq!(again, json!({"token": new}));
    let stored = credentials(&app, "guest@mail.com").await.1;
    assert_eq!(stored, new, "the old token is gone");

    for action in ["get_user_token", "reset_user_token"] {
        let a = app.qiscus("POST", action, json!({"user_id": "nobody"})).await;
        assert_qiscus_error(&a, 404, "User is not found");
    }
}
