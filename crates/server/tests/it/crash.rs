//! A single node on the embedded SQLite default, killed with SIGKILL while messages are in
//! flight: every acknowledged message survives exactly once, and the client's resends after
//! the restart (the SDKs resend what was not acknowledged) duplicate nothing.

use crate::client_support::{Ws, personal, sdk_message};
use crate::process_support::{Node, create_app};
use crate::support::Endpoint;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

fn local_id(i: usize) -> String {
    format!("crash-{i:020}")
}

/// Sends messages `from..to` in chunks, collecting the local ids acknowledged so far (the
/// echo of a stored message), until `enough` are acknowledged or all are sent.
async fn send_reading_acks(
    ws: &mut Ws,
    room: &str,
    from: usize,
    to: usize,
    enough: usize,
) -> (usize, BTreeSet<String>) {
    let mut acked = BTreeSet::new();
    let mut sent = from;
    while acked.len() < enough && sent < to {
        let chunk = sent..(sent + 50).min(to);
        for i in chunk.clone() {
            ws.send("chat/sendMessage", sdk_message(room, 1, &format!("crash {i}"), &local_id(i))).await;
        }
        sent = chunk.end;
        while let Some((name, data)) = ws.next_within(Duration::from_millis(2)).await {
            if name == "chat/sendMessage" && data["isFailedSend"] != true {
                acked.insert(data["localID"].as_str().unwrap().to_string());
            }
        }
    }
    (sent, acked)
}

/// How many times each `crash-` local id is stored, read from the database file itself.
async fn stored(db: std::path::PathBuf) -> BTreeMap<String, i64> {
    tokio::task::spawn_blocking(move || {
        let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let mut q = c
            .prepare("SELECT local_id, COUNT(*) FROM messages WHERE local_id LIKE 'crash-%' GROUP BY local_id")
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_killed_node_keeps_every_acknowledged_message_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let creds = create_app(&["--data-dir", &data_dir]);
    // One client sends and then resends over a thousand messages at full speed: far over the
    // per-user send limit, which is not what this test is about.
    let config = dir.path().join("palaver.toml");
    std::fs::write(&config, "[rate_limits]\nenabled = false\n").unwrap();
    let args = ["--data-dir".to_string(), data_dir.clone(), "--config".to_string(), config.display().to_string()];
    let mut node = Node::start(&args);
    let on = Endpoint::new(node.addr, creds.clone());
    let alice = on.login("alice", "Alice").await;
    let bob = on.login("bob", "Bob").await;
    let room = personal(&alice.user_id, &bob.user_id);

    let mut ws = on.ws(&alice).await;
    let (mut sent, acked) = send_reading_acks(&mut ws, &room, 0, 20_000, 500).await;
    // Another 2,000 written at once (far more than commit in the moment before the kill, even
    // on a loaded machine): the node dies with them partly committed, partly not.
    for i in sent..sent + 2000 {
        ws.send("chat/sendMessage", sdk_message(&room, 1, &format!("crash {i}"), &local_id(i))).await;
    }
    sent += 2000;
    tokio::time::sleep(Duration::from_millis(5)).await;
    node.kill();
    drop(ws);
    assert!(acked.len() >= 500, "only {} acknowledged", acked.len());

    let node = Node::start(&node.args.clone());
    let db = dir.path().join("palaver.db");
    let after_crash = stored(db.clone()).await;
    for id in &acked {
        assert_eq!(after_crash.get(id), Some(&1), "{id} was acknowledged, so it is stored once");
    }
    assert!(after_crash.values().all(|n| *n == 1), "nothing is stored twice");
    assert!(after_crash.len() < sent, "the node died before storing everything ({sent} sent)");

    // The client resends everything it sent; what was stored is answered, not stored again.
    let on = Endpoint::new(node.addr, creds);
    let mut ws = on.ws(&alice).await;
    let (_, mut resent) = send_reading_acks(&mut ws, &room, 0, sent, sent).await;
    while resent.len() < sent {
        let echo = ws.expect("chat/sendMessage").await;
        resent.insert(echo["localID"].as_str().unwrap().to_string());
    }
    let after_resend = stored(db).await;
    assert_eq!(after_resend.len(), sent, "every message sent is stored");
    assert!(after_resend.values().all(|n| *n == 1), "resending duplicates nothing");
    let rooms = on.server_ok("/v1/server/room/get_list_by_user", json!({"xcUserID": "bob"})).await;
    assert_eq!(rooms["rooms"][0]["unreadCount"], sent, "the restarted node serves them all");
}
