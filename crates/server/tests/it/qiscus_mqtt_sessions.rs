//! Persistent MQTT sessions (`clean_session=false`) and QoS 1 redelivery, with a raw client
//! that decides itself when, and whether, to acknowledge.

use crate::qiscus_client::{login, sdk_ok, token};
use crate::support::TestApp;
use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{Connect, Packet, PubAck, Publish, Subscribe, SubscribeReasonCode};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An MQTT connection driven packet by packet.
struct Raw {
    stream: TcpStream,
    buf: BytesMut,
}

impl Raw {
    /// Connects as `client_id`; returns the connection and whether the server had a session.
    async fn connect(app: &TestApp, client_id: &str, clean: bool) -> (Raw, bool) {
        Self::connect_with(app, client_id, clean, None).await
    }

    /// Like [`Raw::connect`], with a user name and password (Android's, from `mqtt_config`).
    async fn connect_with(app: &TestApp, client_id: &str, clean: bool, login: Option<(&str, &str)>) -> (Raw, bool) {
        let stream = TcpStream::connect(app.mqtt.expect("an MQTT listener")).await.unwrap();
        let mut raw = Raw { stream, buf: BytesMut::new() };
        let mut connect = Connect::new(client_id);
        connect.keep_alive = 30;
        connect.clean_session = clean;
        if let Some((user, password)) = login {
            connect.set_login(user, password);
        }
        raw.send(Packet::Connect(connect)).await;
        match raw.next().await {
            Packet::ConnAck(ack) => {
                assert_eq!(ack.code, rumqttc::mqttbytes::v4::ConnectReturnCode::Success);
                (raw, ack.session_present)
            }
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    async fn send(&mut self, packet: Packet) {
        let mut out = BytesMut::new();
        packet.write(&mut out, 1 << 20).unwrap();
        self.stream.write_all(&out).await.unwrap();
    }

    async fn next(&mut self) -> Packet {
        loop {
            match Packet::read(&mut self.buf, 1 << 20) {
                Ok(p) => return p,
                Err(CodecError::InsufficientBytes(_)) => {
                    let read = tokio::time::timeout(Duration::from_secs(10), self.stream.read_buf(&mut self.buf));
                    assert!(read.await.expect("a packet in time").unwrap() > 0, "the server closed");
                }
                Err(e) => panic!("a bad packet from the server: {e:?}"),
            }
        }
    }

    /// The next `n` publishes, skipping other packets.
    async fn publishes(&mut self, n: usize) -> Vec<Publish> {
        let mut out = Vec::new();
        while out.len() < n {
            if let Packet::Publish(p) = self.next().await {
                out.push(p);
            }
        }
        out
    }

    /// Asserts the server publishes nothing for a short while.
    async fn quiet(&mut self) {
        let heard = tokio::time::timeout(Duration::from_millis(500), self.publishes(1)).await;
        assert!(heard.is_err(), "unexpected publish: {heard:?}");
    }

    async fn ack(&mut self, publishes: &[Publish]) {
        for p in publishes {
            self.send(Packet::PubAck(PubAck::new(p.pkid))).await;
        }
    }
}

/// The comment texts of `publishes`.
fn texts(publishes: &[Publish]) -> Vec<String> {
    publishes
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_slice(&p.payload).expect("a comment");
            v["message"].as_str().expect("a message").to_string()
        })
        .collect()
}

async fn post(app: &TestApp, token: &str, room: i64, text: &str) {
    sdk_ok(app, "POST", "post_comment", Some(token), json!({"comment": text, "topic_id": room})).await;
}

/// Gives the server a moment to keep a session whose connection just ended.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_persistent_session_gets_back_its_unacknowledged_and_missed_messages_once() {
    let app = TestApp::spawn().await;
    let alice = token(&login(&app, "alice", "Alice").await);
    let bob = token(&login(&app, "bob", "Bob").await);
    let r = sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&alice), json!({"emails": "bob"})).await;
    let room = r["room"]["id"].as_i64().unwrap();

    let (mut b, present) = Raw::connect(&app, "bob-phone", false).await;
    assert!(!present, "nothing was kept for a new client");
    b.send(Packet::Subscribe(Subscribe::new(format!("{bob}/c"), QoS::AtLeastOnce))).await;
    assert!(
        matches!(b.next().await, Packet::SubAck(s) if s.return_codes == [SubscribeReasonCode::Success(QoS::AtLeastOnce)])
    );
    post(&app, &alice, room, "one").await;
    let first = b.publishes(1).await;
    assert_eq!((texts(&first), first[0].qos, first[0].dup), (vec!["one".to_string()], QoS::AtLeastOnce, false));
    // The network goes before bob acknowledges; two more messages come meanwhile.
    drop(b);
    settle().await;
    post(&app, &alice, room, "two").await;
    post(&app, &alice, room, "three").await;

    let (mut b, present) = Raw::connect(&app, "bob-phone", false).await;
    assert!(present, "the session was kept");
    let again = b.publishes(3).await;
    assert_eq!(texts(&again), ["one", "two", "three"], "without subscribing again");
    assert_eq!((again[0].pkid, again[0].dup), (first[0].pkid, true), "sent again under its packet id");
    assert!(!again[1].dup && !again[2].dup);
    // Replayed from the log, comments still name the one before them.
    let comment = |p: &Publish| serde_json::from_slice::<Value>(&p.payload).unwrap();
    assert_eq!(comment(&again[1])["comment_before_id"], comment(&again[0])["id"]);
    assert_eq!(comment(&again[2])["comment_before_id"], comment(&again[1])["id"]);
    b.ack(&again).await;
    b.quiet().await;
    b.send(Packet::Disconnect).await;
    settle().await;

    // Acknowledged messages do not come back; what came after does, after a restart too.
    post(&app, &alice, room, "four").await;
    let app = app.restart().await;
    post(&app, &alice, room, "five").await;
    let (mut b, present) = Raw::connect(&app, "bob-phone", false).await;
    assert!(present, "kept in the database");
    let missed = b.publishes(2).await;
    assert_eq!(texts(&missed), ["four", "five"]);
    b.ack(&missed).await;
    b.quiet().await;
    // Live messages go on as before on the resumed subscription.
    post(&app, &alice, room, "six").await;
    assert_eq!(texts(&b.publishes(1).await), ["six"]);
    drop(b);
    settle().await;

    // A clean start forgets the session.
    let (b, present) = Raw::connect(&app, "bob-phone", true).await;
    assert!(!present);
    drop(b);
    settle().await;
    post(&app, &alice, room, "seven").await;
    let (mut b, present) = Raw::connect(&app, "bob-phone", false).await;
    assert!(!present, "a clean session discarded what was kept");
    b.quiet().await;
}

#[tokio::test]
async fn a_kept_session_ends_with_its_token() {
    let app = TestApp::spawn().await;
    let alice = token(&login(&app, "alice", "Alice").await);
    let bob = token(&login(&app, "bob", "Bob").await);
    let r = sdk_ok(&app, "POST", "get_or_create_room_with_target", Some(&alice), json!({"emails": "bob"})).await;
    let room = r["room"]["id"].as_i64().unwrap();
    let creds = sdk_ok(&app, "GET", "mqtt_config", Some(&bob), json!({})).await;
    let login = (creds["username"].as_str().unwrap(), creds["password"].as_str().unwrap());
    let (mut b, _) = Raw::connect_with(&app, "bob-tablet", false, Some(login)).await;
    b.send(Packet::Subscribe(Subscribe::new(format!("{bob}/c"), QoS::AtLeastOnce))).await;
    assert!(matches!(b.next().await, Packet::SubAck(_)));
    b.send(Packet::Disconnect).await;
    settle().await;
    // The token is reset (the Server API's way to log a user out everywhere).
    sdk_ok(&app, "POST", "expire_user_token", Some(&bob), json!({})).await;
    post(&app, &alice, room, "after logout").await;
    let (mut b, present) = Raw::connect(&app, "bob-tablet", false).await;
    assert!(!present, "a session whose token is gone is not resumed");
    b.quiet().await;
}
