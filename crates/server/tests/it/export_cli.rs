//! `palaver export` and `palaver import`, run as processes: an app moved to another server
//! serves the same room lists and histories, importing twice changes nothing, and a bad file
//! is refused whole.

use crate::db_cli::{palaver, populate, qiscus};
use crate::process_support::{Node, create_app};
use crate::support::Endpoint;
use serde_json::{Value, json};
use std::path::Path;

/// A Qiscus client API call as `token`'s user, asserting success.
async fn sdk(on: &Endpoint, action: &str, token: &str, params: Value) -> Value {
    let headers = [
        ("QISCUS-SDK-APP-ID", on.creds.qiscus_app_id.as_str()),
        ("QISCUS-SDK-TOKEN", token),
        ("Content-Type", "application/json"),
    ];
    let a = on.request("POST", &format!("/api/v2/sdk/{action}"), &headers, params.to_string()).await;
    assert_eq!(a.http, 200, "{action}: {}", a.body);
    a.body["results"].clone()
}

/// The shared population, plus a group without an external id with a Qiscus system event, a
/// second personal room, a deleted message and messages read by one user.
async fn populate_more(on: &Endpoint) {
    populate(on).await;
    let headers = [
        ("QISCUS-SDK-APP-ID", on.creds.qiscus_app_id.as_str()),
        ("QISCUS-SDK-SECRET", on.creds.qiscus_secret.as_str()),
        ("Content-Type", "application/json"),
    ];
    let body = json!({"room_name": "Unnamed", "creator": "cy", "participants": ["cy", "ann"]});
    let a = on.request("POST", "/api/v2.1/rest/create_room", &headers, body.to_string()).await;
    assert_eq!(a.http, 200, "{}", a.body);
    let unnamed = a.body["results"]["room"]["room_id"].as_str().unwrap().to_string();
    for (i, from) in ["cy", "ann", "cy"].iter().enumerate() {
        let body = json!({"user_id": from, "room_id": unnamed, "type": "text", "message": format!("u{i}")});
        let a = on.request("POST", "/api/v2.1/rest/post_comment", &headers, body.to_string()).await;
        assert_eq!(a.http, 200, "{}", a.body);
    }
    let event = json!({"system_event_type": "add_member", "room_id": unnamed, "subject_user_id": "cy",
        "object_user_id": ["ann"]});
    let a = on.request("POST", "/api/v2.1/rest/post_system_event_message", &headers, event.to_string()).await;
    assert_eq!(a.http, 200, "{}", a.body);
    let dm = json!({"messageType": 1001, "body": "hi cy", "senderXCUserID": "cy", "recipientXCUserID": "bob"});
    on.server_ok("/v1/server/message/send/custom", dm).await;

    let token = |user: &'static str| async move {
        qiscus(on, &format!("get_user_token?user_id={user}")).await["results"]["token"].as_str().unwrap().to_string()
    };
    let (ann, bob) = (token("ann").await, token("bob").await);
    let (group, tenth) = find_comment(on, "ann", "g9").await;
    sdk(on, "update_comment_status", &ann, json!({"room_id": group, "last_comment_read_id": tenth["id"]})).await;
    let (_, mine) = find_comment(on, "bob", "m3").await;
    sdk(on, "delete_messages", &bob, json!({"unique_ids": [mine["unique_temp_id"]]})).await;
}

/// The room of `user` holding the comment with this text, and the comment.
async fn find_comment(on: &Endpoint, user: &str, text: &str) -> (String, Value) {
    for (room, _) in rooms_of(on, user).await {
        let comments = qiscus(on, &format!("load_comments?room_id={room}&limit=100")).await;
        let list = comments["results"]["comments"].as_array().unwrap();
        if let Some(c) = list.iter().find(|c| c["message"] == text) {
            return (room, c.clone());
        }
    }
    panic!("no comment {text:?} in the rooms of {user}")
}

/// Each room of `user` as Qiscus lists it: id and name, most recent first.
async fn rooms_of(on: &Endpoint, user: &str) -> Vec<(String, String)> {
    let list = qiscus(on, &format!("get_user_rooms?user_id={user}")).await;
    let rooms = list["results"]["rooms"].as_array().unwrap_or_else(|| panic!("{list}"));
    rooms
        .iter()
        .map(|r| (r["room_id"].as_str().unwrap().to_string(), r["room_name"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// What every user sees, without the ids that differ between servers: TapTalk room lists
/// (room, unread count, last message's local id and time) and Qiscus histories.
async fn answers(on: &Endpoint) -> Vec<Value> {
    let mut out = Vec::new();
    for xc in ["ann", "bob", "cy"] {
        let list = on.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": xc})).await;
        let rooms = list["rooms"].as_array().unwrap_or_else(|| panic!("{list}"));
        out.extend(rooms.iter().map(|r| {
            let m = &r["lastMessage"];
            json!({"user": xc, "unread": r["unreadCount"], "localID": m["localID"], "created": m["created"],
                "room": m["room"]["xcRoomID"], "name": m["room"]["name"], "type": m["room"]["type"],
                "sender": m["user"]["xcUserID"], "deleted": m["isDeleted"]})
        }));
        for (room, name) in rooms_of(on, xc).await {
            let comments = qiscus(on, &format!("load_comments?room_id={room}&limit=100")).await;
            let texts: Vec<Value> = comments["results"]["comments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| json!([c["message"], c["type"], c["user"]["user_id"], c["unique_temp_id"], c["timestamp"]]))
                .collect();
            out.push(json!({"user": xc, "room": name, "comments": texts}));
        }
    }
    out
}

fn run(args: &[&str], data: &str) -> std::process::Output {
    palaver().args(args).args(["--data-dir", data]).output().unwrap()
}

fn import(file: &Path, data: &str) -> Value {
    let out = palaver().args(["import", "--json", "--app", "tested", "--data-dir", data, "--in"]).arg(file).output();
    let out = out.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn an_app_moved_to_another_server_serves_the_same_answers_and_importing_twice_changes_nothing() {
    let dir_a = tempfile::tempdir().unwrap();
    let data_a = dir_a.path().display().to_string();
    let creds_a = create_app(&["--data-dir", &data_a]);
    let system_a = format!("system@{}", creds_a.qiscus_app_id);
    let node_a = Node::start(&["--data-dir".to_string(), data_a.clone()]);
    let on_a = Endpoint::new(node_a.addr, creds_a);
    populate_more(&on_a).await;
    let before = answers(&on_a).await;
    assert!(serde_json::to_string(&before).unwrap().contains(&system_a), "{before:?}");
    assert!(before.iter().any(|v| v["unread"].as_i64().is_some_and(|n| n > 0 && n < 30)), "{before:?}");

    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("app.jsonl");
    let out = run(&["export", "--app", "tested", "--out", file.to_str().unwrap()], &data_a);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!((first["kind"].as_str(), first["version"].as_i64()), (Some("palaver-export"), Some(1)), "{first}");
    assert!(!run(&["export", "--app", "tested", "--out", file.to_str().unwrap()], &data_a).status.success());

    let dir_b = tempfile::tempdir().unwrap();
    let data_b = dir_b.path().display().to_string();
    let refused = palaver().args(["import", "--app", "tested", "--data-dir", &data_b, "--in"]).arg(&file).output();
    assert!(!refused.unwrap().status.success(), "the target app must exist");
    let creds_b = create_app(&["--data-dir", &data_b]);
    let system_b = format!("system@{}", creds_b.qiscus_app_id);
    let counts = import(&file, &data_b);
    assert_eq!(counts["new"]["messages"], 65, "{counts}");
    // The system user of A's system events is B's system user.
    assert_eq!((counts["new"]["users"].as_i64(), counts["new"]["contacts"].as_i64()), (Some(4), Some(1)), "{counts}");

    let node_b = Node::start(&["--data-dir".to_string(), data_b.clone()]);
    let on_b = Endpoint::new(node_b.addr, creds_b);
    let before: Value =
        serde_json::from_str(&serde_json::to_string(&before).unwrap().replace(&system_a, &system_b)).unwrap();
    let before = before.as_array().unwrap().clone();
    assert_eq!(answers(&on_b).await, before);

    let again = import(&file, &data_b);
    assert_eq!(
        again["new"],
        json!({"users": 0, "rooms": 0, "messages": 0, "participants": 0, "contacts": 0, "blocks": 0})
    );
    assert_eq!(answers(&on_b).await, before, "a second import changes nothing");

    // Re-exported from B, every line but the header is the same, rooms' references aside.
    let file_b = files.path().join("b.jsonl");
    assert!(run(&["export", "--app", "tested", "--out", file_b.to_str().unwrap()], &data_b).status.success());
    let count = |t: &str, kind: &str| t.lines().filter(|l| l.contains(&format!("\"kind\":\"{kind}\""))).count();
    let text_b = std::fs::read_to_string(&file_b).unwrap();
    for kind in ["user", "room", "message", "participant", "contact"] {
        assert_eq!(count(&text, kind), count(&text_b, kind), "{kind}");
    }
    let lines = |t: &str| -> Vec<Value> {
        let mut all: Vec<Value> = t.lines().skip(1).map(|l| serde_json::from_str(l).unwrap()).collect();
        all.iter_mut().for_each(|v| {
            let v = v.as_object_mut().unwrap();
            v.remove("ref");
            v.remove("room");
        });
        all
    };
    assert_eq!(lines(&text.replace(&system_a, &system_b)), lines(&text_b));
    assert!(text_b.contains(r#""kind":"contact","from":"ann","to":"cy""#), "{text_b}");
}

#[tokio::test]
async fn a_file_with_an_unknown_kind_is_refused_naming_the_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    create_app(&["--data-dir", &data]);
    let file = dir.path().join("bad.jsonl");
    let lines = [
        json!({"kind": "palaver-export", "version": 1, "app": "x", "exported_at": 1}),
        json!({"kind": "user", "id": "ann", "fullname": "Ann", "active": true, "created": 1, "updated": 1}),
        json!({"kind": "gossip", "about": "ann"}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, &text).unwrap();
    let out = palaver().args(["import", "--app", "tested", "--data-dir", &data, "--in"]).arg(&file).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("gossip"), "{err}");
    // Through standard input too (checked batch by batch), and the user was never stored.
    let mut child = palaver()
        .args(["import", "--app", "tested", "--data-dir", &data])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
    let users = run(&["user", "list", "--json", "--app", "tested"], &data);
    let users: Value = serde_json::from_slice(&users.stdout).unwrap();
    assert_eq!(users["total"], 0, "{users}");

    let wrong = json!({"kind": "palaver-export", "version": 2, "app": "x", "exported_at": 1});
    std::fs::write(&file, format!("{wrong}\n")).unwrap();
    let out = palaver().args(["import", "--app", "tested", "--data-dir", &data, "--in"]).arg(&file).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: version 2"), "{out:?}");
}
