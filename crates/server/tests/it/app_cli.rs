//! `palaver app rotate-keys|show|disable|enable|delete`, run as processes against the database
//! of a running server, and what the server's both faces answer afterwards.

use crate::client_support::urlencode;
use crate::support::{AppCredentials, TestApp};
use base64::Engine;
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

/// A server on SQLite in its data directory, where the commands find it.
async fn server() -> TestApp {
    TestApp::spawn_with(|s| s.backend = palaver_store::Backend::Sqlite(s.data_dir.join("palaver.db"))).await
}

/// Runs `palaver <args> --data-dir <the server's>`: success, stdout, stderr.
fn run(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_palaver")).args(args).arg("--data-dir").arg(app.dir.path()).output();
    let out = out.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command that prints one JSON object.
fn run_json(app: &TestApp, args: &[&str]) -> Value {
    let (ok, out, err) = run(app, args);
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {out}"))
}

fn key_header(id: &str, secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

/// The TapTalk Server API's envelope for `user/get` with this Server-Key.
async fn taptalk_server(app: &TestApp, server_key: &str) -> Value {
    let headers = [("Server-Key", server_key), ("Content-Type", "application/json")];
    app.request("POST", "/v1/server/user/get", &headers, json!({"xcUserID": "nobody"}).to_string()).await.body
}

/// The TapTalk client API's envelope with this App-Key and no access token.
async fn taptalk_client(app: &TestApp, app_key: &str) -> Value {
    let headers = [("App-Key", app_key), ("Content-Type", "application/json")];
    app.request("POST", "/v1/client/user/get_by_id", &headers, "{}").await.body
}

/// The HTTP status of the Qiscus REST API's `get_user_list` with this secret.
async fn qiscus_rest(app: &TestApp, secret: &str) -> (u16, Value) {
    let headers = [("QISCUS-SDK-APP-ID", app.creds.qiscus_app_id.as_str()), ("QISCUS-SDK-SECRET", secret)];
    let a = app.qiscus_with("GET", "get_user_list", &headers, json!({})).await;
    (a.http, a.body)
}

/// The Qiscus client API's `auth/nonce` answer.
async fn qiscus_client(app: &TestApp) -> (u16, Value) {
    let headers = [("QISCUS-SDK-APP-ID", app.creds.qiscus_app_id.as_str())];
    let a = app.request("POST", "/api/v2/sdk/auth/nonce", &headers, "").await;
    (a.http, a.body)
}

/// Waits (up to 8 s: running servers reload keys every few seconds) until `check` holds.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(8), "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn rotated_keys_keep_the_old_secrets_for_the_grace_period() {
    let app = server().await;
    let old = app.creds.clone();
    let rotated = run_json(&app, &["app", "rotate-keys", "default", "--grace", "2", "--json"]);
    let started = Instant::now();
    let mut new_json = rotated.clone();
    new_json["app_id"] = old.app_id.into();
    let new = AppCredentials::from_json(&new_json);
    assert_eq!(
        (&new.server_key_id, &new.app_key_id, &new.qiscus_app_id),
        (&old.server_key_id, &old.app_key_id, &old.qiscus_app_id)
    );
    assert!(new.server_key_secret != old.server_key_secret && new.qiscus_secret != old.qiscus_secret);
    assert_eq!(rotated["grace_seconds"], 2);

    // Within the grace period both secrets work, on every face.
    // The new ones first: they make the server reload its keys, so the old ones are then
    // accepted as previous secrets, not from a stale cache.
    for (server_key, app_key, secret) in
        [(&new.server_key, &new.app_key, &new.qiscus_secret), (&old.server_key, &old.app_key, &old.qiscus_secret)]
    {
        let env = taptalk_server(&app, server_key).await;
        assert_eq!(env["status"], 404, "a known key reaches the handler: {env} {server_key} (old {})", old.server_key);
        assert_eq!(taptalk_client(&app, app_key).await["error"]["code"], "40101", "the app key passes");
        assert_eq!(qiscus_rest(&app, secret).await.0, 200);
    }
    assert!(started.elapsed() < Duration::from_secs(2), "the checks ran within the grace period");

    // After it, only the new ones.
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(started.elapsed()) + Duration::from_millis(300)).await;
    let env = taptalk_server(&app, &old.server_key).await;
    assert_eq!(env["error"]["code"], "49102", "{env}");
    assert_eq!(taptalk_client(&app, &old.app_key).await["error"]["code"], "49102");
    assert_eq!(qiscus_rest(&app, &old.qiscus_secret).await.0, 401);
    assert_eq!(taptalk_server(&app, &new.server_key).await["status"], 404);
    assert_eq!(qiscus_rest(&app, &new.qiscus_secret).await.0, 200);
    // `show` tells no secret, old or new.
    let (ok, text, _) = run(&app, &["app", "show", "default", "--json"]);
    assert!(ok);
    for secret in [&old.server_key_secret, &old.qiscus_secret, &new.server_key_secret, &new.app_key_secret] {
        assert!(!text.contains(secret.as_str()), "{text}");
    }
}

#[tokio::test]
async fn a_rotation_without_grace_revokes_the_old_secret_of_that_kind_only() {
    let app = server().await;
    let old = app.creds.clone();
    let rotated =
        run_json(&app, &["app", "rotate", "default", "--kind", "taptalk.server_key", "--grace", "0", "--json"]);
    assert_eq!(rotated["server_key_id"], old.server_key_id.as_str());
    assert!(rotated.get("qiscus_secret").is_none(), "only the kind asked for: {rotated}");
    let new_key = key_header(&old.server_key_id, rotated["server_key_secret"].as_str().unwrap());
    assert_eq!(taptalk_server(&app, &new_key).await["status"], 404, "the new secret works at once");
    eventually("the old server key is refused", || async {
        taptalk_server(&app, &old.server_key).await["error"]["code"] == "49102"
    })
    .await;
    assert_eq!(taptalk_client(&app, &old.app_key).await["error"]["code"], "40101", "other kinds keep their secret");
    assert_eq!(qiscus_rest(&app, &old.qiscus_secret).await.0, 200);
}

#[tokio::test]
async fn a_disabled_app_is_refused_by_both_faces_until_enabled() {
    let app = server().await;
    let alice = app.login("alice", "Alice").await;
    app.qiscus_user("carol", "Carol").await;
    let carol = app.qiscus_ok("GET", "get_user_token", json!({"user_id": "carol"})).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let c = app.creds.clone();
    let disabled = run_json(&app, &["app", "disable", "default", "--json"]);
    assert_eq!(disabled["disabled"], true);
    eventually("the TapTalk server API refuses", || async {
        taptalk_server(&app, &c.server_key).await["error"]["code"] == "40301"
    })
    .await;
    let refusal =
        json!({"status": 403, "error": {"code": "40301", "message": "This app is disabled", "field": ""}, "data": {}});
    assert_eq!(taptalk_server(&app, &c.server_key).await, refusal);
    assert_eq!(taptalk_client(&app, &c.app_key).await, refusal);
    let qiscus_refusal = json!({"status": 403, "error": {"message": "This app is disabled"}});
    assert_eq!(qiscus_rest(&app, &c.qiscus_secret).await, (403, qiscus_refusal.clone()));
    assert_eq!(qiscus_client(&app).await, (403, qiscus_refusal));
    // New realtime connections: the TapTalk socket's check answers the refusal, its upgrade is
    // refused; a Qiscus token (what an MQTT token topic is claimed with) opens nothing.
    let bearer = format!("Bearer {}", alice.access);
    let check = app.request("GET", "/connect", &[("App-Key", &c.app_key), ("Authorization", &bearer)], "").await;
    assert_eq!(check.body, refusal);
    let url =
        format!("ws://{}/connect?app_key={}&authorization=Bearer%20{}", app.addr, urlencode(&c.app_key), alice.access);
    assert!(tokio_tungstenite::connect_async(url).await.is_err(), "the upgrade is refused");
    let by_token = app.core.user_by_token(None, &carol, None).await;
    assert_eq!(by_token.err(), Some(palaver_domain::Error::Forbidden(palaver_domain::Denied::AppDisabled)));
    // A wrong secret is still just wrong: being disabled is told only to the app's own keys.
    assert_eq!(qiscus_rest(&app, "wrong").await.0, 401);
    let show = run_json(&app, &["app", "show", "default", "--json"]);
    assert_eq!((show["disabled"].clone(), show["users"].clone()), (json!(true), json!(2)), "{show}");
    let list = run_json(&app, &["app", "list", "--json"]);
    assert_eq!(list[0]["disabled"], true);

    let enabled = run_json(&app, &["app", "enable", "default", "--json"]);
    assert_eq!(enabled["disabled"], false);
    eventually("the TapTalk server API answers again", || async {
        taptalk_server(&app, &c.server_key).await["status"] == 404
    })
    .await;
    assert_eq!(taptalk_client(&app, &c.app_key).await["error"]["code"], "40101");
    assert_eq!(qiscus_rest(&app, &c.qiscus_secret).await.0, 200);
    assert_eq!(qiscus_client(&app).await.0, 200);
    assert_eq!(app.core.user_by_token(None, &carol, None).await.unwrap().external_id.to_string(), "carol");
    let mut socket = app.ws(&alice).await;
    assert!(!socket.closed_within(Duration::from_millis(200)).await, "a socket opens again");
    assert_eq!(app.server_ok("/v1/server/user/get", json!({"xcUserID": "alice"})).await["user"]["xcUserID"], "alice");
}

#[tokio::test]
async fn show_tells_ids_and_counts_and_no_secret() {
    let app = server().await;
    app.user("alice", "Alice").await;
    app.user("bob", "Bob").await;
    let (ok, text, err) = run(&app, &["app", "show", "default", "--json"]);
    assert!(ok, "{err}");
    for secret in [&app.creds.server_key_secret, &app.creds.app_key_secret, &app.creds.qiscus_secret] {
        assert!(!text.contains(secret.as_str()), "no secret: {text}");
    }
    let shown: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(shown["name"], "default");
    assert_eq!(shown["app_id"], app.creds.app_id);
    assert_eq!((shown["disabled"].clone(), shown["users"].clone()), (json!(false), json!(2)));
    let mut kinds: Vec<(String, String)> = shown["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kind"].as_str().unwrap().to_string(), k["id"].as_str().unwrap().to_string()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("qiscus.secret".into(), app.creds.qiscus_app_id.clone()),
            ("taptalk.app_key".into(), app.creds.app_key_id.clone()),
            ("taptalk.server_key".into(), app.creds.server_key_id.clone()),
        ]
    );
    let (ok, text, _) = run(&app, &["app", "show", "default"]);
    assert!(ok && text.contains("2 users"), "{text}");
    let (ok, _, err) = run(&app, &["app", "show", "nope"]);
    assert!(!ok && err.contains("There is no app named \"nope\""), "{err}");
}

#[tokio::test]
async fn delete_needs_yes_then_the_keys_stop_and_the_change_log_goes() {
    let app = server().await;
    app.user("alice", "Alice").await;
    let c = app.creds.clone();
    let (ok, _, err) = run(&app, &["app", "delete", "default"]);
    assert!(!ok && err.contains("--yes"), "{err}");
    assert_eq!(taptalk_server(&app, &c.server_key).await["status"], 404, "nothing happened without --yes");

    let deleted = run_json(&app, &["app", "delete", "default", "--yes", "--json"]);
    assert_eq!(deleted["deleted"], true);
    eventually("the server key is gone", || async {
        taptalk_server(&app, &c.server_key).await["error"]["code"] == "49103"
    })
    .await;
    assert_eq!(taptalk_client(&app, &c.app_key).await["error"]["code"], "49103");
    assert_eq!(qiscus_rest(&app, &c.qiscus_secret).await.0, 401);
    assert_eq!(qiscus_client(&app).await.0, 401);
    let changes = app
        .core
        .store()
        .read(move |conn| conn.query_int("SELECT COUNT(*) FROM changes WHERE app_id = $1", &[c.app_id.into()]))
        .await
        .unwrap();
    assert_eq!(changes, 0, "no change of a deleted app is left to replay");
    assert_eq!(run_json(&app, &["app", "list", "--json"]), json!([]));
    let (ok, _, err) = run(&app, &["app", "show", "default"]);
    assert!(!ok && err.contains("There is no app named"), "{err}");
    // The name is free again, for a new app with new keys.
    let again = run_json(&app, &["app", "create", "--name", "default", "--json"]);
    assert_ne!(again["app_id"], c.app_id);
}
