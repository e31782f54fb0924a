//! The Qiscus realtime over MQTT: `mqtt-idle` holds subscribed connections and measures the
//! server's memory per connection; `mqtt-fanout` posts into rooms of subscribed members through
//! the Qiscus client API and counts what arrives on every member's `<token>/c`.

use crate::api::Api;
use crate::load::{self, source};
use crate::mqtt::Mqtt;
use crate::report::{CpuMeter, Latency, Outcome, histogram};
use crate::server::Server;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use rumqttc::mqttbytes::v4::Packet;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Posts in flight per room's sender.
const WINDOW: usize = 16;

/// Registers users `<prefix>0..n` and returns their tokens.
async fn tokens(api: &Api, prefix: &str, n: usize) -> Result<Vec<String>, String> {
    let got: Vec<(usize, Result<String, String>)> = futures_util::stream::iter(0..n)
        .map(|i| {
            let api = api.clone();
            async move { (i, api.qiscus_token(&format!("{prefix}{i}")).await) }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut out = vec![String::new(); n];
    for (i, t) in got {
        out[i] = t?;
    }
    Ok(out)
}

/// Opens one subscribed connection per entry of `who` (indexes into `tokens`).
async fn connect(
    server: &Server,
    tokens: &[String],
    who: &[usize],
    sources: usize,
) -> Result<(Vec<Mqtt>, f64), String> {
    let started = Instant::now();
    let got: Vec<(usize, std::io::Result<Mqtt>)> = futures_util::stream::iter(who.iter().copied().enumerate())
        .map(|(i, user)| {
            let topic = format!("{}/c", tokens[user]);
            let addr = server.mqtt;
            async move { (i, Mqtt::connect(source(i, sources), addr, &format!("bench_{i}"), &topic).await) }
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let rate = who.len() as f64 / started.elapsed().as_secs_f64();
    let mut out: Vec<Option<Mqtt>> = (0..who.len()).map(|_| None).collect();
    for (i, m) in got {
        out[i] = Some(m.map_err(|e| format!("MQTT connection {i}: {e}"))?);
    }
    Ok((out.into_iter().flatten().collect(), rate))
}

/// `mqtt-idle`: `connections` subscribed MQTT connections of `connections / 10` users.
pub async fn idle(server: &Server, connections: usize, sources: usize, enforce: bool) -> Result<Outcome, String> {
    let api = Api::new(server.addr, server.creds.clone());
    let users = (connections / 10).max(1);
    let tokens = tokens(&api, "mqtt-idle-", users).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.rss_kib();
    let who: Vec<usize> = (0..connections).map(|i| i % users).collect();
    let (conns, rate) = connect(server, &tokens, &who, sources).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (after, per_conn) = server.bytes_per_connection(before, conns.len());
    let held = conns.len();
    drop(conns);
    Ok(Outcome {
        scenario: "mqtt-idle".into(),
        load: json!({"connections": connections, "users": users, "sources": sources, "transport": "MQTT over TCP"}),
        metrics: json!({
            "connections_held": held,
            "connect_rate_per_s": rate.round(),
            "server_rss_before_kib": before,
            "server_rss_after_kib": after,
            "server_bytes_per_connection": per_conn.map(f64::round),
        }),
        target: "idle MQTT connections at <= 12 KiB server RSS each, like TapTalk WebSockets".into(),
        met: if enforce { per_conn.map(|p| p <= 12.0 * 1024.0) } else { None },
        exactly_once: None,
        cpu: None,
    })
}

/// What the receivers saw: deliveries per comment unique id, and their latencies.
#[derive(Default)]
struct Seen {
    per_message: HashMap<String, u32>,
    latency: Option<Histogram<u64>>,
}

/// `mqtt-fanout`: `rooms` groups of `members` subscribed members; one member of each posts
/// through the client API with [`WINDOW`] posts in flight, for `secs`.
pub async fn fanout(
    server: &Server,
    rooms: usize,
    members: usize,
    secs: u64,
    sources: usize,
    enforce: bool,
) -> Result<Outcome, String> {
    let api = Api::new(server.addr, server.creds.clone());
    let n = rooms * members;
    let tokens = tokens(&api, "mqtt-fan-", n).await?;
    let room_ids = load::groups(&api, "mqtt-fanout", "mqtt-fan-", rooms, members).await?;
    let (conns, _) = connect(server, &tokens, &(0..n).collect::<Vec<_>>(), sources).await?;
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen: Arc<Mutex<Seen>> = Arc::new(Mutex::new(Seen { latency: Some(histogram()), ..Seen::default() }));
    let readers: Vec<_> = conns
        .into_iter()
        .map(|mut m| {
            let (sent_at, seen) = (sent_at.clone(), seen.clone());
            tokio::spawn(async move {
                while let Ok(p) = m.next().await {
                    let Packet::Publish(p) = p else { continue };
                    let Some(id) = unique_id(&p.payload) else { continue };
                    let at = sent_at.lock().unwrap_or_else(|e| e.into_inner()).get(&id).copied();
                    let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                    *s.per_message.entry(id).or_default() += 1;
                    if let (Some(at), Some(h)) = (at, s.latency.as_mut()) {
                        let _ = h.record(at.elapsed().as_micros() as u64);
                    }
                }
            })
        })
        .collect();
    let meter = CpuMeter::start(server);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let senders: Vec<_> = (0..rooms)
        .flat_map(|r| (0..WINDOW).map(move |w| (r, w)))
        .map(|(r, w)| {
            let (api, token, room, sent_at) =
                (api.clone(), tokens[r * members].clone(), room_ids[r].clone(), sent_at.clone());
            tokio::spawn(async move {
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    let id = format!("b-{r}-{w}-{sent}");
                    sent_at.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), Instant::now());
                    if api.qiscus_post(&token, &room, &id).await.is_err() {
                        break;
                    }
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    let mut sent = 0;
    for s in senders {
        sent += s.await.unwrap_or(0);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let count =
        || -> u64 { seen.lock().unwrap_or_else(|e| e.into_inner()).per_message.values().map(|n| u64::from(*n)).sum() };
    let settle = Instant::now() + Duration::from_secs(2);
    while count() < sent * members as u64 && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu = meter.stop(server, count(), sent);
    tokio::time::sleep(Duration::from_millis(500)).await;
    readers.iter().for_each(|r| r.abort());
    let s = seen.lock().unwrap_or_else(|e| e.into_inner());
    let delivered: u64 = s.per_message.values().map(|n| u64::from(*n)).sum();
    let exactly_once = s.per_message.len() as u64 == sent && s.per_message.values().all(|n| *n as usize == members);
    let per_s = delivered as f64 / elapsed;
    let latency = s.latency.as_ref().map(Latency::of);
    Ok(Outcome {
        scenario: "mqtt-fanout".into(),
        load: json!({"rooms": rooms, "members_per_room": members, "connections": n, "senders": rooms,
                     "posts_in_flight_per_sender": WINDOW, "seconds": secs, "sources": sources,
                     "send": "Qiscus client API post_comment over HTTP", "receive": "MQTT <token>/c"}),
        metrics: json!({"messages_sent": sent, "deliveries": delivered, "deliveries_per_s": per_s.round(), "latency": latency}),
        target: "every member receives every comment once".into(),
        met: enforce.then_some(exactly_once),
        exactly_once: Some(exactly_once),
        cpu,
    })
}

/// The `unique_temp_id` of a comment payload, found without parsing the whole JSON.
fn unique_id(payload: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(payload).ok()?;
    let start = text.find("\"unique_temp_id\":\"")? + 18;
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_string())
}
