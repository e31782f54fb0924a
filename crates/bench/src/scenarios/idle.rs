//! `idle`: ramp up authenticated WebSocket connections and measure the connect rate and the
//! server's resident memory per connection.

use crate::api::Api;
use crate::load;
use crate::report::Outcome;
use crate::server::Server;
use serde_json::json;
use std::time::Duration;

/// Shape of the idle load.
pub struct Idle {
    /// Connections to hold.
    pub connections: usize,
    /// Distinct users (connections are spread over them like devices).
    pub users: usize,
    /// Loopback source addresses.
    pub sources: usize,
    /// Connection attempts in flight at once.
    pub concurrency: usize,
}

/// Runs the scenario.
pub async fn run(server: &Server, api: &Api, shape: Idle, enforce: bool) -> Result<Outcome, String> {
    let logins = load::logins(api, "idle-", shape.users, 64).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.rss_kib();
    let who: Vec<usize> = (0..shape.connections).map(|i| i % shape.users.max(1)).collect();
    let (conns, rate) =
        load::connect_all(api, |_| server.addr, &logins, &who, shape.sources, shape.concurrency).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (after, per_conn) = server.bytes_per_connection(before, conns.len());
    let held = conns.len();
    drop(conns);
    let met = per_conn.map(|p| held >= 100_000 && p <= 12.0 * 1024.0);
    Ok(Outcome {
        scenario: "idle".into(),
        load: json!({"connections": shape.connections, "users": shape.users, "sources": shape.sources, "connect_concurrency": shape.concurrency,
                     "server": server.describe()}),
        metrics: json!({
            "connections_held": held,
            "connect_rate_per_s": rate.round(),
            "server_rss_before_kib": before,
            "server_rss_after_kib": after,
            "server_bytes_per_connection": per_conn.map(f64::round),
        }),
        target: "100,000 idle connections at <= 12 KiB server RSS each".into(),
        met: if enforce { met } else { None },
        exactly_once: None,
        cpu: None,
    })
}
