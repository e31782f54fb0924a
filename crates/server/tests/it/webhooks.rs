//! Webhooks, delivered to a real HTTP receiver started by the test: signatures checked with
//! the `standardwebhooks` crate's verifier, retries, restarts, filters, dialects, disabled
//! endpoints, private addresses, the delivery log.

use crate::support::TestApp;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use palaver_core::webhooks::NewWebhook;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    pub fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_string()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Statuses to answer with, in turn; 200 once they run out.
    script: Vec<u16>,
}

/// An HTTP receiver that records what it gets.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let router = axum::Router::new()
            .fallback(axum::routing::post(
                |State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes| async move {
                    let mut i = inner.lock().unwrap();
                    i.received.push(Received { headers, body });
                    let status = if i.script.is_empty() { 200 } else { i.script.remove(0) };
                    (StatusCode::from_u16(status).unwrap(), "ok")
                },
            ))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Receiver { addr, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers the next requests with these statuses.
    pub fn answer(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().script = statuses.to_vec();
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits until `n` requests came (at most 20 s); returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} webhook requests, got {:?}",
            self.received().iter().map(Received::json).collect::<Vec<_>>()
        );
    }

    /// Waits until what came satisfies `done` (at most 20 s); returns it.
    pub async fn wait_until(&self, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("webhook requests did not arrive: {:?}", self.received().iter().map(Received::json).collect::<Vec<_>>());
    }

    /// Asserts no more than `n` requests come for a while.
    pub async fn stays_at(&self, n: usize) {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(self.received().len(), n, "{:?}", self.received().iter().map(Received::json).collect::<Vec<_>>());
    }
}

/// A server that delivers to loopback receivers and retries quickly.
pub async fn webhook_server() -> TestApp {
    TestApp::spawn_with(|s| {
        s.core.webhooks.allow_private = true;
        s.core.webhooks.retry_delays_ms = vec![150, 150, 150];
    })
    .await
}

pub async fn add(app: &TestApp, url: String, dialect: &str, events: &[&str]) -> (i64, String) {
    let new = NewWebhook {
        url,
        dialect: dialect.into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        secret: None,
    };
    let (hook, secret) = app.core.add_webhook(app.core_app(), new).await.expect("a webhook");
    (hook.id, secret)
}

fn verify(secret: &str, r: &Received) {
    let wh = standardwebhooks::Webhook::new(secret).expect("a Standard Webhooks secret");
    wh.verify(&r.body, &r.headers).expect("the signature verifies");
}

async fn seed_room(app: &TestApp) -> String {
    app.qiscus_user("alice", "Alice").await;
    app.qiscus_user("bob", "Bob").await;
    let r = app
        .qiscus_ok(
            "POST",
            "create_room",
            json!({"room_name": "Team", "creator": "alice", "participants": ["alice", "bob"]}),
        )
        .await;
    r["room"]["room_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn deliveries_are_signed_retried_under_one_id_filtered_and_logged() {
    let app = webhook_server().await;
    let qiscus = Receiver::start().await;
    let rooms = Receiver::start().await;
    let off = Receiver::start().await;
    let (_, q_secret) = add(&app, qiscus.url("/qiscus"), "qiscus", &[]).await;
    let (_, r_secret) = add(&app, rooms.url("/rooms"), "palaver", &["room.created"]).await;
    let (off_id, _) = add(&app, off.url("/off"), "palaver", &[]).await;
    assert!(app.core.set_webhook_enabled(app.core_app(), off_id, false).await.unwrap());
    // The Qiscus receiver fails three times (two ways) before it takes the comment.
    qiscus.answer(&[503, 500, 429]);

    let room = seed_room(&app).await;
    let created = rooms.wait_for(1).await;
    verify(&r_secret, &created[0]);
    let event = created[0].json();
    assert_eq!((event["type"].as_str(), event["version"].as_i64()), (Some("room.created"), Some(1)), "{event}");
    assert_eq!(event["data"]["room"]["name"], "Team");
    assert_eq!(event["id"], created[0].id());

    app.qiscus_ok("POST", "post_comment", json!({"user_id": "alice", "room_id": room, "message": "hello hooks"})).await;
    let got = qiscus.wait_for(4).await;
    let ids: Vec<String> = got.iter().map(Received::id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one id in every attempt: {ids:?}");
    for r in &got {
        verify(&q_secret, r);
        let hex = r.headers["qiscus-sdk-signature"].to_str().unwrap();
        assert_eq!(hex, hmac_hex(q_secret.as_bytes(), &r.body), "QISCUS-SDK-SIGNATURE");
    }
    let body = got[3].json();
    assert_eq!(body["type"], "post_comment_rest");
    let p = &body["payload"];
    assert_eq!((p["from"]["email"].as_str(), p["from"]["name"].as_str()), (Some("alice"), Some("Alice")));
    assert_eq!(p["room"]["id_str"], room);
    assert_eq!(p["room"]["type"], "group");
    let emails: Vec<&str> =
        p["room"]["participants"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["alice", "bob"]);
    assert_eq!((p["message"]["text"].as_str(), p["message"]["type"].as_str()), (Some("hello hooks"), Some("text")));
    assert!(p["message"]["unique_temp_id"].is_string() && p["message"]["id"].is_i64());
    qiscus.stays_at(4).await;
    rooms.stays_at(1).await;
    off.stays_at(0).await;

    // The log, in Qiscus' shape: four attempts, the newest the one that went through.
    let logs = app.qiscus_ok("GET", "webhook_logs", json!({"type": "rest"})).await["webhook_logs"].clone();
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 4, "{logs:?}");
    let codes: Vec<i64> = logs.iter().map(|l| l["response_code"].as_i64().unwrap()).collect();
    assert_eq!(codes, [200, 429, 500, 503]);
    assert_eq!(logs[0]["is_success"], true);
    assert_eq!(logs[0]["endpoint"], qiscus.url("/qiscus"));
    // Failed attempts keep the body they sent; a delivered one does not (the receiver has it).
    assert!(logs[1]["request_body"].as_str().unwrap().contains("hello hooks"));
    assert_eq!(logs[0]["request_body"], "");
    let mobile = app.qiscus_ok("GET", "webhook_logs", json!({"type": "mobile"})).await;
    assert_eq!(mobile["webhook_logs"], json!([]));

    // Enabled again, the endpoint gets what it missed, in commit order.
    assert!(app.core.set_webhook_enabled(app.core_app(), off_id, true).await.unwrap());
    let missed = off.wait_until(|got| got.last().is_some_and(|r| r.json()["type"] == "message.created")).await;
    let kinds: Vec<String> = missed.iter().map(|r| r.json()["type"].as_str().unwrap().to_string()).collect();
    let changes: Vec<i64> = missed.iter().map(|r| r.json()["change_id"].as_i64().unwrap()).collect();
    assert!(changes.windows(2).all(|w| w[0] < w[1]), "{changes:?}");
    assert_eq!(&kinds[..3], ["user.created", "user.created", "room.created"], "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "participant.added").count(), 2, "{kinds:?}");
    off.stays_at(missed.len()).await;
}

fn hmac_hex(key: &[u8], body: &[u8]) -> String {
    palaver_core::webhooks::signing::hex_hmac(key, body)
}

#[tokio::test]
async fn a_restart_in_the_middle_of_retries_still_delivers_once() {
    let mut app = webhook_server().await;
    let receiver = Receiver::start().await;
    let (_, secret) = add(&app, receiver.url("/"), "taptalk", &["message.created"]).await;
    receiver.answer(&[503; 1000]);
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "ann", "fullName": "Ann"})).await;
    app.server_ok("/v1/server/user/update", json!({"xcUserID": "ben", "fullName": "Ben"})).await;
    let send =
        json!({"messageType": 1001, "body": "over the restart", "senderXCUserID": "ann", "recipientXCUserID": "ben"});
    app.server_ok("/v1/server/message/send/custom", send).await;
    let failed = receiver.wait_for(1).await;
    app = app.restart().await;
    receiver.answer(&[]);
    let before = receiver.received().len();
    let got = receiver.wait_for(before + 1).await;
    let last = got.last().unwrap();
    assert_eq!(last.id(), failed[0].id(), "the same delivery");
    verify(&secret, last);
    let m = last.json();
    assert_eq!(
        (m["body"].as_str(), m["typeName"].as_str(), m["type"].as_i64()),
        (Some("over the restart"), Some("text"), Some(1001)),
        "{m}"
    );
    assert!(!m["localID"].as_str().unwrap().is_empty() && m["messageID"].as_str().unwrap().parse::<i64>().is_ok());
    assert_eq!(m["user"].as_object().unwrap().len(), 4, "the trimmed sender: {}", m["user"]);
    assert_eq!(m["user"]["xcUserID"], "ann");
    assert_eq!(m["room"]["name"], "Ben", "named after the recipient");
    receiver.stays_at(got.len()).await;
    app.stop().await;
}

#[tokio::test]
async fn an_endpoint_failing_past_its_limit_is_disabled_and_resumes_with_nothing_lost() {
    let app = TestApp::spawn_with(|s| {
        s.core.webhooks.allow_private = true;
        s.core.webhooks.retry_delays_ms = vec![100];
        s.core.webhooks.disable_after_failures = 3;
    })
    .await;
    let receiver = Receiver::start().await;
    let (id, _) = add(&app, receiver.url("/"), "palaver", &["user.created"]).await;
    receiver.answer(&[500; 3]);
    app.qiscus_user("alice", "Alice").await;
    receiver.wait_for(3).await;
    receiver.stays_at(3).await;
    let hook = app.core.webhooks(Some(app.core_app())).await.unwrap().into_iter().find(|h| h.id == id).unwrap();
    assert!(!hook.enabled);
    assert!(
        hook.disabled_reason.contains("3 failed attempts") && hook.disabled_reason.contains("500"),
        "{}",
        hook.disabled_reason
    );
    app.qiscus_user("bob", "Bob").await;
    receiver.stays_at(3).await;
    assert!(app.core.set_webhook_enabled(app.core_app(), id, true).await.unwrap());
    let got = receiver.wait_for(5).await;
    let users: Vec<String> =
        got[3..].iter().map(|r| r.json()["data"]["user"]["external_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(users, ["alice", "bob"]);
    // A 4xx other than 408 and 429 is the receiver's final word: not retried.
    receiver.answer(&[422]);
    app.qiscus_user("carol", "Carol").await;
    receiver.wait_for(6).await;
    app.qiscus_user("dave", "Dave").await;
    let got = receiver.wait_for(7).await;
    assert_eq!(got[6].json()["data"]["user"]["external_id"], "dave");
    receiver.stays_at(7).await;
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (id, _) = add(&app, receiver.url("/"), "palaver", &[]).await;
    app.qiscus_user("alice", "Alice").await;
    let mut hook = None;
    for _ in 0..100 {
        let h = app.core.webhooks(Some(app.core_app())).await.unwrap().into_iter().find(|h| h.id == id).unwrap();
        if !h.enabled {
            hook = Some(h);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hook = hook.expect("the endpoint is disabled");
    assert!(hook.disabled_reason.contains("webhook_allow_private"), "{}", hook.disabled_reason);
    assert!(receiver.received().is_empty());
    // A name resolving to loopback is refused too, after resolution.
    let by_name = format!("http://localhost:{}/", receiver.addr.port());
    let (named, _) = add(&app, by_name, "palaver", &[]).await;
    app.qiscus_user("bob", "Bob").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let h = app.core.webhooks(Some(app.core_app())).await.unwrap().into_iter().find(|h| h.id == named).unwrap();
    assert!(!h.enabled && h.disabled_reason.contains("localhost"), "{}", h.disabled_reason);
    assert!(receiver.received().is_empty());
}
