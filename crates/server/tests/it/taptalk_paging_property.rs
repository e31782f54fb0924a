//! A property of TapTalk history paging: whatever interleaving of sends from several
//! clients (sockets and the Server API at once, in bursts that share milliseconds), paging
//! a room back (`before`) or forward (`after`) from any message with any page size returns
//! every message on that side exactly once, in order. Each run draws a new random case and
//! prints its seed, so a failure can be replayed with `PALAVER_PAGING_SEED`.

use crate::client_support::{Session, Ws, sdk_message};
use crate::support::TestApp;
use serde_json::{Value, json};

/// A small deterministic generator (xorshift64*), enough to draw cases.
struct Rng(u64);

impl Rng {
    fn new() -> (Rng, u64) {
        let seed = std::env::var("PALAVER_PAGING_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            (nanos as u64) | 1
        });
        (Rng(seed), seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Sends `n` messages on `ws` without waiting between them, then waits for their echoes.
async fn socket_burst(ws: &mut Ws, room: &str, prefix: &str, n: usize) {
    for i in 0..n {
        let local = format!("{prefix}-{i}");
        ws.send("chat/sendMessage", sdk_message(room, 2, &local, &local)).await;
    }
    let mut echoed = 0;
    while echoed < n {
        let m = ws.expect("chat/sendMessage").await;
        if m["localID"].as_str().is_some_and(|l| l.starts_with(&format!("{prefix}-"))) {
            echoed += 1;
        }
    }
}

/// Sends `n` messages through the Server API, all at once.
async fn backend_burst(app: &TestApp, prefix: &str, n: usize) {
    let sends = (0..n).map(|i| {
        let body = json!({"xcRoomID": "busy", "senderXCUserID": "carol", "messageType": 1001, "body": format!("{prefix}-{i}")});
        app.server_ok("/v1/server/message/send/custom", body)
    });
    futures_util::future::join_all(sends).await;
}

async fn page(app: &TestApp, s: &Session, path: &str, body: Value) -> (Vec<(String, i64)>, bool) {
    let d = app.client_ok(s, path, body).await;
    let list = d["messages"].as_array().unwrap();
    let got =
        list.iter().map(|m| (m["messageID"].as_str().unwrap().to_string(), m["created"].as_i64().unwrap())).collect();
    (got, d["hasMore"] == true)
}

#[tokio::test]
async fn any_interleaving_pages_back_and_forth_from_any_point_without_loss() {
    let (mut rng, seed) = Rng::new();
    println!("PALAVER_PAGING_SEED={seed}");
    let app = TestApp::spawn().await;
    let alice = app.login("alice", "Alice").await;
    let bob = app.login("bob", "Bob").await;
    let carol = app.login("carol", "Carol").await;
    let room =
        json!({"xcRoomID": "busy", "type": 2, "name": "Busy", "participantXCUserIDs": ["alice", "bob", "carol"]});
    let d = app.server_ok("/v1/server/room/create_or_update", room).await;
    let room = d["room"]["roomID"].as_str().unwrap().to_string();
    let (mut a, mut b) = (app.ws(&alice).await, app.ws(&bob).await);

    // Three rounds of bursts from three senders at once, of random sizes.
    for round in 0..3 {
        let (na, nb, nc) = (1 + rng.below(25) as usize, 1 + rng.below(25) as usize, 1 + rng.below(25) as usize);
        let (ra, rb, rc) = (format!("a{round}"), format!("b{round}"), format!("c{round}"));
        tokio::join!(
            socket_burst(&mut a, &room, &ra, na),
            socket_burst(&mut b, &room, &rb, nb),
            backend_burst(&app, &rc, nc),
        );
    }

    // The whole history, newest first, in pages of the largest size.
    let before = "/v1/chat/message/list_by_room/before";
    let mut all: Vec<(String, i64)> = Vec::new();
    let mut cursor = 0;
    loop {
        let (got, more) = page(&app, &carol, before, json!({"roomID": room, "maxCreated": cursor, "limit": 100})).await;
        all.extend(got.iter().cloned());
        match got.last() {
            Some(last) if more => cursor = last.1,
            _ => break,
        }
    }
    let distinct: std::collections::HashSet<&String> = all.iter().map(|m| &m.0).collect();
    assert_eq!(distinct.len(), all.len(), "seed {seed}: no message twice");
    assert!(all.windows(2).all(|w| w[0].1 > w[1].1), "seed {seed}: created strictly decreases");
    let sent = all.iter().filter(|m| !m.0.is_empty()).count();
    assert!(sent >= 9, "seed {seed}: every burst is in the history");

    for _ in 0..12 {
        let start = rng.below(all.len() as u64) as usize;
        let limit = 1 + rng.below(40) as i64;
        // Back from just before `start`: every message from `start` on, newest first.
        let mut cursor = if start == 0 { 0 } else { all[start - 1].1 };
        let mut seen = Vec::new();
        loop {
            let body = json!({"roomID": room, "maxCreated": cursor, "limit": limit});
            let (got, more) = page(&app, &alice, before, body).await;
            seen.extend(got.iter().map(|m| m.0.clone()));
            match got.last() {
                Some(last) if more => cursor = last.1,
                _ => break,
            }
        }
        let want: Vec<String> = all[start..].iter().map(|m| m.0.clone()).collect();
        assert_eq!(seen, want, "seed {seed}: before, from {start} by {limit}");

        // Forward from message `start`: every newer message, each page the oldest first
        // `limit` of what is left (newest first within the page).
        let mut cursor = all[start].1;
        let mut seen: Vec<String> = Vec::new();
        loop {
            let body = json!({"roomID": room, "minCreated": cursor, "lastUpdated": cursor, "limit": limit});
            let (got, more) = page(&app, &bob, "/v1/chat/message/list_by_room/after", body).await;
            seen.extend(got.iter().rev().map(|m| m.0.clone()));
            match got.first() {
                Some(newest) if more => cursor = newest.1,
                _ => break,
            }
        }
        let want: Vec<String> = all[..start].iter().rev().map(|m| m.0.clone()).collect();
        assert_eq!(seen, want, "seed {seed}: after, from {start} by {limit}");
    }
}
