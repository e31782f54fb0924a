//! TapTalk scheduled messages (`chat/scheduled_message/*`): the owner's list and its edits,
//! refusals, `room/scheduleMessage` events, and the server sending each message once at its
//! time: on a live server, after a restart past the time, and with two nodes of a cluster.

use crate::client_support::{Session, Ws, body_of, personal, sdk_message};
use crate::process_support::{Node, create_app};
use crate::support::{Endpoint, TestApp, assert_error};
use futures_util::StreamExt;
use palaver_domain::time::now_ms;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn lid(tag: &str) -> String {
    format!("sched-{tag:0>26}")
}

async fn schedule(on: &Endpoint, s: &Session, room: &str, text: &str, tag: &str, at: i64) -> Value {
    let message = sdk_message(room, 1, text, &lid(tag));
    on.client_ok(s, "/v1/chat/scheduled_message/create", json!({"message": message, "scheduledTime": at})).await
}

async fn list(on: &Endpoint, s: &Session, room: &str) -> Vec<Value> {
    let data = on.client_ok(s, "/v1/chat/scheduled_message/get_scheduled_list", json!({"roomID": room})).await;
    data["items"].as_array().unwrap().clone()
}

/// The messages of a room with this client id, as `s` sees its history (none while a
/// personal room does not exist).
async fn stored(on: &Endpoint, s: &Session, room: &str, tag: &str) -> Vec<Value> {
    let env = on
        .client(s, "/v1/chat/message/list_by_room/before", json!({"roomID": room, "maxCreated": 0, "limit": 100}))
        .await;
    let Some(messages) = env["data"]["messages"].as_array() else {
        assert_eq!(env["error"]["code"], "40401", "{env}");
        return Vec::new();
    };
    messages.iter().filter(|m| m["localID"] == lid(tag).as_str()).cloned().collect()
}

/// A socket read event by event with the top-level keys kept (`isScheduled`), which
/// [`Ws`] drops.
struct Raw {
    ws: Ws,
    pending: VecDeque<Value>,
}

impl Raw {
    async fn open(on: &Endpoint, s: &Session) -> Raw {
        Raw { ws: on.ws(s).await, pending: VecDeque::new() }
    }

    /// The names of every event arriving within `wait`.
    async fn names_within(&mut self, wait: Duration) -> Vec<String> {
        let mut names: Vec<String> =
            self.pending.drain(..).map(|v| v["eventName"].as_str().unwrap().to_string()).collect();
        while let Some(v) = self.next("", wait).await {
            names.push(v["eventName"].as_str().unwrap().to_string());
        }
        names.extend(self.pending.drain(..).map(|v| v["eventName"].as_str().unwrap().to_string()));
        names
    }

    /// The next whole event named `name` (any with `""`) within `wait`, skipping others.
    async fn next(&mut self, name: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(v) = self.pending.pop_front() {
                if name.is_empty() || v["eventName"] == name {
                    return Some(v);
                }
            }
            let msg = tokio::time::timeout_at(deadline, self.ws.stream.next()).await.ok()??;
            if let Ok(Message::Binary(bytes)) = msg {
                for line in std::str::from_utf8(&bytes).unwrap().split('\n') {
                    self.pending.push_back(serde_json::from_str(line).unwrap());
                }
            }
        }
    }
}

#[tokio::test]
async fn the_owner_creates_lists_edits_and_deletes_scheduled_messages_and_others_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    // A personal room no message has created yet.
    let room = personal(&alice.user_id, &bob.user_id);
    let mut alice_ws = app.ws(&alice).await;
    let hour = 3_600_000;

    let made = schedule(&app, &alice, &room, "later", "a1", now_ms() + 2 * hour).await;
    assert_eq!(made["success"], true);
    let item = &made["createdItem"];
    let first = item["id"].as_i64().expect("an integer id");
    assert!(item["createdTime"].as_i64().unwrap() > 0 && item["updatedTime"].as_i64().unwrap() > 0);
    assert_eq!(body_of(&item["message"]), "later");
    assert_eq!(item["message"]["room"]["roomID"], room.as_str());
    assert_eq!(item["message"]["room"]["name"], "Bob", "a personal room is named after the partner");
    let event = alice_ws.expect("room/scheduleMessage").await;
    assert_eq!(event["room"]["roomID"], room.as_str());
    assert!(event["timestamp"].as_i64().unwrap() > 0);
    // Read back from the log (as a node catching up does), the change names the room to be.
    let me = palaver_domain::UserId(alice.user_id.parse().unwrap());
    let changes = app.core.changes_of_user(app.core_app(), me, palaver_domain::ChangeId(0), 1000).await.unwrap();
    let read_back = changes.iter().find_map(|c| match &c.kind {
        palaver_domain::ChangeKind::ScheduleChanged { user, room, partner } => {
            Some((*user, room.clone(), partner.clone()))
        }
        _ => None,
    });
    let (user, logged_room, partner) = read_back.expect("a schedule change in the log");
    assert_eq!((user, logged_room.id.0), (me, 0));
    assert_eq!(palaver_taptalk::wire::room_id(&logged_room), room);
    assert_eq!(partner.map(|p| p.fullname), Some("Bob".to_string()));
    let bob_id = palaver_domain::UserId(bob.user_id.parse().unwrap());
    let bobs = app.core.changes_of_user(app.core_app(), bob_id, palaver_domain::ChangeId(0), 1000).await.unwrap();
    assert!(!bobs.iter().any(|c| c.name() == "schedule.changed"), "only the scheduler hears of it");

    let second =
        schedule(&app, &alice, &room, "sooner", "a2", now_ms() + 3 * hour).await["createdItem"]["id"].as_i64().unwrap();
    alice_ws.expect("room/scheduleMessage").await;
    let ids = |items: &[Value]| items.iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(&list(&app, &alice, &room).await), vec![first, second]);

    // Moving the second before the first reorders the list.
    let at = now_ms() + hour;
    let moved = json!({"id": second, "scheduledTime": at});
    let done = app.client_ok(&alice, "/v1/chat/scheduled_message/edit_scheduled_time", moved).await;
    assert_eq!(done["success"], true);
    alice_ws.expect("room/scheduleMessage").await;
    let items = list(&app, &alice, &room).await;
    assert_eq!(ids(&items), vec![second, first]);
    assert_eq!(items[0]["scheduledTime"], at);

    let edited = json!({"id": first, "message": sdk_message(&room, 1, "edited", &lid("a1e"))});
    app.client_ok(&alice, "/v1/chat/scheduled_message/edit_content", edited).await;
    alice_ws.expect("room/scheduleMessage").await;
    assert_eq!(body_of(&list(&app, &alice, &room).await[1]["message"]), "edited");

    // Others see nothing of it and change nothing.
    let e = app.client(&carol, "/v1/chat/scheduled_message/get_scheduled_list", json!({"roomID": room})).await;
    assert_eq!((e["status"].as_i64(), e["error"]["code"].as_str()), (Some(403), Some("40301")), "{e}");
    let bobs = list(&app, &bob, &room).await;
    assert!(bobs.is_empty(), "bob sees only his own: {bobs:?}");
    let e = app
        .client(&carol, "/v1/chat/scheduled_message/edit_scheduled_time", json!({"id": first, "scheduledTime": at}))
        .await;
    assert_eq!(e["error"]["code"], "40401", "{e}");
    let e = app
        .client(
            &bob,
            "/v1/chat/scheduled_message/edit_content",
            json!({"id": first, "message": sdk_message(&room, 1, "x", &lid("b1"))}),
        )
        .await;
    assert_eq!(e["error"]["code"], "40401", "{e}");
    let theirs =
        app.client_ok(&bob, "/v1/chat/scheduled_message/delete", json!({"ids": [first], "roomID": room})).await;
    assert_eq!(theirs["ids"], json!([]));
    let theirs =
        app.client_ok(&bob, "/v1/chat/scheduled_message/send_now", json!({"ids": [first], "roomID": room})).await;
    assert_eq!(theirs["ids"], json!([]));
    let e = app
        .client(
            &carol,
            "/v1/chat/scheduled_message/create",
            json!({"message": sdk_message(&room, 1, "x", &lid("c1")), "scheduledTime": at}),
        )
        .await;
    assert_eq!(e["error"]["code"], "40301", "{e}");
    let e = app
        .client(
            &alice,
            "/v1/chat/scheduled_message/create",
            json!({"message": sdk_message("99999", 2, "x", &lid("c2")), "scheduledTime": at}),
        )
        .await;
    assert_eq!(e["error"]["code"], "40401", "{e}");

    // Bad parameters.
    let e = app.client(&alice, "/v1/chat/scheduled_message/create", json!({"scheduledTime": at})).await;
    assert_error(&e, 400, "40002", "Param 'message' is required", "message");
    let mut no_local_id = sdk_message(&room, 1, "x", &lid("c3"));
    no_local_id.as_object_mut().unwrap().remove("localID");
    let e = app
        .client(&alice, "/v1/chat/scheduled_message/create", json!({"message": no_local_id, "scheduledTime": at}))
        .await;
    assert_eq!((e["error"]["code"].as_str(), e["error"]["field"].as_str()), (Some("40002"), Some("message")), "{e}");
    let mut system = sdk_message(&room, 1, "x", &lid("c4"));
    system["type"] = json!(9001);
    let e =
        app.client(&alice, "/v1/chat/scheduled_message/create", json!({"message": system, "scheduledTime": at})).await;
    assert_eq!(e["error"]["field"], "message", "{e}");
    let e = app
        .client(&alice, "/v1/chat/scheduled_message/create", json!({"message": sdk_message(&room, 1, "x", &lid("c5"))}))
        .await;
    assert_eq!(
        (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (Some("40002"), Some("scheduledTime")),
        "{e}"
    );
    let e = app.client(&alice, "/v1/chat/scheduled_message/delete", json!({"ids": ["x"], "roomID": room})).await;
    assert_eq!((e["error"]["code"].as_str(), e["error"]["field"].as_str()), (Some("40002"), Some("ids")), "{e}");
    let e = app.client(&alice, "/v1/chat/scheduled_message/send_now", json!({"roomID": room})).await;
    assert_eq!(e["error"]["field"], "ids", "{e}");
    let e = app
        .client(&alice, "/v1/chat/scheduled_message/edit_scheduled_time", json!({"id": "one", "scheduledTime": at}))
        .await;
    assert_eq!(e["error"]["field"], "id", "{e}");
    let e = app
        .client(&alice, "/v1/chat/scheduled_message/edit_scheduled_time", json!({"id": 987654, "scheduledTime": at}))
        .await;
    assert_eq!(e["error"]["code"], "40401", "{e}");
    assert_eq!(ids(&list(&app, &alice, &room).await), vec![second, first], "refusals wrote nothing");
    alice_ws.expect_none("room/scheduleMessage", Duration::from_millis(300)).await;

    // Deleting and sending now answer the ids they acted on.
    let gone = app
        .client_ok(&alice, "/v1/chat/scheduled_message/delete", json!({"ids": [first, 424242], "roomID": room}))
        .await;
    assert_eq!(gone["ids"], json!([first]));
    alice_ws.expect("room/scheduleMessage").await;
    let mut bob_ws = Raw::open(&app, &bob).await;
    let sent = app
        .client_ok(&alice, "/v1/chat/scheduled_message/send_now", json!({"ids": [second, first], "roomID": room}))
        .await;
    assert_eq!(sent["ids"], json!([second]));
    let frame = bob_ws.next("chat/sendMessage", Duration::from_secs(5)).await.expect("bob hears it");
    assert_eq!(frame["isScheduled"], true);
    assert_eq!(body_of(&frame["data"]), "sooner");
    assert!(list(&app, &alice, &room).await.is_empty());
    assert_eq!(stored(&app, &bob, &room, "a2").await.len(), 1);
    assert!(stored(&app, &bob, &room, "a1e").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_message_scheduled_shortly_ahead_reaches_the_recipient_once_at_its_time() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&alice.user_id, &bob.user_id);
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = Raw::open(&app, &bob).await;

    let at = now_ms() + 1_500;
    schedule(&app, &alice, &room, "on time", "t1", at).await;
    alice_ws.expect("room/scheduleMessage").await;
    let frame = bob_ws.next("chat/sendMessage", Duration::from_secs(6)).await.expect("sent at its time");
    let arrived = now_ms();
    assert!(arrived >= at, "not before its time ({arrived} < {at})");
    assert_eq!(frame["isScheduled"], true);
    let m = &frame["data"];
    assert_eq!(body_of(m), "on time");
    assert_eq!(m["user"]["userID"], alice.user_id.as_str());
    assert!(m["created"].as_i64().unwrap() >= at, "created when it was sent");
    // The sender's devices hear the message and that the list changed.
    assert_eq!(body_of(&alice_ws.expect("chat/sendMessage").await), "on time");
    assert_eq!(alice_ws.expect("room/scheduleMessage").await["room"]["roomID"], room.as_str());
    let later = bob_ws.names_within(Duration::from_secs(2)).await;
    assert!(!later.iter().any(|n| n == "chat/sendMessage" || n == "room/scheduleMessage"), "sent once: {later:?}");
    assert_eq!(stored(&app, &bob, &room, "t1").await.len(), 1);
    assert!(list(&app, &alice, &room).await.is_empty());

    // A time already past sends at once.
    schedule(&app, &alice, &room, "overdue", "t2", now_ms() - 60_000).await;
    let frame = bob_ws.next("chat/sendMessage", Duration::from_secs(3)).await.expect("sent at once");
    assert_eq!(body_of(&frame["data"]), "overdue");
    app.stop().await;
}

#[tokio::test]
async fn a_message_its_sender_can_no_longer_send_is_dropped_not_sent() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let room = personal(&alice.user_id, &bob.user_id);
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = Raw::open(&app, &bob).await;

    let id =
        schedule(&app, &alice, &room, "unwanted", "d1", now_ms() + 1_000).await["createdItem"]["id"].as_i64().unwrap();
    alice_ws.expect("room/scheduleMessage").await;
    app.client_ok(&bob, "/v1/client/contact/block", json!({"userID": alice.user_id})).await;
    // The drop changes alice's list.
    alice_ws.expect("room/scheduleMessage").await;
    assert!(bob_ws.next("chat/sendMessage", Duration::from_millis(1_500)).await.is_none());
    assert!(list(&app, &alice, &room).await.is_empty(), "dropped");
    assert!(stored(&app, &bob, &room, "d1").await.is_empty(), "nothing was sent");
    // The item is kept as dropped, with the reason.
    let (core_app, store) = (app.core_app(), app.core.store().clone());
    let row = store.read(move |c| palaver_store::repo::scheduled::get(c, core_app, id)).await.unwrap().unwrap();
    assert_eq!(row.status, palaver_store::repo::scheduled::DROPPED);
    assert!(row.reason.contains("blocked"), "{}", row.reason);
    app.stop().await;
}

#[tokio::test]
async fn a_message_due_while_the_server_is_down_is_sent_once_when_it_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let creds = create_app(&["--data-dir", &data_dir]);
    let args = ["--data-dir".to_string(), data_dir];
    let mut node = Node::start(&args);
    let on = Endpoint::new(node.addr, creds.clone());
    let alice = on.login("alice", "Alice").await;
    let bob = on.login("bob", "Bob").await;
    let room = personal(&alice.user_id, &bob.user_id);
    let at = now_ms() + 1_500;
    schedule(&on, &alice, &room, "while down", "k1", at).await;
    node.kill();
    tokio::time::sleep(Duration::from_millis((at - now_ms()).max(0) as u64 + 1_000)).await;

    let node = Node::start(&args);
    let on = Endpoint::new(node.addr, creds);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while stored(&on, &bob, &room, "k1").await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "sent after the start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let sent = stored(&on, &bob, &room, "k1").await;
    assert_eq!(sent.len(), 1, "once: {sent:?}");
    assert_eq!(body_of(&sent[0]), "while down");
    assert!(sent[0]["created"].as_i64().unwrap() > at, "created when it was really sent");
    assert!(list(&on, &alice, &room).await.is_empty());
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn two_nodes_send_each_due_message_once() {
    let (_, nats) = crate::cluster::cluster_env();
    let (args, creds, _) = crate::cluster::cluster(&nats).await;
    let (a, b) = (Node::start(&args), Node::start(&args));
    let (on_a, on_b) = (Endpoint::new(a.addr, creds.clone()), Endpoint::new(b.addr, creds));
    let alice = on_a.login("alice", "Alice").await;
    let bob = on_b.login("bob", "Bob").await;
    let room = personal(&alice.user_id, &bob.user_id);
    let mut bob_ws = Raw::open(&on_b, &bob).await;
    // Both nodes' loops find these due in the same moment.
    let at = now_ms() + 1_500;
    let n = 20;
    for i in 0..n {
        schedule(&on_a, &alice, &room, &format!("due {i}"), &format!("n{i}"), at).await;
    }
    let mut heard = Vec::new();
    while let Some(frame) = bob_ws.next("chat/sendMessage", Duration::from_secs(4)).await {
        heard.push(frame["data"]["localID"].as_str().unwrap().to_string());
    }
    heard.sort();
    let expected: Vec<String> =
        (0..n).map(|i| lid(&format!("n{i}"))).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    assert_eq!(heard, expected, "each heard once");
    for i in 0..n {
        assert_eq!(stored(&on_b, &bob, &room, &format!("n{i}")).await.len(), 1, "stored once");
    }
    assert!(list(&on_a, &alice, &room).await.is_empty());
}
