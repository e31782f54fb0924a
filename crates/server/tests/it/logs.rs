//! The request log, over the real binary: one line per request naming its method, route
//! template, status, app and request id; no colour on a pipe; JSON lines on demand; never a
//! secret, a query string or message content.

use crate::process_support::create_app;
use crate::support::{AppCredentials, Endpoint};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A `palaver serve` process whose stderr lines the test reads.
struct Logged {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    api: Endpoint,
    _dir: tempfile::TempDir,
}

impl Logged {
    /// Creates an app and serves its data directory with `envs` (and neither `NO_COLOR` nor
    /// `PALAVER_LOG*` from the test's environment); stderr is a pipe.
    fn start(envs: &[(&str, &str)]) -> Logged {
        Self::start_with(envs, |_| vec![])
    }

    /// Like [`Logged::start`], with more `serve` arguments made from the data directory.
    fn start_with(envs: &[(&str, &str)], args: impl FnOnce(&std::path::Path) -> Vec<String>) -> Logged {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_string();
        let creds: AppCredentials = create_app(&["--data-dir", &data]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_palaver"))
            .args(["serve", "--listen", "127.0.0.1:0", "--mqtt-listen", "off", "--data-dir", &data])
            .args(args(dir.path()))
            .env_remove("NO_COLOR")
            .env_remove("PALAVER_LOG")
            .env_remove("PALAVER_LOG_FORMAT")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("palaver starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            let line = lines.recv_timeout(deadline - Instant::now()).expect("the server says where it listens");
            let found = line.split("listening on http://").nth(1).map(|rest| {
                rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect::<String>()
            });
            seen.push(line);
            if let Some(addr) = found {
                break addr.parse().unwrap();
            }
        };
        Logged { child, lines, seen, api: Endpoint::new(addr, creds), _dir: dir }
    }

    /// The first line (seen so far or still to come) that contains `needle`.
    fn line_with(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line =
                self.lines.recv_timeout(left).unwrap_or_else(|_| panic!("no line with {needle:?}: {:#?}", self.seen));
            self.seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Stops the server (SIGTERM, as a service manager would) and returns every line it wrote.
    fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(self.child.wait().unwrap().success());
        self.seen.extend(self.lines.iter());
        self.seen
    }
}

#[tokio::test]
async fn each_request_logs_one_line_with_route_status_app_and_request_id() {
    let mut server = Logged::start(&[]);
    let api = &server.api;
    let key = api.creds.server_key.clone();
    let body = json!({"xcUserID": "u1", "fullName": "Ann"}).to_string();
    let a = api
        .request("POST", "/v1/server/user/update", &[("Server-Key", &key), ("X-Request-Id", "log-test-1")], body)
        .await;
    assert_eq!(a.body["status"], 200, "{}", a.body);
    assert_eq!(a.header("x-request-id"), "log-test-1", "the client's request id is echoed");
    // A path with an id and a query string is logged as its route template.
    let file = api.request("GET", "/v1/files/abc987?token=query-secret-9", &[("X-Request-Id", "log-test-2")], "").await;
    // Without a (sane) request id, the server makes one and answers with it.
    let made = api.request("GET", "/health", &[], "").await.header("x-request-id").to_string();
    let insane = api.request("GET", "/health", &[("X-Request-Id", "two words")], "").await;
    let replaced = insane.header("x-request-id").to_string();
    assert_eq!(made.len(), 16, "{made:?}");
    assert!(replaced.len() == 16 && replaced != made, "{replaced:?}");

    let app = format!("app={}", api.creds.app_id);
    let line = server.line_with("log-test-1");
    for part in ["POST", "route=/v1/server/user/update", "status=200", "latency_ms=", &app] {
        assert!(line.contains(part), "{part:?} in {line}");
    }
    assert!(line.contains(" INFO "), "requests are logged at info: {line}");
    let line = server.line_with("log-test-2");
    assert!(line.contains("route=/v1/files/{id}") && line.contains(&format!("status={}", file.http)), "{line}");
    assert!(server.line_with(&made).contains("route=/health"));
    server.line_with(&replaced);

    let lines = server.stop();
    assert_eq!(lines.iter().filter(|l| l.contains("log-test-1")).count(), 1, "one line per request: {lines:#?}");
    for line in &lines {
        assert!(!line.contains('\x1b'), "no ANSI escapes when stderr is not a terminal: {line:?}");
        assert!(!line.contains("abc987") && !line.contains("query-secret-9"), "no raw paths or queries: {line}");
        assert!(!line.contains("two words"));
    }
}

#[tokio::test]
async fn json_log_format_writes_one_object_per_line() {
    let mut server = Logged::start(&[("PALAVER_LOG_FORMAT", "json")]);
    let api = &server.api;
    let key = api.creds.server_key.clone();
    let body = json!({"xcUserID": "u1", "fullName": "Ann"}).to_string();
    let a = api
        .request("POST", "/v1/server/user/update", &[("Server-Key", &key), ("X-Request-Id", "json-test-1")], body)
        .await;
    assert_eq!(a.header("x-request-id"), "json-test-1");
    let app_id = api.creds.app_id;
    server.line_with("json-test-1");

    let lines = server.stop();
    let objects: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let request = objects.iter().find(|o| o["span"]["request_id"] == "json-test-1").expect("the request's line");
    assert_eq!(request["level"], "INFO");
    assert_eq!(request["span"]["method"], "POST");
    assert_eq!(request["span"]["route"], "/v1/server/user/update");
    assert_eq!(request["span"]["app"], app_id);
    assert_eq!(request["status"], 200);
    assert!(request["latency_ms"].is_number(), "{request}");
    assert!(objects.iter().any(|o| o["message"].as_str().is_some_and(|m| m.contains("listening on"))));
}

#[tokio::test]
async fn the_config_file_can_ask_for_json_logs() {
    let mut server = Logged::start_with(&[], |dir| {
        let file = dir.join("palaver.toml");
        std::fs::write(&file, "log_format = \"json\"\n").unwrap();
        vec!["--config".into(), file.to_str().unwrap().into()]
    });
    let a = server.api.request("GET", "/health", &[("X-Request-Id", "from-file-1")], "").await;
    assert_eq!(a.http, 200);
    let line: Value = serde_json::from_str(&server.line_with("from-file-1")).expect("a JSON line");
    assert_eq!(line["span"]["route"], "/health");
    for line in server.stop() {
        serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
    }
}

#[tokio::test]
async fn secrets_and_message_content_stay_out_of_the_log() {
    // At debug, the most the server's own code says.
    let mut server = Logged::start(&[("PALAVER_LOG", "debug")]);
    let api = &server.api;
    let creds = api.creds.clone();
    let bearer = ("Authorization", "Bearer secret-token-123");
    for (xc, name) in [("1", "Ann"), ("6", "Bob")] {
        api.server_ok("/v1/server/user/update", json!({"xcUserID": xc, "fullName": name})).await;
    }
    let message = json!({
        "messageType": 1001, "body": "hello-secret-body", "data": "",
        "senderXCUserID": "1", "recipientXCUserID": "6", "xcRoomID": ""
    });
    let sent = api
        .request(
            "POST",
            "/v1/server/message/send/custom?password=secret-token-123",
            &[("Server-Key", &creds.server_key), bearer, ("Content-Type", "application/json")],
            message.to_string(),
        )
        .await;
    assert_eq!(sent.body["status"], 200, "{}", sent.body);
    let client = api
        .request("POST", "/v1/client/logout", &[("App-Key", &creds.app_key), bearer, ("X-Request-Id", "bye")], "{}")
        .await;
    assert_ne!(client.http, 0);
    let qiscus = [("QISCUS-SDK-APP-ID", creds.qiscus_app_id.as_str()), ("QISCUS-SDK-SECRET", &creds.qiscus_secret)];
    api.request("GET", "/api/v2.1/rest/get_user_list", &qiscus, "").await;
    server.line_with("route=/v1/client/logout");

    let lines = server.stop();
    let text = lines.join("\n");
    for secret in [
        "secret-token-123",
        "hello-secret-body",
        creds.server_key.as_str(),
        creds.server_key_secret.as_str(),
        creds.app_key.as_str(),
        creds.app_key_secret.as_str(),
        creds.qiscus_secret.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
    }
    assert!(text.contains("route=/v1/server/message/send/custom"), "{text}");
}
