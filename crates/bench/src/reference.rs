//! Reference ceilings measured in the same run on the same machine: raw NATS publish/subscribe
//! fan-out next to Palaver's fan-out, and a plain batched SQLite insert loop next to Palaver's
//! durable sends, so the report shows how close Palaver comes to what the machine can do.

use crate::report::Outcome;
use futures_util::StreamExt;
use serde_json::json;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runs both ceilings.
pub async fn run(secs: u64, smoke: bool, subscribers: usize) -> Result<Vec<Outcome>, String> {
    let subscribers = if smoke { 5 } else { subscribers };
    let mut out = Vec::new();
    match nats_fanout(secs, subscribers).await {
        Ok(o) => out.push(o),
        Err(e) => eprintln!("raw NATS ceiling skipped: {e}"),
    }
    let rows = tokio::task::spawn_blocking(move || sqlite_inserts(secs)).await.map_err(|e| e.to_string())??;
    out.push(rows);
    Ok(out)
}

/// A payload as large as a Palaver message event.
fn payload() -> bytes::Bytes {
    bytes::Bytes::from(vec![b'x'; 1400])
}

async fn nats_fanout(secs: u64, subscribers: usize) -> Result<Outcome, String> {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let mut server = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start nats-server: {e}"))?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = format!("nats://127.0.0.1:{port}");
    let received = Arc::new(AtomicU64::new(0));
    let mut subs = Vec::new();
    for _ in 0..subscribers {
        let client = async_nats::connect(&url).await.map_err(|e| e.to_string())?;
        let mut sub = client.subscribe("bench.fanout").await.map_err(|e| e.to_string())?;
        let count = received.clone();
        subs.push(tokio::spawn(async move {
            let _keep = client;
            while sub.next().await.is_some() {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let publisher = async_nats::connect(&url).await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut published = 0u64;
    let body = payload();
    while Instant::now() < deadline {
        for _ in 0..64 {
            publisher.publish("bench.fanout", body.clone()).await.map_err(|e| e.to_string())?;
            published += 1;
        }
        publisher.flush().await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let delivered = received.load(Ordering::Relaxed);
    subs.iter().for_each(|s| s.abort());
    let _ = server.kill();
    let _ = server.wait();
    Ok(Outcome {
        scenario: "ref-nats".into(),
        load: json!({"subscribers": subscribers, "payload_bytes": 1400, "seconds": secs}),
        metrics: json!({"published": published, "delivered": delivered, "deliveries_per_s": (delivered as f64 / elapsed).round()}),
        target: "reference ceiling for fan-out".into(),
        met: None,
        exactly_once: None,
        cpu: None,
    })
}

fn sqlite_inserts(secs: u64) -> Result<Outcome, String> {
    let dir = std::env::temp_dir().join(format!("palaver-bench-sqlite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("reference.db");
    let conn = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE messages (id INTEGER PRIMARY KEY, room_id INTEGER, \
         sender_id INTEGER, local_id TEXT, body TEXT, created INTEGER); CREATE INDEX messages_by_room ON messages (room_id, id);",
    )
    .map_err(|e| e.to_string())?;
    let batch = 256;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut rows = 0u64;
    while Instant::now() < deadline {
        let tx = conn.unchecked_transaction().map_err(|e| e.to_string())?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO messages (room_id, sender_id, local_id, body, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| e.to_string())?;
            for _ in 0..batch {
                rows += 1;
                stmt.execute(rusqlite::params![
                    (rows % 500) as i64,
                    (rows % 1000) as i64,
                    format!("local-{rows}"),
                    "benchmark message",
                    rows as i64
                ])
                .map_err(|e| e.to_string())?;
            }
        }
        tx.commit().map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Outcome {
        scenario: "ref-sqlite".into(),
        load: json!({"rows_per_transaction": batch, "synchronous": "FULL", "journal": "WAL", "seconds": secs}),
        metrics: json!({"rows": rows, "rows_per_s": (rows as f64 / elapsed).round()}),
        target: "reference ceiling for durable writes".into(),
        met: None,
        exactly_once: None,
        cpu: None,
    })
}

/// Adds Palaver-to-ceiling ratios to the fan-out and durable outcomes.
pub fn add_ratios(outcomes: &mut [Outcome]) {
    let metric = |outcomes: &[Outcome], scenario: &str, key: &str| {
        outcomes.iter().find(|o| o.scenario == scenario).and_then(|o| o.metrics[key].as_f64())
    };
    let pairs = [
        ("fanout", "deliveries_per_s", "ref-nats", "deliveries_per_s", "ratio_to_raw_nats"),
        ("durable", "acks_per_s", "ref-sqlite", "rows_per_s", "ratio_to_batched_sqlite"),
    ];
    for (scenario, key, reference, ref_key, name) in pairs {
        if let (Some(ours), Some(theirs)) = (metric(outcomes, scenario, key), metric(outcomes, reference, ref_key))
            && let Some(o) = outcomes.iter_mut().find(|o| o.scenario == scenario)
        {
            o.metrics[name] = json!(((ours / theirs) * 1000.0).round() / 1000.0);
        }
    }
}
