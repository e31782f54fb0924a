//! `direct`: pairs of users chatting in personal rooms. First the most the server sustains
//! (every connection keeps a window of unacknowledged messages), then an open-loop run at
//! half that rate, measuring send-to-receive latency.

use crate::api::Api;
use crate::load;
use crate::report::{CpuMeter, Latency, Outcome};
use crate::server::Server;
use crate::traffic::Traffic;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Unacknowledged messages a connection may have out.
const WINDOW: usize = 16;

/// Sends from every connection as fast as the window allows for `secs`; returns messages sent.
pub async fn closed_loop(traffic: &Arc<Traffic>, rooms: &[(String, u8)], secs: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..rooms.len())
        .map(|conn| {
            let (t, (room, kind)) = (traffic.clone(), rooms[conn].clone());
            tokio::spawn(async move {
                let mut sent = 0;
                while Instant::now() < deadline {
                    if !t.send(conn, &room, kind, sent, None).await {
                        break;
                    }
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

/// Sends `rate` messages per second in all, spread evenly over the connections, for `secs`;
/// each message's send time is its scheduled time (no coordinated omission). Returns sent.
pub async fn open_loop(traffic: &Arc<Traffic>, rooms: &[(String, u8)], rate: u64, secs: u64) -> u64 {
    let n = rooms.len().max(1) as f64;
    let period = Duration::from_secs_f64(n / rate.max(1) as f64);
    let tasks: Vec<_> = (0..rooms.len())
        .map(|conn| {
            let (t, (room, kind)) = (traffic.clone(), rooms[conn].clone());
            let offset = period.mul_f64(conn as f64 / n);
            tokio::spawn(async move {
                let first = tokio::time::Instant::now() + offset;
                let mut tick = tokio::time::interval_at(first, period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let end = first + Duration::from_secs(secs);
                let mut sent = 0;
                loop {
                    let at = tick.tick().await;
                    if at >= end || !t.send(conn, &room, kind, sent, Some(at.into_std())).await {
                        break;
                    }
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

/// How long to wait after the last send for the deliveries still on their way: longer with
/// several nodes, where an event NATS could not carry is caught up from the log.
pub fn settle_timeout(server: &Server) -> Duration {
    Duration::from_secs(if server.addrs.len() > 1 { 10 } else { 2 })
}

/// Runs the scenario; `rate` 0 measures the maximum first and then runs at half of it. With
/// several nodes, connection `i` goes to node `i % nodes`, so a pair's users are on different
/// nodes (with two) and every message crosses nodes.
pub async fn run(
    server: &Server,
    pairs: usize,
    rate: u64,
    secs: u64,
    sources: usize,
    enforce: bool,
) -> Result<Outcome, String> {
    let api = Api::new(server.addr, server.creds.clone());
    let logins = load::logins(&api, "direct-", pairs * 2, 64).await?;
    let who: Vec<usize> = (0..pairs * 2).collect();
    let (conns, _) = load::connect_all(&api, |i| server.node(i), &logins, &who, sources, 256).await?;
    let rooms: Vec<(String, u8)> =
        (0..pairs * 2).map(|i| (load::personal(&logins[i].user_id, &logins[i ^ 1].user_id), 1)).collect();
    let traffic = Arc::new(Traffic::start(conns, WINDOW));

    let (max_rate, max_cpu) = if rate == 0 {
        let meter = CpuMeter::start(server);
        let started = Instant::now();
        let sent = closed_loop(&traffic, &rooms, secs).await;
        let elapsed = started.elapsed();
        traffic.settle(sent, sent, settle_timeout(server)).await;
        let cpu = meter.stop(server, traffic.delivered(), traffic.acks());
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (delivered, _, _) = traffic.deliveries();
        ((delivered as f64 / elapsed.as_secs_f64()) as u64, cpu)
    } else {
        (rate * 2, None)
    };
    traffic.reset();
    let target = (max_rate / 2).max(1);
    let meter = CpuMeter::start(server);
    let sent = open_loop(&traffic, &rooms, target, secs).await;
    traffic.settle(sent, sent, settle_timeout(server)).await;
    let cpu = meter.stop(server, traffic.delivered(), traffic.acks());
    // Time for anything delivered twice to arrive too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (delivered, duplicates, latency) = traffic.deliveries();
    let latency = Latency::of(&latency);
    let exactly_once = delivered == sent && duplicates == 0;
    Ok(Outcome {
        scenario: "direct".into(),
        load: json!({"pairs": pairs, "connections": pairs * 2, "window_per_connection": WINDOW, "measured_max_rate_per_s": max_rate,
                     "open_loop_rate_per_s": target, "seconds": secs, "sources": sources, "server": server.describe()}),
        metrics: json!({"max_deliveries_per_s": max_rate, "sent": sent, "delivered": delivered, "duplicates": duplicates,
                        "achieved_per_s": (delivered as f64 / secs as f64).round(), "latency": latency,
                        "cpu_open_loop": cpu, "cpu_max_phase": max_cpu}),
        target: "send-to-receive p99 <= 20 ms at half the maximum rate".into(),
        met: enforce.then_some(latency.p99_ms <= 20.0),
        exactly_once: Some(exactly_once),
        cpu,
    })
}
