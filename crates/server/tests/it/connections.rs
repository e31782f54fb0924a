//! Connections as an attacker or a clumsy client uses them: silent sockets, sockets by the
//! thousand from one address, slow and oversized bodies, bodies handlers never read, and
//! connections kept alive forever. Over real sockets, spoken by hand where the wire matters.

use crate::client_support::Session;
use crate::process_support::Node;
use crate::raw_http::{closed_within, connect_from, head, read_answer, send_split};
use crate::support::TestApp;
use crate::taptalk_server_errors::SERVER_ROUTES;
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_silent_sockets_from_one_address_never_keep_others_out_and_all_close() {
    rlimit::increase_nofile_limit(4096).expect("the test may open a few thousand sockets");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palaver.toml");
    std::fs::write(&config, "idle_timeout_secs = 2\n").unwrap();
    let args =
        ["--data-dir".to_string(), dir.path().display().to_string(), "--config".into(), config.display().to_string()];
    let node = Node::start_with_descriptor_limit(&args, 1024);

    let mut silent = Vec::new();
    for _ in 0..1000 {
        silent.push(TcpStream::connect(node.addr).await.expect("the kernel takes the connection"));
    }
    for from in ["127.0.0.2", "127.0.0.3"] {
        let mut other = connect_from(from, node.addr).await.unwrap();
        other.write_all(&head("GET", "/health", &[], 0)).await.unwrap();
        let a = read_answer(&mut other, Duration::from_secs(5)).await.expect("another address is answered");
        assert_eq!((a.status, a.body.as_slice()), (200, b"ok".as_slice()));
    }

    let started = Instant::now();
    let closed = join_all(silent.iter_mut().map(|s| closed_within(s, Duration::from_secs(8)))).await;
    let open = closed.iter().filter(|c| !**c).count();
    assert_eq!(open, 0, "{open} of 1000 silent sockets are still open {:?} later", started.elapsed());
}

#[tokio::test]
async fn a_connection_over_the_cap_is_told_busy_in_its_dialect() {
    let app = TestApp::spawn_with(|s| s.limits.max_connections_per_ip = Some(2)).await;
    let mut held = vec![TcpStream::connect(app.addr).await.unwrap(), TcpStream::connect(app.addr).await.unwrap()];
    held[0].write_all(&head("GET", "/health", &[], 0)).await.unwrap();
    read_answer(&mut held[0], Duration::from_secs(5)).await.expect("the first two are served");

    let mut third = TcpStream::connect(app.addr).await.unwrap();
    third.write_all(&head("POST", "/v1/client/room/get", &[], 0)).await.unwrap();
    let a = read_answer(&mut third, Duration::from_secs(5)).await.unwrap();
    assert_eq!(a.status, 200, "TapTalk's envelope travels with HTTP 200");
    assert_eq!((a.json()["status"].clone(), a.json()["error"]["code"].clone()), (json!(503), json!("50300")));
    assert!(a.closes(), "{:?}", a.headers);
    assert_eq!(a.headers.get("retry-after").map(String::as_str), Some("5"));
    assert!(closed_within(&mut third, Duration::from_secs(5)).await);

    let mut fourth = TcpStream::connect(app.addr).await.unwrap();
    fourth.write_all(&head("GET", "/api/v2.1/rest/get_user_list", &[], 0)).await.unwrap();
    let a = read_answer(&mut fourth, Duration::from_secs(5)).await.unwrap();
    assert_eq!((a.status, a.json()["status"].clone()), (503, json!(503)));
    assert!(a.json()["error"]["message"].as_str().unwrap().contains("busy"));

    let mut elsewhere = connect_from("127.0.0.2", app.addr).await.unwrap();
    elsewhere.write_all(&head("GET", "/health", &[], 0)).await.unwrap();
    assert_eq!(read_answer(&mut elsewhere, Duration::from_secs(5)).await.unwrap().status, 200);

    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut later = TcpStream::connect(app.addr).await.unwrap();
    later.write_all(&head("GET", "/health", &[], 0)).await.unwrap();
    assert_eq!(read_answer(&mut later, Duration::from_secs(5)).await.unwrap().status, 200, "places are given back");
}

#[tokio::test]
async fn a_keep_alive_connection_goes_silent_and_is_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_with(|s| s.limits.idle_timeout = Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    s.write_all(&head("GET", "/health", &[], 0)).await.unwrap();
    read_answer(&mut s, Duration::from_secs(5)).await.unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(5)).await);
    assert!(started.elapsed() >= Duration::from_millis(900), "closed after {:?}", started.elapsed());

    let mut slow_head = TcpStream::connect(app.addr).await.unwrap();
    slow_head.write_all(b"POST /v1/client/room/get HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    assert!(closed_within(&mut slow_head, Duration::from_secs(5)).await, "a head that never ends is cut off");
}

#[tokio::test]
async fn a_body_that_never_finishes_is_answered_408_in_the_dialect_and_closed() {
    let app = TestApp::spawn_with(|s| s.limits.body_timeout = Duration::from_secs(1)).await;
    for (path, qiscus) in [("/v1/server/user/get", false), ("/api/v2.1/rest/login_or_register", true)] {
        let mut s = TcpStream::connect(app.addr).await.unwrap();
        s.write_all(&head("POST", path, &[("Content-Type", "application/json")], 100)).await.unwrap();
        s.write_all(b"{\"xcUserID\":").await.unwrap();
        let a = read_answer(&mut s, Duration::from_secs(5)).await.expect("answered after the body timeout");
        assert_eq!(a.json()["status"], 408, "{path}: {:?}", a.json());
        assert_eq!(a.status, if qiscus { 408 } else { 200 });
        assert!(a.closes());
        assert!(closed_within(&mut s, Duration::from_secs(5)).await);
    }
}

#[tokio::test]
async fn an_oversized_body_is_answered_413_whole_never_cut_by_a_reset() {
    let app = TestApp::spawn().await;
    for path in ["/v1/server/user/update", "/api/v2.1/rest/post_comment", "/nowhere"] {
        let body = vec![b' '; 2 * 1024 * 1024];
        let mut s = TcpStream::connect(app.addr).await.unwrap();
        let (mut reader, mut writer) = s.split();
        let head = head("POST", path, &[("Server-Key", &app.creds.server_key)], body.len());
        let send = async {
            let _ = writer.write_all(&head).await;
            let _ = writer.write_all(&body).await;
        };
        let (_, answer) = tokio::join!(send, async {
            // The answer comes once the first megabyte is in; the sender goes on meanwhile.
            let mut whole = Vec::new();
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut whole).await;
            whole
        });
        let text = String::from_utf8_lossy(&answer);
        assert!(text.contains("413"), "{path}: {text}");
        assert!(text.to_ascii_lowercase().contains("connection: close"), "{path}: {text}");
        let json_start = text.find('{').expect("a JSON body");
        let v: Value = serde_json::from_str(&text[json_start..]).expect("the whole body arrived");
        assert_eq!(v["status"], 413, "{path}");
    }
}

#[tokio::test]
async fn a_connection_carries_its_share_of_requests_then_is_closed() {
    let app = TestApp::spawn_with(|s| s.limits.max_requests_per_connection = 3).await;
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    for n in 1..=3 {
        s.write_all(&head("GET", "/health", &[], 0)).await.unwrap();
        let a = read_answer(&mut s, Duration::from_secs(5)).await.unwrap();
        assert_eq!(a.closes(), n == 3, "request {n}");
    }
    assert!(closed_within(&mut s, Duration::from_secs(5)).await);
}

/// Every POST route of both faces but the TapTalk Server API's (`SERVER_ROUTES`), as the SDKs
/// and backends call them.
const ROUTES: &[&str] = &[
    "/v1/auth/access_token/request",
    "/v1/auth/access_token/refresh",
    "/v1/client/project_configs",
    "/v1/client/push_notification/update",
    "/v1/client/user/get_by_id",
    "/v1/client/user/get_by_xcuserid",
    "/v1/client/user/get_by_username",
    "/v1/client/user/get_all_by_ids",
    "/v1/client/contact/list",
    "/v1/client/contact/add",
    "/v1/client/contact/add_by_phones",
    "/v1/client/contact/remove",
    "/v1/client/contact/block",
    "/v1/client/contact/unblock",
    "/v1/client/contact/get_blocked_list",
    "/v1/client/contact/get_blocked_user_ids",
    "/v1/client/room/create",
    "/v1/client/room/get",
    "/v1/client/room/get_by_xc_room_id",
    "/v1/client/room/update",
    "/v1/client/room/delete",
    "/v1/client/room/leave",
    "/v1/client/room/participants/add",
    "/v1/client/room/participants/remove",
    "/v1/client/room/admins/promote",
    "/v1/client/room/admins/demote",
    "/v1/chat/message/room_list_and_unread",
    "/v1/chat/message/new_and_updated",
    "/v1/chat/message/list_by_room/before",
    "/v1/chat/message/list_by_room/after",
    "/v1/chat/message/feedback/delivered",
    "/v1/chat/message/feedback/read",
    "/v1/chat/message/delete",
    "/v1/chat/message/send/custom",
    "/v1/chat/file/upload",
    "/v1/chat/file/download",
    "/api/v2.1/rest/login_or_register",
    "/api/v2.1/rest/user_profile",
    "/api/v2.1/rest/get_user_token",
    "/api/v2.1/rest/reset_user_token",
    "/api/v2.1/rest/get_user_list",
    "/api/v2.1/rest/deactivate_users",
    "/api/v2.1/rest/reactivate_users",
    "/api/v2.1/rest/create_room",
    "/api/v2.1/rest/update_room",
    "/api/v2.1/rest/get_or_create_room_with_target",
    "/api/v2.1/rest/get_or_create_channel",
    "/api/v2.1/rest/get_rooms_info",
    "/api/v2.1/rest/add_room_participants",
    "/api/v2.1/rest/remove_room_participants",
    "/api/v2.1/rest/get_room_participants",
    "/api/v2.1/rest/get_user_rooms",
    "/api/v2.1/rest/get_unread_count",
    "/api/v2.1/rest/post_comment",
    "/api/v2.1/rest/load_comments",
    "/api/v2.1/rest/post_system_event_message",
];

/// Every POST route of both faces.
fn all_routes() -> impl Iterator<Item = &'static &'static str> {
    ROUTES.iter().chain(SERVER_ROUTES)
}

/// The headers a caller of `path` sends: the client's token, the backend's key or none.
fn credentials(app: &TestApp, s: &Session, path: &str, signed: bool) -> Vec<(String, String)> {
    if !signed {
        return vec![];
    }
    if path.starts_with("/api/") {
        return vec![
            ("QISCUS-SDK-APP-ID".into(), app.creds.qiscus_app_id.clone()),
            ("QISCUS-SDK-SECRET".into(), app.creds.qiscus_secret.clone()),
        ];
    }
    if path.starts_with("/v1/server/") {
        return vec![("Server-Key".into(), app.creds.server_key.clone())];
    }
    vec![
        ("App-Key".into(), app.creds.app_key.clone()),
        ("Authorization".into(), format!("Bearer {}", s.access)),
        ("Device-Identifier".into(), s.device.clone()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_whole_whatever_body_it_ignores_on_fresh_and_kept_alive_connections() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    for n in 0..40 {
        let xc = format!("room-{n:02}");
        let name = format!("A room with a long name so that the list is large {n:02}{}", "x".repeat(40));
        app.server_ok(
            "/v1/server/room/create_or_update",
            json!({"xcRoomID": xc, "name": name, "type": 2, "participantXCUserIDs": ["alice"]}),
        )
        .await;
        app.server_ok(
            "/v1/server/message/send/custom",
            json!({"xcRoomID": xc, "messageType": 1001, "body": "x".repeat(400), "senderXCUserID": "alice"}),
        )
        .await;
    }
    let room_list = app.client_ok(&alice, "/v1/chat/message/room_list_and_unread", json!({})).await;
    assert!(room_list.to_string().len() > 20_000, "the room list is large");
    // What the web SDK sends (`""`), what Android sends (`{"userID": ...}`), and the
    // body arriving in a second packet, after the handler could have answered.
    let bodies = [r#""""#.to_string(), json!({"userID": alice.user_id}).to_string()];
    let pause = Duration::from_millis(20);
    let addr = app.addr;
    let (app, alice) = (&app, &alice);

    let fresh = all_routes()
        .flat_map(|path| bodies.iter().flat_map(move |body| [true, false].map(move |signed| (path, body, signed))));
    let failures: Vec<String> = join_all(fresh.map(move |(path, body, signed)| {
        let headers = credentials(app, alice, path, signed);
        async move {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let mut s = TcpStream::connect(addr).await.unwrap();
            let head = head("POST", path, &headers, body.len());
            send_split(&mut s, &head, body.as_bytes(), pause).await.map_err(|e| format!("{path}: {e}"))?;
            let a = read_answer(&mut s, Duration::from_secs(10)).await.map_err(|e| format!("{path}: {e}"))?;
            if a.json().is_null() {
                return Err(format!("{path}: not JSON: {}", String::from_utf8_lossy(&a.body)));
            }
            Ok(())
        }
    }))
    .await
    .into_iter()
    .filter_map(Result::err)
    .collect();
    assert!(failures.is_empty(), "fresh connections lost answers: {failures:#?}");

    let failures: Vec<String> = join_all(all_routes().map(|path| {
        let signed = credentials(app, alice, path, true);
        let bodies = &bodies;
        async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            for round in 0..2 {
                for body in bodies {
                    for headers in [&signed, &vec![]] {
                        let headers: Vec<(&str, &str)> =
                            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                        let head = head("POST", path, &headers, body.len());
                        send_split(&mut s, &head, body.as_bytes(), pause)
                            .await
                            .map_err(|e| format!("{path} round {round}: {e}"))?;
                        let a = read_answer(&mut s, Duration::from_secs(10))
                            .await
                            .map_err(|e| format!("{path} round {round}: {e}"))?;
                        if a.json().is_null() {
                            return Err(format!("{path}: not JSON: {}", String::from_utf8_lossy(&a.body)));
                        }
                        if a.closes() {
                            // Only an upload, whose body its handler streams, may be refused
                            // before it is read; then the connection closes instead.
                            if !path.ends_with("/file/upload") {
                                return Err(format!("{path}: {} closes the connection", a.status));
                            }
                            s = TcpStream::connect(addr).await.unwrap();
                        }
                    }
                }
            }
            Ok(())
        }
    }))
    .await
    .into_iter()
    .filter_map(Result::err)
    .collect();
    assert!(failures.is_empty(), "kept-alive connections lost answers: {failures:#?}");
}
