//! The `palaver` binary's contract: app management output and first start.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn palaver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_palaver"))
}

#[test]
fn app_create_prints_credentials_as_json_and_app_list_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        palaver().args(["app", "create", "--name", "shop", "--json", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let creds: Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    for key in [
        "app_id",
        "server_key",
        "server_key_id",
        "server_key_secret",
        "app_key",
        "app_key_id",
        "app_key_secret",
        "qiscus_app_id",
        "qiscus_secret",
    ] {
        assert!(creds.get(key).is_some(), "missing {key}");
    }
    let decoded =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, creds["server_key"].as_str().unwrap())
            .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        format!("{}:{}", creds["server_key_id"].as_str().unwrap(), creds["server_key_secret"].as_str().unwrap())
    );

    let again =
        palaver().args(["app", "create", "--name", "shop", "--json", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(!again.status.success(), "app names are unique");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let list = palaver().args(["app", "list", "--json", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(list.status.success());
    let text = String::from_utf8(list.stdout).unwrap();
    let apps: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(apps[0]["name"], "shop");
    assert!(
        !text.contains(creds["server_key_secret"].as_str().unwrap()) && !text.contains("secret"),
        "no secrets in the list: {text}"
    );
}

#[test]
fn app_rotate_gives_a_key_a_new_secret_and_keeps_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| palaver().args(args).arg("--data-dir").arg(dir.path()).output().unwrap();
    let out = run(&["app", "create", "--name", "shop", "--json"]);
    let creds: Value = serde_json::from_slice(&out.stdout).expect("credentials");
    let out = run(&["app", "rotate", "shop", "--kind", "qiscus.secret", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotated: Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(rotated["qiscus_app_id"], creds["qiscus_app_id"]);
    let secret = rotated["qiscus_secret"].as_str().unwrap();
    assert!(secret.len() >= 32 && Some(secret) != creds["qiscus_secret"].as_str(), "{rotated}");

    let out = run(&["app", "rotate", "shop", "--kind", "nope"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--kind must be one of"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["app", "rotate", "nobody", "--kind", "taptalk.server_key"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("There is no app named \"nobody\""));
}

#[test]
fn first_start_prints_the_default_credentials_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = palaver()
        .args(["serve", "--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    for _ in 0..5 {
        stdout.read_line(&mut banner).unwrap();
    }
    assert!(banner.contains("Created the app \"default\""), "{banner}");
    assert!(banner.contains("Server-Key header:") && banner.contains("QISCUS-SDK-SECRET:"), "{banner}");
    // Wait until it listens, then stop it the way a service manager does.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    let mut line = String::new();
    while !line.contains("listening") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "server exited early");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status}");

    // A second start on the same data finds the app and prints no secrets.
    let out = palaver().args(["app", "list", "--json", "--data-dir"]).arg(dir.path()).output().unwrap();
    let apps: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(apps.as_array().unwrap().len(), 1);
    assert_eq!(apps[0]["name"], "default");
}

#[test]
fn the_data_directory_and_database_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("new").join("data");
    let out =
        palaver().args(["app", "create", "--name", "shop", "--json", "--data-dir"]).arg(&data_dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data_dir), 0o700, "the data directory");
    for entry in std::fs::read_dir(&data_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    assert!(data_dir.join("palaver.db").exists());
}

#[test]
fn webhook_commands_manage_endpoints_and_keep_secrets_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = palaver().args(args).arg("--data-dir").arg(dir.path()).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert!(run(&["app", "create", "--name", "shop"]).0);
    let (ok, out, err) = run(&[
        "webhook",
        "add",
        "--app",
        "shop",
        "--url",
        "https://hooks.example.com/in",
        "--dialect",
        "qiscus",
        "--events",
        "message.created,room.created",
        "--json",
    ]);
    assert!(ok, "{err}");
    let added: Value = serde_json::from_str(&out).unwrap();
    let secret = added["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(added["events"], serde_json::json!(["message.created", "room.created"]));
    let id = added["id"].as_i64().unwrap().to_string();
    // The secret is in no file of the data directory in the clear.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(&secret[6..]));
    }
    let (_, out, _) = run(&["webhook", "list", "--json"]);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["app"], "shop");
    assert!(listed[0].get("secret").is_none() && !out.contains(&secret));
    assert!(run(&["webhook", "disable", &id, "--app", "shop"]).0);
    let (_, out, _) = run(&["webhook", "list", "--app", "shop", "--json"]);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()[0]["enabled"], false);
    assert!(run(&["webhook", "enable", &id, "--app", "shop"]).0);
    let (_, out, _) = run(&["webhook", "attempts", "--app", "shop", "--json"]);
    assert_eq!(out.trim(), "[]");

    // Mistakes are named, and change nothing.
    let (ok, _, err) = run(&["webhook", "add", "--app", "shop", "--url", "https://x.example", "--dialect", "slack"]);
    assert!(!ok && err.contains("--dialect must be one of palaver, taptalk, qiscus"), "{err}");
    let (ok, _, err) = run(&["webhook", "add", "--app", "shop", "--url", "ftp://x.example", "--dialect", "palaver"]);
    assert!(!ok && err.contains("--url must be an http:// or https:// URL"), "{err}");
    let (ok, _, err) = run(&[
        "webhook",
        "add",
        "--app",
        "shop",
        "--url",
        "https://x.example",
        "--dialect",
        "palaver",
        "--secret",
        "hunter2",
    ]);
    assert!(!ok && err.contains("--secret must be whsec_"), "{err}");
    let (ok, _, err) = run(&[
        "webhook",
        "add",
        "--app",
        "shop",
        "--url",
        "https://x.example",
        "--dialect",
        "palaver",
        "--events",
        "message.sent",
    ]);
    assert!(!ok && err.contains("unknown event \"message.sent\""), "{err}");
    let (ok, _, err) = run(&["webhook", "remove", "99", "--app", "shop"]);
    assert!(!ok && err.contains("has no webhook 99"), "{err}");
    assert!(run(&["webhook", "remove", &id, "--app", "shop"]).0);
    let (_, out, _) = run(&["webhook", "list"]);
    assert_eq!(out.trim(), "No webhooks.");
}

#[tokio::test]
async fn report_list_shows_an_apps_reports_newest_first() {
    use crate::support::TestApp;
    use serde_json::json;
    // The reports are made through the API of a server on SQLite, which the command reads.
    let app = TestApp::spawn_with(|s| s.backend = palaver_store::Backend::Sqlite(s.data_dir.join("palaver.db"))).await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let run = |args: &[&str]| {
        let out = palaver().args(args).arg("--data-dir").arg(app.dir.path()).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["report", "list", "--app", "default"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "No reports.");
    for (category, reason) in [("Spam", "Ads"), ("Abuse", "Rude")] {
        let report = json!({"userID": bob.user_id, "category": category, "isOtherCategory": false, "reason": reason});
        app.client_ok(&alice, "/v1/client/chat_report/submit_user", report).await;
    }
    let (ok, out, err) = run(&["report", "list", "--app", "default", "--json"]);
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!((listed[0]["category"].clone(), listed[1]["category"].clone()), (json!("Abuse"), json!("Spam")));
    assert_eq!(listed[0]["kind"], "user");
    assert_eq!(
        (listed[0]["reporter_xc_user_id"].clone(), listed[0]["user_xc_user_id"].clone()),
        (json!("alice"), json!("bob"))
    );
    assert_eq!(listed[0]["reason"], "Rude");
    let (ok, out, _) = run(&["report", "list", "--app", "default"]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("by alice") && lines[0].contains("user bob") && lines[0].contains("[Abuse]"), "{out}");
    let (ok, _, err) = run(&["report", "list", "--app", "nope"]);
    assert!(!ok && err.contains("There is no app named \"nope\""), "{err}");
}

#[tokio::test]
async fn revoking_a_users_sessions_closes_its_live_sockets_on_the_running_server() {
    use crate::support::TestApp;
    use serde_json::json;
    use std::time::Duration;
    // The command writes to the database of a running server on SQLite.
    let app = TestApp::spawn_with(|s| s.backend = palaver_store::Backend::Sqlite(s.data_dir.join("palaver.db"))).await;
    let alice = app.login_device("alice", "Alice", "phone").await;
    let alice_web = app.login_device("alice", "Alice", "laptop").await;
    let bob = app.login("bob", "Bob").await;
    let (mut phone, mut laptop, mut b) = (app.ws(&alice).await, app.ws(&alice_web).await, app.ws(&bob).await);
    let run = |args: &[&str]| {
        let out = palaver().args(args).arg("--data-dir").arg(app.dir.path()).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["user", "revoke-sessions", "--app", "default", "--user", "alice", "--json"]);
    assert!(ok, "{err}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["sessions_revoked"], 2);
    // Both of Alice's sockets close (the server finds the change in the log within seconds);
    // Bob's stays.
    assert!(phone.closed_within(Duration::from_secs(8)).await, "the phone's socket closed");
    assert!(laptop.closed_within(Duration::from_secs(2)).await, "the laptop's socket closed");
    assert!(!b.closed_within(Duration::from_millis(300)).await, "bob's socket stays");
    // Her tokens no longer work.
    let env = app.client(&alice, "/v1/client/user/get_by_id", json!({"id": bob.user_id})).await;
    assert_eq!(env["error"]["code"], "40103", "{env}");
    assert_eq!(
        app.client_ok(&bob, "/v1/client/user/get_by_id", json!({"id": bob.user_id})).await["user"]["xcUserID"],
        "bob"
    );

    let (ok, out, _) = run(&["user", "revoke-sessions", "--app", "default", "--user", "alice"]);
    assert!(ok && out.contains("Revoked 0 session(s) of alice"), "{out}");
    let (ok, _, err) = run(&["user", "revoke-sessions", "--app", "default", "--user", "nobody"]);
    assert!(!ok && err.contains("has no user \"nobody\""), "{err}");
}

#[tokio::test]
async fn users_and_rooms_are_listed_shown_and_deleted_from_the_command_line() {
    use crate::support::TestApp;
    use serde_json::json;
    use std::time::Duration;
    let app = TestApp::spawn_with(|s| s.backend = palaver_store::Backend::Sqlite(s.data_dir.join("palaver.db"))).await;
    let alice = app.login("alice", "Alice Liddell").await;
    let bob = app.login("bob", "Bob").await;
    app.login("carol", "Carol").await;
    let room = json!({"xcRoomID": "trip", "type": 2, "name": "Trip", "participantXCUserIDs": ["alice", "bob"]});
    app.server_ok("/v1/server/room/create_or_update", room).await;
    let run = |args: &[&str]| {
        let out = palaver().args(args).arg("--data-dir").arg(app.dir.path()).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let json_of = |out: &str| serde_json::from_str::<Value>(out).unwrap();

    let (ok, out, err) = run(&["user", "list", "--app", "default", "--json"]);
    assert!(ok, "{err}");
    let listed = json_of(&out);
    let mut names: Vec<&str> =
        listed["users"].as_array().unwrap().iter().map(|u| u["user"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, vec!["alice", "bob", "carol"]);
    let (_, out, _) = run(&["user", "list", "--app", "default", "--search", "lidd", "--json"]);
    assert_eq!(json_of(&out)["users"][0]["fullname"], "Alice Liddell");
    let (ok, out, _) = run(&["user", "show", "--app", "default", "--user", "bob"]);
    assert!(ok && out.contains("bob") && out.contains("Bob"), "{out}");

    let (ok, out, err) = run(&["room", "list", "--app", "default", "--json"]);
    assert!(ok, "{err}");
    let rooms = json_of(&out);
    assert_eq!(rooms[0]["external_id"], "trip");
    let (ok, out, _) = run(&["room", "show", "--app", "default", "trip", "--json"]);
    assert!(ok);
    let shown = json_of(&out);
    let mut members: Vec<&str> =
        shown["participants"].as_array().unwrap().iter().map(|p| p["user"].as_str().unwrap()).collect();
    members.sort();
    assert_eq!((shown["name"].clone(), members), (json!("Trip"), vec!["alice", "bob"]));

    // Deleting the room reaches its members' live sockets through the running server.
    let mut b = app.ws(&bob).await;
    let (ok, out, err) = run(&["room", "delete", "--app", "default", "trip"]);
    assert!(ok && out.contains("Deleted room trip"), "{err}");
    let (_, out, _) = run(&["room", "show", "--app", "default", "trip", "--json"]);
    assert!(json_of(&out)["deleted"].as_i64().unwrap() > 0);
    let env = app.client(&bob, "/v1/client/room/get", json!({"roomID": shown["id"].to_string()})).await;
    assert_eq!(env["error"]["code"], "40401", "{env}");

    // Deleting a user ends its sessions, whose sockets close.
    let mut a = app.ws(&alice).await;
    let (ok, out, err) = run(&["user", "delete", "--app", "default", "--user", "alice", "--json"]);
    assert!(ok, "{err}");
    assert!(json_of(&out)["deleted"].as_i64().unwrap() > 0);
    assert!(a.closed_within(Duration::from_secs(8)).await, "alice's socket closed");
    assert!(!b.closed_within(Duration::from_millis(200)).await, "bob's stays");

    let (ok, _, err) = run(&["user", "show", "--app", "default", "--user", "nobody"]);
    assert!(!ok && err.contains("has no user \"nobody\""), "{err}");
    let (ok, _, err) = run(&["room", "show", "--app", "default", "nowhere"]);
    assert!(!ok && err.contains("has no room \"nowhere\""), "{err}");
    let (ok, _, err) = run(&["room", "list", "--app", "nope"]);
    assert!(!ok && err.contains("There is no app named \"nope\""), "{err}");
}
