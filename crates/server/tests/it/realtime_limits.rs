//! Realtime connections under pressure: a client that stops reading, a user opening socket
//! after socket, an app at its cap.

use crate::support::TestApp;
use futures_util::future::join_all;
use palaver_domain::{AppId, UserId};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout_and_goes_offline() {
    let app = TestApp::spawn_with(|s| {
        // Neither the outbox nor the silence check may be what drops it: only the write timeout.
        s.core.outbox_limit_bytes = 1 << 30;
        s.core.ping_interval_ms = 600_000;
        s.core.write_timeout_ms = 1_000;
    })
    .await;
    app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let (app_id, bob_id) = (AppId(app.creds.app_id), UserId(bob.user_id.parse().unwrap()));
    let stalled = app.ws(&bob).await;
    // The server registers the connection just after the handshake the client saw complete.
    let registered = Instant::now();
    while !app.core.hub().is_online(app_id, bob_id) && registered.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(app.core.hub().is_online(app_id, bob_id));
    let body = "x".repeat(3900);
    let started = Instant::now();
    while app.core.hub().is_online(app_id, bob_id) && started.elapsed() < Duration::from_secs(60) {
        let sends = (0..50).map(|_| {
            app.server(
                "/v1/server/message/send/custom",
                json!({"messageType": 1001, "body": body, "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
            )
        });
        join_all(sends).await;
    }
    assert!(!app.core.hub().is_online(app_id, bob_id), "bob never read and still shows online");
    drop(stalled);
}

#[tokio::test]
async fn a_user_at_the_cap_loses_the_oldest_socket_to_the_newest() {
    let app = TestApp::spawn_with(|s| s.core.max_connections_per_user = 2).await;
    let bob = app.login("bob", "Bob").await;
    let (app_id, bob_id) = (AppId(app.creds.app_id), UserId(bob.user_id.parse().unwrap()));
    let mut first = app.ws(&bob).await;
    let mut second = app.ws(&bob).await;
    let mut third = app.ws(&bob).await;
    assert!(first.closed_within(Duration::from_secs(5)).await, "the oldest is closed");
    assert_eq!(app.core.hub().connections_of(app_id, bob_id).len(), 2);
    assert!(app.core.hub().is_online(app_id, bob_id));
    app.login("alice", "Alice").await;
    app.server_ok(
        "/v1/server/message/send/custom",
        json!({"messageType": 1001, "body": "hi", "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
    )
    .await;
    second.expect("chat/sendMessage").await;
    third.expect("chat/sendMessage").await;
}

#[tokio::test]
async fn an_app_at_its_cap_is_refused_another_socket_in_its_dialect() {
    let app = TestApp::spawn_with(|s| s.core.max_connections_per_app = 1).await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let _held = app.ws(&alice).await;
    let url = format!(
        "ws://{}/connect?app_key={}&authorization=Bearer%20{}",
        app.addr,
        crate::client_support::urlencode(&app.creds.app_key),
        bob.access
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let body: serde_json::Value = serde_json::from_slice(res.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!((body["status"].clone(), body["error"]["code"].clone()), (json!(503), json!("50300")));
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| "an open socket")),
    }
    // Another app is not affected.
    let other = app.create_app("other").await;
    let other_api = crate::support::Endpoint::new(app.addr, other);
    let carol = other_api.login("carol", "Carol").await;
    let _carol_ws = other_api.ws(&carol).await;
}
