//! `fanout`: rooms of many members, all connected; one member of each room sends as fast as
//! its window allows and every member receives each message. With several nodes the members
//! of each room are spread over them, senders included, so every message crosses nodes.

use super::direct::settle_timeout;
use crate::api::Api;
use crate::load;
use crate::report::{CpuMeter, Latency, Outcome};
use crate::server::Server;
use crate::traffic::Traffic;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Unacknowledged messages a room's sender may have out.
const WINDOW: usize = 64;

/// Runs the scenario.
pub async fn run(
    server: &Server,
    rooms: usize,
    members: usize,
    secs: u64,
    sources: usize,
    enforce: bool,
) -> Result<Outcome, String> {
    let api = Api::new(server.addr, server.creds.clone());
    let logins = load::logins(&api, "fan-", rooms * members, 64).await?;
    let room_ids = load::groups(&api, "fanout", "fan-", rooms, members).await?;
    let who: Vec<usize> = (0..rooms * members).collect();
    // Member m of room r on node (m + r) % nodes: room r's sender on node r % nodes.
    let node = |i: usize| server.node(i % members + i / members);
    let (conns, _) = load::connect_all(&api, node, &logins, &who, sources, 256).await?;
    let traffic = Arc::new(Traffic::start(conns, WINDOW));
    tokio::time::sleep(Duration::from_millis(500)).await;
    traffic.reset();
    // Connection r * members sends in room r; the others only receive.
    let senders: Vec<(String, u8)> = (0..rooms * members)
        .map(|i| if i % members == 0 { (room_ids[i / members].clone(), 2) } else { (String::new(), 0) })
        .collect();
    let meter = CpuMeter::start(server);
    let started = Instant::now();
    let sent = closed_loop_senders(&traffic, &senders, secs).await;
    let elapsed = started.elapsed().as_secs_f64();
    traffic.settle(sent * (members as u64 - 1), sent, settle_timeout(server)).await;
    let cpu = meter.stop(server, traffic.delivered(), traffic.acks());
    // Time for anything delivered twice to arrive too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (delivered, duplicates, latency) = traffic.deliveries();
    let acks = traffic.ack_latency().len();
    let per_s = (delivered + acks) as f64 / elapsed;
    let exactly_once = delivered == sent * (members as u64 - 1) && duplicates == 0;
    Ok(Outcome {
        scenario: "fanout".into(),
        load: json!({"rooms": rooms, "members_per_room": members, "connections": rooms * members, "senders": rooms,
                     "window_per_sender": WINDOW, "seconds": secs, "sources": sources, "server": server.describe()}),
        metrics: json!({"messages_sent": sent, "deliveries": delivered + acks, "duplicates": duplicates,
                        "deliveries_per_s": per_s.round(), "latency": Latency::of(&latency)}),
        target: ">= 250,000 deliveries per second".into(),
        met: enforce.then_some(per_s >= 250_000.0),
        exactly_once: Some(exactly_once),
        cpu,
    })
}

/// Sends from the connections that have a room, as fast as their windows allow, for `secs`.
async fn closed_loop_senders(traffic: &Arc<Traffic>, rooms: &[(String, u8)], secs: u64) -> u64 {
    let only: Vec<usize> = rooms.iter().enumerate().filter(|(_, r)| !r.0.is_empty()).map(|(i, _)| i).collect();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = only
        .into_iter()
        .map(|conn| {
            let (t, (room, kind)) = (traffic.clone(), rooms[conn].clone());
            tokio::spawn(async move {
                let mut sent = 0;
                while Instant::now() < deadline && t.send(conn, &room, kind, sent, None).await {
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    total
}
