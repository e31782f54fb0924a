//! The Qiscus client API (`/api/v2/sdk/`, `/api/v2/mobile/`) and its MQTT realtime, with a
//! real MQTT client (rumqttc) over the server's MQTT listener and WebSocket.

use crate::support::{Answer, TestApp, assert_qiscus_error, query_string};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeReasonCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Calls a client API action with the app id and, when given, a user token (header).
pub async fn sdk(app: &TestApp, method: &str, action: &str, token: Option<&str>, params: Value) -> Answer {
    let app_id = app.creds.qiscus_app_id.clone();
    let mut headers = vec![("QISCUS-SDK-APP-ID", app_id.as_str()), ("QISCUS-SDK-PLATFORM", "javascript")];
    if let Some(t) = token {
        headers.push(("QISCUS-SDK-TOKEN", t));
    }
    let path = format!("/api/v2/sdk/{action}");
    if method == "GET" {
        let q = query_string(&params);
        let path = if q.is_empty() { path } else { format!("{path}?{q}") };
        app.request(method, &path, &headers, bytes::Bytes::new()).await
    } else {
        headers.push(("Content-Type", "application/json"));
        app.request(method, &path, &headers, params.to_string()).await
    }
}

/// Like [`sdk`], asserting success; returns `results`.
pub async fn sdk_ok(app: &TestApp, method: &str, action: &str, token: Option<&str>, params: Value) -> Value {
    let a = sdk(app, method, action, token, params).await;
    assert_eq!((a.http, &a.body["status"]), (200, &json!(200)), "{method} {action}: {}", a.body);
    a.body["results"].clone()
}

/// Logs a user in (registering it); returns its account.
pub async fn login(app: &TestApp, id: &str, name: &str) -> Value {
    let params = json!({"email": id, "password": "key-1", "username": name, "extras": ""});
    sdk_ok(app, "POST", "login_or_register", None, params).await["user"].clone()
}

/// The token of a logged-in account.
pub fn token(account: &Value) -> String {
    account["token"].as_str().expect("a token").to_string()
}

/// An MQTT client and what it hears.
struct Mqtt {
    client: AsyncClient,
    heard: mpsc::UnboundedReceiver<Packet>,
    task: tokio::task::JoinHandle<()>,
}

impl Mqtt {
    async fn connect(app: &TestApp, id: &str) -> Mqtt {
        let addr = app.mqtt.expect("the test server listens for MQTT");
        let mut opts = MqttOptions::new(id, addr.ip().to_string(), addr.port());
        opts.set_keep_alive(Duration::from_secs(30));
        let (client, mut events) = AsyncClient::new(opts, 64);
        let (tx, heard) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok(event) = events.poll().await {
                if let Event::Incoming(p) = event
                    && tx.send(p).is_err()
                {
                    break;
                }
            }
        });
        let mut m = Mqtt { client, heard, task };
        assert!(matches!(m.next().await, Packet::ConnAck(_)));
        m
    }

    async fn next(&mut self) -> Packet {
        tokio::time::timeout(Duration::from_secs(10), self.heard.recv()).await.expect("a packet in time").expect("open")
    }

    /// Subscribes and returns the return code.
    async fn subscribe(&mut self, topic: &str) -> SubscribeReasonCode {
        self.client.subscribe(topic, QoS::AtMostOnce).await.unwrap();
        loop {
            if let Packet::SubAck(ack) = self.next().await {
                return ack.return_codes[0];
            }
        }
    }

    /// The next publish: topic and payload.
    async fn publish(&mut self) -> (String, String) {
        loop {
            if let Packet::Publish(p) = self.next().await {
                return (p.topic, String::from_utf8_lossy(&p.payload).into_owned());
            }
        }
    }

    /// Drops the connection without DISCONNECT, as a lost network does.
    fn kill(self) {
        self.task.abort();
    }

    /// Asserts nothing is published for a short while.
    async fn quiet(&mut self) {
        let wait = tokio::time::timeout(Duration::from_millis(400), async {
            loop {
                if let Some(Packet::Publish(p)) = self.heard.recv().await {
                    return p;
                }
            }
        });
        if let Ok(p) = wait.await {
            panic!("unexpected publish on {}: {:?}", p.topic, p.payload);
        }
    }
}

const GRANTED: SubscribeReasonCode = SubscribeReasonCode::Success(QoS::AtMostOnce);

#[tokio::test]
async fn login_registers_then_checks_the_key_and_tokens_name_the_user() {
    let app = TestApp::spawn().await;
    let alice = login(&app, "alice@x.com", "Alice").await;
    assert_eq!(alice["email"], "alice@x.com");
    assert_eq!(alice["username"], "Alice");
    assert!(alice["id"].is_i64());
    assert_eq!(alice["token_expires_at"], Value::Null, "tokens do not expire");
    let token = alice["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 20 && token.chars().all(|c| c.is_ascii_alphanumeric()), "{token}");

    let again = login(&app, "alice@x.com", "Alice A").await;
    assert_eq!((again["token"].as_str(), again["username"].as_str()), (Some(token.as_str()), Some("Alice A")));
    let wrong = sdk(&app, "POST", "login_or_register", None, json!({"email": "alice@x.com", "password": "nope"})).await;
    assert_qiscus_error(&wrong, 401, "Wrong password for this user");

    // The token in the header (underscore names too), or as a parameter; the mobile prefix.
    let me = sdk_ok(&app, "GET", "my_profile", Some(&token), json!({})).await;
    assert_eq!(me["user"]["email"], "alice@x.com");
    let app_id = app.creds.qiscus_app_id.clone();
    let a = app
        .request(
            "GET",
            &format!("/api/v2/mobile/my_profile?token={token}"),
            &[("qiscus_sdk_app_id", app_id.as_str())],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!((a.http, &a.body["results"]["user"]["username"]), (200, &json!("Alice A")));
    assert_qiscus_error(
        &sdk(&app, "GET", "my_profile", Some("wrong-token-123456789"), json!({})).await,
        401,
        "Unauthorized",
    );
    let changed = sdk_ok(&app, "PATCH", "my_profile", Some(&token), json!({"name": "Al", "extras": "{\"k\":1}"})).await;
    assert_eq!((&changed["user"]["username"], &changed["user"]["extras"]), (&json!("Al"), &json!({"k": 1})));

    let config = sdk_ok(&app, "GET", "config", None, json!({})).await;
    assert_eq!(config["broker_url"], format!("ws://{}/mqtt", app.api.addr));
    assert_eq!(config["enable_realtime"], true);
    // Android asks for MQTT credentials; the broker accepts them (and needs none).
    let mqtt = sdk_ok(&app, "GET", "mqtt_config", Some(&token), json!({})).await;
    assert_eq!((mqtt["username"].as_str(), mqtt["password"].as_str()), (Some("alice@x.com"), Some(token.as_str())));
}

#[tokio::test]
async fn comments_page_by_id_newest_first_and_sync_continues_from_a_cursor() {
    let app = TestApp::spawn().await;
    let alice = login(&app, "alice", "Alice").await;
    let bob = login(&app, "bob", "Bob").await;
    let (ta, tb) = (alice["token"].as_str().unwrap(), bob["token"].as_str().unwrap());
    let r = sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(ta), json!({"emails": "bob", "options": "{}"}))
        .await;
    let room = r["room"]["id"].as_i64().expect("room ids are integers");
    assert_eq!((r["room"]["room_name"].as_str(), r["room"]["chat_type"].as_str()), (Some("Bob"), Some("single")));
    assert_eq!(r["comments"], json!([]));
    assert_eq!(
        sdk_ok(&app, "GET", "user_rooms", Some(tb), json!({"show_participants": true})).await["rooms_info"],
        json!([])
    );

    let mut ids = Vec::new();
    for i in 0..5 {
        let c = sdk_ok(
            &app,
            "POST",
            "post_comment",
            Some(ta),
            json!({"comment": format!("m{i}"), "topic_id": room.to_string(), "unique_temp_id": format!("javascript-{i}"), "type": "text", "extras": "{}"}),
        )
        .await["comment"]
            .clone();
        assert_eq!(c["room_id"], room);
        assert_eq!(c["comment_before_id"], ids.last().copied().unwrap_or(0));
        ids.push(c["id"].as_i64().unwrap());
    }
    // A repeated unique_temp_id answers with the stored comment.
    let again = sdk_ok(
        &app,
        "POST",
        "post_comment",
        Some(ta),
        json!({"comment": "x", "topic_id": room, "unique_temp_id": "javascript-4"}),
    )
    .await;
    assert_eq!((again["comment"]["id"].as_i64(), again["comment"]["message"].as_str()), (Some(ids[4]), Some("m4")));

    let page =
        |v: &Value| v["comments"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>();
    let newest = sdk_ok(&app, "GET", "load_comments", Some(tb), json!({"topic_id": room, "limit": 2})).await;
    assert_eq!(page(&newest), vec![ids[4], ids[3]]);
    let older = sdk_ok(
        &app,
        "GET",
        "load_comments",
        Some(tb),
        json!({"topic_id": room, "last_comment_id": ids[3], "limit": 2}),
    )
    .await;
    assert_eq!(page(&older), vec![ids[2], ids[1]]);
    let newer = sdk_ok(
        &app,
        "GET",
        "load_comments",
        Some(tb),
        json!({"topic_id": room, "last_comment_id": ids[1], "after": true, "limit": 2}),
    )
    .await;
    assert_eq!(page(&newer), vec![ids[3], ids[2]]);

    let synced = sdk_ok(&app, "GET", "sync", Some(tb), json!({"last_received_comment_id": ids[1]})).await;
    assert_eq!(page(&synced), vec![ids[2], ids[3], ids[4]]);
    let before: Vec<i64> =
        synced["comments"].as_array().unwrap().iter().map(|c| c["comment_before_id"].as_i64().unwrap()).collect();
    assert_eq!(before, vec![ids[1], ids[2], ids[3]], "sync names each comment's predecessor");
    assert_eq!(synced["meta"]["last_received_comment_id"], ids[4]);
    let none = sdk_ok(&app, "GET", "sync", Some(tb), json!({"last_received_comment_id": ids[4]})).await;
    assert_eq!((page(&none).len(), &none["meta"]["last_received_comment_id"]), (0, &json!(ids[4])));

    let rooms =
        sdk_ok(&app, "GET", "user_rooms", Some(tb), json!({"show_participants": true, "room_type": "default"})).await;
    let listed = &rooms["rooms_info"][0];
    assert_eq!((listed["id"].as_i64(), listed["unread_count"].as_i64()), (Some(room), Some(5)));
    assert_eq!((listed["last_comment"]["id"].as_i64(), listed["room_name"].as_str()), (Some(ids[4]), Some("Alice")));
    assert_eq!(listed["participants"].as_array().unwrap().len(), 2);
    sdk_ok(
        &app,
        "POST",
        "update_comment_status",
        Some(tb),
        json!({"room_id": room.to_string(), "last_comment_read_id": ids[3].to_string()}),
    )
    .await;
    let rooms = sdk_ok(&app, "GET", "user_rooms", Some(tb), json!({})).await;
    assert_eq!(rooms["rooms_info"][0]["unread_count"], 1);

    // A stranger's token reaches none of it.
    let eve = login(&app, "eve", "Eve").await;
    let te = eve["token"].as_str().unwrap();
    let a = sdk(&app, "GET", "load_comments", Some(te), json!({"topic_id": room})).await;
    assert_eq!(a.http, 403, "{}", a.body);
    let a = sdk(&app, "POST", "post_comment", Some(te), json!({"comment": "hi", "topic_id": room})).await;
    assert_eq!(a.http, 403, "{}", a.body);
}

#[tokio::test]
async fn mqtt_delivers_comments_receipts_typing_and_presence_to_those_allowed() {
    let app = TestApp::spawn().await;
    let alice = login(&app, "alice", "Alice").await;
    let bob = login(&app, "bob", "Bob").await;
    let eve = login(&app, "eve", "Eve").await;
    let (ta, tb, te) =
        (alice["token"].as_str().unwrap(), bob["token"].as_str().unwrap(), eve["token"].as_str().unwrap());
    let r = sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(ta), json!({"emails": "bob"})).await;
    let room = r["room"]["id"].as_i64().unwrap();

    // Connections start anonymous, as the web SDK's do, and become a user's with its token.
    let mut b = Mqtt::connect(&app, "app_undefined_1").await;
    // The token in the topic is the only identity the SDKs give: an unknown one is refused.
    assert_eq!(b.subscribe("NoSuchToken123456789/c").await, SubscribeReasonCode::Failure);
    assert_eq!(b.subscribe(&format!("r/{room}/{room}/+/t")).await, SubscribeReasonCode::Failure, "rooms need a user");
    assert_eq!(b.subscribe(&format!("{tb}/c")).await, GRANTED);
    assert_eq!(b.subscribe(&format!("{ta}/c")).await, SubscribeReasonCode::Failure, "one identity per connection");
    assert_eq!(b.subscribe(&format!("r/{room}/{room}/+/t")).await, GRANTED);
    assert_eq!(b.subscribe(&format!("r/{room}/{room}/+/r")).await, GRANTED);
    assert_eq!(b.subscribe("#").await, SubscribeReasonCode::Failure);
    assert_eq!(b.subscribe("u/eve/s").await, SubscribeReasonCode::Failure, "eve shares no room with bob");
    assert_eq!(b.subscribe("u/alice/s").await, GRANTED);
    let (topic, offline) = b.publish().await;
    let (status, at) = offline.split_once(':').expect("<status>:<ms>");
    assert_eq!((topic.as_str(), status, at.len()), ("u/alice/s", "0", 13), "retained: alice is offline");

    let mut e = Mqtt::connect(&app, "app_eve_1").await;
    assert_eq!(e.subscribe(&format!("{te}/c")).await, GRANTED);
    assert_eq!(e.subscribe(&format!("r/{room}/{room}/+/t")).await, SubscribeReasonCode::Failure, "not eve's room");

    let mut a = Mqtt::connect(&app, "app_alice_1").await;
    assert_eq!(a.subscribe(&format!("{ta}/c")).await, GRANTED);
    let (topic, online) = b.publish().await;
    assert_eq!(topic, "u/alice/s");
    let (status, at) = online.split_once(':').expect("<status>:<ms>");
    assert_eq!((status, at.len()), ("1", 13), "{online}");
    assert_eq!(a.subscribe(&format!("r/{room}/{room}/+/r")).await, GRANTED);

    // A comment reaches both participants' token topics (the sender's echo too), not eve.
    let c = sdk_ok(
        &app,
        "POST",
        "post_comment",
        Some(ta),
        json!({"comment": "hello", "topic_id": room, "unique_temp_id": "javascript-a1"}),
    )
    .await;
    let id = c["comment"]["id"].as_i64().unwrap();
    let (topic, payload) = b.publish().await;
    assert_eq!(topic, format!("{tb}/c"));
    let got: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(
        (got["id"].as_i64(), got["room_id"].as_i64(), got["message"].as_str()),
        (Some(id), Some(room), Some("hello"))
    );
    assert_eq!(
        (got["email"].as_str(), got["room_name"].as_str(), got["unique_temp_id"].as_str()),
        (Some("alice"), Some("Alice"), Some("javascript-a1"))
    );
    assert_eq!(got["comment_before_id"], 0, "the room's first comment");
    assert_eq!(a.publish().await.0, format!("{ta}/c"));
    e.quiet().await;

    // Typing published by alice reaches bob's room subscription; alice may not type as bob.
    a.client.publish(format!("r/{room}/{room}/alice/t"), QoS::AtMostOnce, false, "1").await.unwrap();
    assert_eq!(b.publish().await, (format!("r/{room}/{room}/alice/t"), "1".to_string()));
    a.client.publish(format!("r/{room}/{room}/bob/t"), QoS::AtLeastOnce, false, "1").await.unwrap();
    b.quiet().await;

    // Bob reads: alice hears the receipt as <comment id>:<unique id>.
    sdk_ok(&app, "POST", "update_comment_status", Some(tb), json!({"room_id": room, "last_comment_read_id": id})).await;
    assert_eq!(a.publish().await, (format!("r/{room}/{room}/bob/r"), format!("{id}:javascript-a1")));
    assert_eq!(b.publish().await.0, format!("r/{room}/{room}/bob/r"), "bob's own devices see it on the room topic");

    // A Server REST message reaches the client in realtime too.
    app.qiscus_ok(
        "POST",
        "post_comment",
        json!({"user_id": "alice", "room_id": room.to_string(), "message": "from the backend"}),
    )
    .await;
    let (topic, payload) = b.publish().await;
    assert_eq!(topic, format!("{tb}/c"));
    let got: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!((&got["message"], &got["comment_before_id"]), (&json!("from the backend"), &json!(id)));

    // Alice drops off without DISCONNECT: bob hears her go offline.
    a.kill();
    let (topic, offline) = b.publish().await;
    assert_eq!((topic.as_str(), offline.split_once(':').map(|(s, _)| s)), ("u/alice/s", Some("0")));
}

#[tokio::test]
async fn a_reset_token_ends_its_connections_and_bad_packets_end_only_theirs() {
    let app = TestApp::spawn().await;
    let bob = login(&app, "bob", "Bob").await;
    let tb = bob["token"].as_str().unwrap();
    let mut b = Mqtt::connect(&app, "app_bob_1").await;
    assert_eq!(b.subscribe(&format!("{tb}/c")).await, GRANTED);
    app.qiscus_ok("POST", "reset_user_token", json!({"user_id": "bob"})).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async { while b.heard.recv().await.is_some() {} });
    closed.await.expect("the connection of a reset token closes");

    // Garbage instead of CONNECT, then a packet past the size limit: each connection is
    // closed, the server goes on.
    let addr = app.mqtt.unwrap();
    for bytes in [b"\xff\xff\xff\xff\xff garbage".to_vec(), {
        let mut big = vec![0x10, 0xff, 0xff, 0xff, 0x7f];
        big.extend(std::iter::repeat_n(0u8, 1024));
        big
    }] {
        let mut raw = tokio::net::TcpStream::connect(addr).await.unwrap();
        raw.write_all(&bytes).await.unwrap();
        let mut sink = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), raw.read_to_end(&mut sink)).await;
        assert!(read.is_ok(), "the server closes a connection that sends nonsense");
    }
    let mut again = Mqtt::connect(&app, "app_bob_2").await;
    let token = login(&app, "bob", "Bob").await["token"].as_str().unwrap().to_string();
    assert_ne!(token, tb);
    assert_eq!(again.subscribe(&format!("{token}/c")).await, GRANTED);
}

#[tokio::test]
async fn mqtt_over_websocket_answers_with_the_mqtt_subprotocol() {
    let app = TestApp::spawn().await;
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}/mqtt",
        app.api.addr
    ))
    .unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "mqtt".parse().unwrap());
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await.expect("the upgrade succeeds");
    assert_eq!(res.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()), Some("mqtt"));
    use futures_util::{SinkExt, StreamExt};
    // CONNECT, MQTT 3.1.1, clean session, keepalive 60, client id "w".
    let connect = vec![0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 1, b'w'];
    ws.send(tokio_tungstenite::tungstenite::Message::Binary(connect.into())).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(answer.into_data().to_vec(), vec![0x20, 2, 0, 0], "CONNACK, accepted");
}

#[tokio::test]
async fn channels_and_custom_events_reach_their_members_only() {
    let app = TestApp::spawn().await;
    let (alice, bob, eve) =
        (login(&app, "alice", "Alice").await, login(&app, "bob", "Bob").await, login(&app, "eve", "Eve").await);
    let (ta, tb, te) =
        (alice["token"].as_str().unwrap(), bob["token"].as_str().unwrap(), eve["token"].as_str().unwrap());
    let channel =
        sdk_ok(&app, "POST", "get_or_create_room_with_unique_id", Some(ta), json!({"unique_id": "news"})).await;
    sdk_ok(&app, "POST", "get_or_create_room_with_unique_id", Some(tb), json!({"unique_id": "news"})).await;
    let room = channel["room"]["id"].as_i64().unwrap();
    let app_id = app.creds.qiscus_app_id.clone();

    let mut b = Mqtt::connect(&app, "app_bob_1").await;
    assert_eq!(b.subscribe(&format!("{app_id}/news/c")).await, SubscribeReasonCode::Failure, "who is asking?");
    assert_eq!(b.subscribe(&format!("{tb}/update")).await, GRANTED);
    assert_eq!(b.subscribe("other-app/news/c").await, SubscribeReasonCode::Failure, "not bob's app");
    assert_eq!(b.subscribe(&format!("{app_id}/news/c")).await, GRANTED);
    assert_eq!(b.subscribe(&format!("r/{room}/{room}/e")).await, GRANTED);
    let mut e = Mqtt::connect(&app, "app_eve_1").await;
    assert_eq!(e.subscribe(&format!("{te}/c")).await, GRANTED);
    assert_eq!(e.subscribe(&format!("{app_id}/news/c")).await, SubscribeReasonCode::Failure, "eve has not joined");
    assert_eq!(e.subscribe(&format!("r/{room}/{room}/e")).await, SubscribeReasonCode::Failure);

    sdk_ok(&app, "POST", "post_comment", Some(ta), json!({"comment": "extra!", "topic_id": room})).await;
    let (topic, payload) = b.publish().await;
    assert_eq!(topic, format!("{app_id}/news/c"));
    assert_eq!(serde_json::from_str::<Value>(&payload).unwrap()["is_public_channel"], true);

    // A custom event from a member reaches every member's room subscription, not eve; a
    // stranger's publish goes nowhere.
    let mut a = Mqtt::connect(&app, "app_alice_1").await;
    assert_eq!(a.subscribe(&format!("{ta}/c")).await, GRANTED);
    let event = r#"{"sender":"alice","data":{"kind":"poll"}}"#;
    a.client.publish(format!("r/{room}/{room}/e"), QoS::AtMostOnce, false, event).await.unwrap();
    assert_eq!(b.publish().await, (format!("r/{room}/{room}/e"), event.to_string()));
    e.client.publish(format!("r/{room}/{room}/e"), QoS::AtMostOnce, false, "{}").await.unwrap();
    b.quiet().await;
    e.quiet().await;
}

#[tokio::test]
async fn the_mqtt_port_speaks_tls_when_the_server_has_a_certificate() {
    let (app, tls) = crate::taptalk_tls::tls_server(|_| {}).await;
    // The test's HTTP client speaks no TLS: the user and token come from the core.
    let id = palaver_domain::ExternalId::parse("bob").unwrap();
    let upsert = palaver_core::UserUpsert {
        id: id.clone(),
        profile: palaver_domain::UserProfile { fullname: Some("Bob".into()), ..Default::default() },
        name_required: true,
        with_login: true,
        password: None,
    };
    app.core.upsert_user(app.core_app(), upsert).await.unwrap();
    let token = app.core.user_token(app.core_app(), palaver_domain::UserRef::External(id)).await.unwrap();
    let bob = json!({ "token": token });
    let mut stream = tls.stream_to(app.mqtt.expect("an MQTT listener")).await;
    let mut out = bytes::BytesMut::new();
    let mut connect = rumqttc::Connect::new("android-bob");
    connect.keep_alive = 30;
    Packet::Connect(connect).write(&mut out, 1024).unwrap();
    Packet::Subscribe(rumqttc::Subscribe::new(format!("{}/c", bob["token"].as_str().unwrap()), QoS::AtLeastOnce))
        .write(&mut out, 1024)
        .unwrap();
    stream.write_all(&out).await.unwrap();
    let mut buf = bytes::BytesMut::new();
    let mut packets = Vec::new();
    while packets.len() < 2 {
        match Packet::read(&mut buf, 1024) {
            Ok(p) => packets.push(p),
            Err(_) => {
                let n =
                    tokio::time::timeout(Duration::from_secs(10), stream.read_buf(&mut buf)).await.unwrap().unwrap();
                assert!(n > 0, "the server answered {packets:?} and closed");
            }
        }
    }
    assert!(matches!(&packets[0], Packet::ConnAck(a) if a.code == rumqttc::ConnectReturnCode::Success));
    assert!(
        matches!(&packets[1], Packet::SubAck(s) if s.return_codes == vec![SubscribeReasonCode::Success(QoS::AtLeastOnce)])
    );
}
