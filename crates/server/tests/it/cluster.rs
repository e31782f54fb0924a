//! Several nodes: `palaver serve` processes sharing one PostgreSQL database and NATS. Runs
//! when `PALAVER_TEST_DATABASE_URL` and `PALAVER_TEST_NATS_URL` are set (CI sets both).

use crate::client_support::{body_of, personal, sdk_message};
use crate::process_support::{Node, create_app};
use crate::support::AppCredentials;
use crate::support::{Endpoint, fresh_schema};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The PostgreSQL and NATS URLs the tests run against; a test asked for without them fails.
pub(crate) fn cluster_env() -> (String, String) {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| panic!("{name} is not set: this test needs PostgreSQL and NATS"))
    };
    (var("PALAVER_TEST_DATABASE_URL"), var("PALAVER_TEST_NATS_URL"))
}

/// A fresh schema, an app in it, and the arguments of a node using them.
pub(crate) async fn cluster(nats: &str) -> (Vec<String>, AppCredentials, String) {
    let (db, _) = cluster_env();
    let url = fresh_schema(db).await;
    let dir = tempfile::tempdir().unwrap().keep();
    let creds = create_app(&["--database-url", &url]);
    let args = vec![
        "--database-url".into(),
        url.clone(),
        "--nats-url".into(),
        nats.into(),
        "--data-dir".into(),
        dir.display().to_string(),
    ];
    (args, creds, url)
}

/// How many times each body of a `flow-` message is stored.
async fn stored_bodies(url: String) -> BTreeMap<String, i64> {
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query("SELECT body, COUNT(*) FROM messages WHERE body LIKE 'flow-%' GROUP BY body", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect()
    })
    .await
    .unwrap()
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn clients_on_two_nodes_exchange_messages_typing_and_receipts() {
    let (_, nats) = cluster_env();
    let (args, creds, _) = cluster(&nats).await;
    let (a, b) = (Node::start(&args), Node::start(&args));
    let (on_a, on_b) = (Endpoint::new(a.addr, creds.clone()), Endpoint::new(b.addr, creds));
    let alice = on_a.login("alice", "Alice").await;
    let bob = on_b.login("bob", "Bob").await;
    let mut alice_ws = on_a.ws(&alice).await;
    let mut bob_ws = on_b.ws(&bob).await;
    let room = personal(&alice.user_id, &bob.user_id);

    alice_ws.send("chat/sendMessage", sdk_message(&room, 1, "from node A", "local-cluster-000000000000000001")).await;
    let got = bob_ws.expect("chat/sendMessage").await;
    assert_eq!(body_of(&got), "from node A");
    assert_eq!(alice_ws.expect("chat/sendMessage").await["messageID"], got["messageID"]);

    bob_ws.send("chat/sendMessage", sdk_message(&room, 1, "from node B", "local-cluster-000000000000000002")).await;
    assert_eq!(body_of(&alice_ws.expect("chat/sendMessage").await), "from node B");

    bob_ws.send("chat/startTyping", json!({"roomID": room})).await;
    assert_eq!(alice_ws.expect("chat/startTyping").await["user"]["userID"], bob.user_id.as_str());

    on_b.client_ok(&bob, "/v1/chat/message/feedback/read", json!({"messageIDs": [got["messageID"]]})).await;
    let read = alice_ws.expect("chat/updateMessage").await;
    assert_eq!((read["messageID"].clone(), read["isRead"].clone()), (got["messageID"].clone(), json!(true)));

    // Presence crosses nodes too: node B knows alice is online on node A.
    let seen = on_b.client_ok(&bob, "/v1/client/user/get_by_id", json!({"id": alice.user_id})).await;
    assert_eq!(seen["user"]["isOnline"], true);
}

/// A Qiscus client API call (`/api/v2/sdk/<action>`, JSON) that must succeed; returns `results`.
async fn qiscus_sdk(
    on: &Endpoint,
    app_id: &str,
    action: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut headers = vec![("QISCUS-SDK-APP-ID", app_id), ("Content-Type", "application/json")];
    if let Some(t) = token {
        headers.push(("QISCUS-SDK-TOKEN", t));
    }
    let answer = on.request("POST", &format!("/api/v2/sdk/{action}"), &headers, body.to_string()).await;
    assert_eq!(answer.http, 200, "{action}: {}", answer.body);
    answer.body["results"].clone()
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn a_qiscus_client_on_one_node_hears_a_comment_posted_on_another_over_mqtt() {
    let (_, nats) = cluster_env();
    let (args, creds, _) = cluster(&nats).await;
    let (a, b) = (Node::start(&args), Node::start(&args));
    let app_id = creds.qiscus_app_id.clone();
    let (on_a, on_b) = (Endpoint::new(a.addr, creds.clone()), Endpoint::new(b.addr, creds));
    let login = |id: &str| json!({"email": id, "password": "k", "username": id});
    let alice = qiscus_sdk(&on_a, &app_id, "login_or_register", None, login("alice")).await;
    let bob = qiscus_sdk(&on_b, &app_id, "login_or_register", None, login("bob")).await;
    let (alice, bob) =
        (alice["user"]["token"].as_str().unwrap().to_string(), bob["user"]["token"].as_str().unwrap().to_string());

    // Bob listens on node B's MQTT; alice posts on node A.
    let mqtt = b.mqtt.expect("node B listens for MQTT");
    let (client, mut events) =
        rumqttc::AsyncClient::new(rumqttc::MqttOptions::new("bob-b", mqtt.ip().to_string(), mqtt.port()), 16);
    client.subscribe(format!("{bob}/c"), rumqttc::QoS::AtMostOnce).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut subscribed = false;
    while !subscribed && Instant::now() < deadline {
        if let Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(ack)))) =
            tokio::time::timeout(Duration::from_secs(1), events.poll()).await
        {
            assert!(matches!(ack.return_codes[0], rumqttc::SubscribeReasonCode::Success(_)));
            subscribed = true;
        }
    }
    assert!(subscribed, "bob's subscription on node B is granted");
    let room =
        qiscus_sdk(&on_a, &app_id, "get_or_create_room_with_target", Some(&alice), json!({"emails": "bob"})).await;
    let room = room["room"]["id"].clone();
    qiscus_sdk(&on_a, &app_id, "post_comment", Some(&alice), json!({"comment": "across nodes", "topic_id": room}))
        .await;
    loop {
        assert!(Instant::now() < deadline, "the comment reached node B's MQTT client in time");
        if let Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)))) =
            tokio::time::timeout(Duration::from_secs(1), events.poll()).await
        {
            let comment: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
            assert_eq!((p.topic, comment["message"].as_str()), (format!("{bob}/c"), Some("across nodes")));
            break;
        }
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn a_node_killed_mid_flow_loses_no_acknowledged_message_and_clients_miss_none() {
    let (_, nats) = cluster_env();
    let (args, creds, url) = cluster(&nats).await;
    let (mut a, b) = (Node::start(&args), Node::start(&args));
    let on_b = Endpoint::new(b.addr, creds.clone());
    on_b.server_ok("/v1/server/user/update", json!({"xcUserID": "alice", "fullName": "Alice"})).await;
    let bob = on_b.login("bob", "Bob").await;
    let mut bob_ws = on_b.ws(&bob).await;

    // Two senders, one per node, each as fast as it is answered; node A is killed while its
    // requests are in flight, then restarted on a new port.
    let a_addr = std::sync::Arc::new(std::sync::Mutex::new(a.addr));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = |node: &'static str, addr: std::sync::Arc<std::sync::Mutex<SocketAddr>>| {
        let (creds, stop) = (creds.clone(), stop.clone());
        tokio::spawn(async move {
            let mut acknowledged = BTreeSet::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let target = Endpoint::new(*addr.lock().unwrap(), creds.clone());
                let body = format!("flow-{node}-{i:04}");
                i += 1;
                let sent = target
                    .try_server("/v1/server/message/send/custom", json!({"messageType": 1001, "body": body, "senderXCUserID": "alice", "recipientXCUserID": "bob"}))
                    .await;
                if sent.is_some() {
                    acknowledged.insert(body);
                } else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            acknowledged
        })
    };
    let to_a = sender("a", a_addr.clone());
    let to_b = sender("b", std::sync::Arc::new(std::sync::Mutex::new(b.addr)));
    tokio::time::sleep(Duration::from_millis(700)).await;
    a.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    a = Node::start(&a.args.clone());
    *a_addr.lock().unwrap() = a.addr;
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (via_a, via_b) = (to_a.await.unwrap(), to_b.await.unwrap());
    assert!(
        via_a.iter().any(|b| b.as_str() > "flow-a-0010") && via_b.len() > 20,
        "both nodes took traffic: {} {}",
        via_a.len(),
        via_b.len()
    );

    let stored = stored_bodies(url).await;
    for body in via_a.iter().chain(&via_b) {
        assert_eq!(stored.get(body), Some(&1), "{body} was acknowledged, so it is stored exactly once");
    }
    assert!(stored.values().all(|n| *n == 1), "nothing is stored twice");

    // Bob, on node B all along, receives every stored message, those node A committed just
    // before dying included: node B replays what no node published.
    let mut received = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while received.len() < stored.len() && Instant::now() < deadline {
        if let Some((name, data)) = bob_ws.next_within(Duration::from_millis(500)).await
            && name == "chat/sendMessage"
        {
            received.insert(body_of(&data));
        }
    }
    let missing: Vec<_> = stored.keys().filter(|b| !received.contains(*b)).collect();
    assert!(missing.is_empty(), "bob missed {missing:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn a_node_that_lost_nats_catches_up_from_the_database() {
    cluster_env();
    // A private NATS server, so it can be stopped without touching anyone else's.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let start_nats = || {
        Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs")
    };
    let mut nats_server = start_nats();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (args, creds, _) = cluster(&format!("nats://127.0.0.1:{port}")).await;
    let (a, b) = (Node::start(&args), Node::start(&args));
    let (on_a, on_b) = (Endpoint::new(a.addr, creds.clone()), Endpoint::new(b.addr, creds));
    on_a.server_ok("/v1/server/user/update", json!({"xcUserID": "alice", "fullName": "Alice"})).await;
    let bob = on_b.login("bob", "Bob").await;
    let mut bob_ws = on_b.ws(&bob).await;
    let send = |text: &str| {
        on_a.server_ok(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": text, "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
        )
    };
    send("before the outage").await;
    assert_eq!(body_of(&bob_ws.expect("chat/sendMessage").await), "before the outage");

    let _ = nats_server.kill();
    let _ = nats_server.wait();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..5 {
        send(&format!("during the outage {i}")).await;
    }
    nats_server = start_nats();
    let mut received = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.len() < 5 && Instant::now() < deadline {
        if let Some((name, data)) = bob_ws.next_within(Duration::from_millis(500)).await
            && name == "chat/sendMessage"
        {
            received.insert(body_of(&data));
        }
    }
    let _ = nats_server.kill();
    let _ = nats_server.wait();
    assert_eq!(received.len(), 5, "bob received every message sent while NATS was down: {received:?}");
}

/// Commits a message the way a node does and then "dies" before publishing it: the message,
/// and its entry in the change log, are in the database, and no node ever hears of it.
async fn commit_without_publishing(url: String, like_body: &str, body: &str) {
    let (like_body, body) = (like_body.to_string(), body.to_string());
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut tx = c.transaction().unwrap();
        let seq: i64 = tx.query_one("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value", &[]).unwrap().get(0);
        let inserted = tx
            .execute(
                "INSERT INTO messages (id, app_id, room_id, sender_id, local_id, type_code, type_name, body, created, updated) \
                 SELECT $1, app_id, room_id, sender_id, 'lost-publish', 1001, 'text', $2, created + 1, created + 1 \
                 FROM messages WHERE body = $3",
                &[&seq, &body, &like_body],
            )
            .unwrap();
        assert_eq!(inserted, 1);
        let logged = tx
            .execute(
                "INSERT INTO changes (id, app_id, kind, actor_id, room_id, message_id, created) \
                 SELECT id, app_id, 'message.created', sender_id, room_id, id, created FROM messages WHERE id = $1",
                &[&seq],
            )
            .unwrap();
        assert_eq!(logged, 1);
        tx.commit().unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn a_change_no_node_published_reaches_clients_even_after_later_ones_did() {
    let (_, nats) = cluster_env();
    let (args, creds, url) = cluster(&nats).await;
    let (a, b) = (Node::start(&args), Node::start(&args));
    let (on_a, on_b) = (Endpoint::new(a.addr, creds.clone()), Endpoint::new(b.addr, creds));
    on_a.server_ok("/v1/server/user/update", json!({"xcUserID": "alice", "fullName": "Alice"})).await;
    let bob = on_b.login("bob", "Bob").await;
    let mut bob_ws = on_b.ws(&bob).await;
    let send = |text: &'static str| {
        on_a.server_ok(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": text, "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
        )
    };
    send("first").await;
    assert_eq!(body_of(&bob_ws.expect("chat/sendMessage").await), "first");

    // A change whose publish was lost, then a later one that arrives normally: node B has seen
    // a higher change number than the lost one, so only looking for holes finds it.
    commit_without_publishing(url, "first", "committed, never published").await;
    send("later").await;
    let mut received = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !received.iter().any(|b| b == "committed, never published") && Instant::now() < deadline {
        if let Some((name, data)) = bob_ws.next_within(Duration::from_millis(500)).await
            && name == "chat/sendMessage"
        {
            received.push(body_of(&data));
        }
    }
    assert!(received.iter().any(|b| b == "later"), "{received:?}");
    assert!(received.iter().any(|b| b == "committed, never published"), "bob got only {received:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn two_nodes_deliver_each_webhook_once() {
    let (_, nats) = cluster_env();
    let (mut args, creds, url) = cluster(&nats).await;
    // Every node seals and opens secrets with the same configured key.
    let config = tempfile::NamedTempFile::new().unwrap();
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let settings = format!("secret_key = \"{key}\"\nwebhook_allow_private = true\nwebhook_retry_delays_ms = [200]\n");
    std::fs::write(config.path(), settings).unwrap();
    let config_path = config.path().display().to_string();
    args.extend(["--config".to_string(), config_path.clone()]);
    let receiver = crate::webhooks::Receiver::start().await;
    // The receiver refuses now and then: retries must not double deliveries either.
    receiver.answer(&[200, 503, 200, 200, 500, 200, 200, 200, 503]);
    let out = Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args(["webhook", "add", "--app", "tested", "--url", &receiver.url("/hook"), "--dialect", "palaver"])
        .args(["--events", "message.created", "--json", "--database-url", &url, "--config", &config_path])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = added["secret"].as_str().unwrap().to_string();

    let (a, b) = (Node::start(&args), Node::start(&args));
    let nodes = [Endpoint::new(a.addr, creds.clone()), Endpoint::new(b.addr, creds)];
    for id in ["alice", "bob"] {
        nodes[0].server_ok("/v1/server/user/update", json!({"xcUserID": id, "fullName": id})).await;
    }
    let sent = 40;
    for i in 0..sent {
        let send = json!({"messageType": 1001, "body": format!("hook-{i}"), "senderXCUserID": "alice", "recipientXCUserID": "bob"});
        nodes[i % 2].server_ok("/v1/server/message/send/custom", send).await;
    }
    let got = receiver.wait_until(|got| got.iter().map(|r| r.id()).collect::<BTreeSet<_>>().len() >= sent).await;
    receiver.stays_at(got.len()).await;
    let wh = standardwebhooks::Webhook::new(&secret).unwrap();
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for r in receiver.received() {
        wh.verify(&r.body, &r.headers).expect("signed with the shared secret");
        *delivered.entry(r.json()["data"]["message"]["body"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(delivered.len(), sent, "{delivered:?}");
    // Each body arrives once, plus once more per refusal (three in the script), never more.
    assert_eq!(delivered.values().sum::<usize>(), sent + 3, "{delivered:?}");
    drop((a, b));
}
