//! `durable`: many connections each send a message and wait for its acknowledgement (the
//! echo, which the server sends only after the commit) before sending the next.

use super::direct::closed_loop;
use crate::api::Api;
use crate::load;
use crate::report::{CpuMeter, Latency, Outcome};
use crate::server::Server;
use crate::traffic::Traffic;
use futures_util::StreamExt;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs the scenario with `senders` connections.
pub async fn run(server: &Server, senders: usize, secs: u64, sources: usize, enforce: bool) -> Result<Outcome, String> {
    let api = Api::new(server.addr, server.creds.clone());
    let logins = load::logins(&api, "durable-", senders, 64).await?;
    // Each sender writes to a partner who is not connected: the cost measured is the commit.
    futures_util::stream::iter(0..senders)
        .map(|i| {
            let api = api.clone();
            async move {
                api.server(
                    "/v1/server/user/update",
                    json!({"xcUserID": format!("durable-partner-{i}"), "fullName": "Partner"}),
                )
                .await
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let partners = futures_util::stream::iter(0..senders)
        .map(|i| {
            let api = api.clone();
            async move { api.server("/v1/server/user/get", json!({"xcUserID": format!("durable-partner-{i}")})).await }
        })
        .buffered(64)
        .collect::<Vec<_>>()
        .await;
    let mut rooms = Vec::new();
    for (i, p) in partners.into_iter().enumerate() {
        let partner = p?["user"]["userID"].as_str().unwrap_or_default().to_string();
        rooms.push((load::personal(&logins[i].user_id, &partner), 1u8));
    }
    let who: Vec<usize> = (0..senders).collect();
    let (conns, _) = load::connect_all(&api, |_| server.addr, &logins, &who, sources, 256).await?;
    let traffic = Arc::new(Traffic::start(conns, 1));
    let meter = CpuMeter::start(server);
    let started = Instant::now();
    let sent = closed_loop(&traffic, &rooms, secs).await;
    let elapsed = started.elapsed().as_secs_f64();
    traffic.settle(0, sent, Duration::from_secs(1)).await;
    let cpu = meter.stop(server, 0, traffic.acks());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let acks = traffic.ack_latency();
    let per_s = acks.len() as f64 / elapsed;
    let latency = Latency::of(&acks);
    // Every acknowledged message is stored once: the partners' unread counts add up.
    let mut stored = 0;
    for i in 0..senders {
        let list =
            api.server("/v1/server/room/get_list_by_user", json!({"xcUserID": format!("durable-partner-{i}")})).await?;
        stored += list["rooms"]
            .as_array()
            .map_or(0, |r| r.iter().map(|x| x["unreadCount"].as_u64().unwrap_or(0)).sum::<u64>());
    }
    Ok(Outcome {
        scenario: "durable".into(),
        load: json!({"senders": senders, "outstanding_per_sender": 1, "seconds": secs, "sources": sources,
                     "acknowledged": "after the commit (and on SQLite the fdatasync of the write-ahead log)",
                     "server": server.describe()}),
        metrics: json!({"sent": sent, "acknowledged": acks.len(), "stored": stored, "acks_per_s": per_s.round(), "ack_latency": latency}),
        target: ">= 10,000 durable sends per second with p99 <= 25 ms".into(),
        met: enforce.then_some(per_s >= 10_000.0 && latency.p99_ms <= 25.0),
        exactly_once: Some(stored == sent && acks.len() == sent),
        cpu,
    })
}
