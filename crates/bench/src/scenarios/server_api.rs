//! `server-api`: the customer backend's hot calls, `message/send/custom` and
//! `room/get_list_by_user`, each from many concurrent requests.

use crate::api::Api;
use crate::report::{Cpu, CpuMeter, Latency, Outcome, histogram};
use crate::server::Server;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `concurrency` request loops of `call(i)` for `secs`, or until every `i` below `limit`
/// was called once; returns requests per second, failures and latency.
pub async fn hammer<F, Fut>(concurrency: usize, secs: u64, limit: Option<u64>, call: F) -> (f64, u64, Latency)
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<usize, String>> + Send,
{
    let hist = Arc::new(Mutex::new(histogram()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let (call, hist) = (call.clone(), hist.clone());
            tokio::spawn(async move {
                let (mut ok, mut failed, mut i) = (0u64, 0u64, w as u64);
                let mut local = histogram();
                while Instant::now() < deadline && limit.is_none_or(|n| i < n) {
                    let t = Instant::now();
                    match call(i).await {
                        Ok(_) => ok += 1,
                        Err(_) => failed += 1,
                    }
                    let _ = local.record((t.elapsed().as_micros() as u64).max(1));
                    i += concurrency as u64;
                }
                let _ = hist.lock().unwrap_or_else(|p| p.into_inner()).add(&local);
                (ok, failed)
            })
        })
        .collect();
    let (mut ok, mut failed) = (0, 0);
    for t in tasks {
        let (o, f) = t.await.unwrap_or((0, 1));
        ok += o;
        failed += f;
    }
    let h = hist.lock().unwrap_or_else(|p| p.into_inner()).clone();
    (ok as f64 / started.elapsed().as_secs_f64(), failed, Latency::of(&h))
}

/// Logs every user in and marks everything it has received as read.
async fn read_everything(api: &Api, users: usize) -> Result<(), String> {
    let logins = crate::load::logins(api, "api-", users, 32).await?;
    futures_util::stream::iter(logins)
        .map(|login| {
            let api = api.clone();
            async move {
                let list = api.client(&login, "/v1/chat/message/room_list_and_unread", json!("")).await?;
                let ids: Vec<String> = list["messages"]
                    .as_array()
                    .map(|m| m.iter().filter_map(|m| m["messageID"].as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                api.client(&login, "/v1/chat/message/feedback/read", json!({ "messageIDs": ids })).await
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(())
}

/// Runs the scenario: `users` users, each in `2 * neighbours` personal rooms.
pub async fn run(
    server: &Server,
    secs: u64,
    smoke: bool,
    concurrency: usize,
    enforce: bool,
) -> Result<Outcome, String> {
    let api = Api::new(server.addr, server.creds.clone());
    let users: u64 = if smoke { 20 } else { 200 };
    let neighbours: u64 = if smoke { 2 } else { 5 };
    futures_util::stream::iter(0..users)
        .map(|i| {
            let api = api.clone();
            async move {
                api.server(
                    "/v1/server/user/update",
                    json!({"xcUserID": format!("api-{i}"), "fullName": format!("User {i}")}),
                )
                .await
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    // Message i goes from user i % users to one of its next `neighbours` users.
    let send = move |api: Api, i: u64| async move {
        let from = i % users;
        let to = (from + 1 + (i / users) % neighbours) % users;
        api.server_check(
            "/v1/server/message/send/custom",
            json!({"messageType": 1001, "body": "Your order has shipped", "senderXCUserID": format!("api-{from}"),
                   "recipientXCUserID": format!("api-{to}")}),
        )
        .await
    };

    let send_api = api.clone();
    let meter = CpuMeter::start(server);
    let (send_rate, send_failed, send_latency) =
        hammer(concurrency, secs, None, move |i| send(send_api.clone(), i)).await;
    let send_cpu = meter.stop(server, 0, send_latency.count - send_failed);

    // Users read their rooms, then every room gets two fresh messages: lists show a few
    // unread each, as they do in use.
    read_everything(&api, users as usize).await?;
    for i in 0..users * neighbours * 2 {
        send(api.clone(), i).await?;
    }

    let list_api = api.clone();
    let meter = CpuMeter::start(server);
    let (list_rate, list_failed, list_latency) = hammer(concurrency, secs, None, move |i| {
        let api = list_api.clone();
        async move {
            api.server_check(
                "/v1/server/room/get_list_by_user",
                json!({"xcUserID": format!("api-{}", (i * 7919) % users)}),
            )
            .await
        }
    })
    .await;
    let list_cpu = meter.stop(server, 0, 0);
    let sample = api.server("/v1/server/room/get_list_by_user", json!({"xcUserID": "api-0"})).await?;
    let rooms = sample["rooms"].as_array().cloned().unwrap_or_default();
    let unread: u64 = rooms.iter().map(|r| r["unreadCount"].as_u64().unwrap_or(0)).sum();
    Ok(Outcome {
        scenario: "server-api".into(),
        load: json!({"users": users, "rooms_per_user": rooms.len(), "unread_per_user": unread, "concurrent_requests": concurrency,
                     "seconds_per_call": secs, "messages_before_listing": send_latency.count,
                     "server": server.describe()}),
        metrics: json!({
            "send_custom": {"requests_per_s": send_rate.round(), "failed": send_failed, "latency": send_latency,
                            "cpu_per_request": per_request(send_cpu.as_ref(), send_latency.count)},
            "get_list_by_user": {"requests_per_s": list_rate.round(), "failed": list_failed, "latency": list_latency,
                                 "cpu_per_request": per_request(list_cpu.as_ref(), list_latency.count)},
        }),
        target: "room list >= 20,000 requests/s with p99 <= 10 ms".into(),
        met: enforce.then_some(list_rate >= 20_000.0 && list_latency.p99_ms <= 10.0),
        exactly_once: Some(send_failed == 0 && list_failed == 0),
        cpu: send_cpu,
    })
}

/// The server's CPU microseconds per request of a phase of `requests` requests, and on
/// PostgreSQL on this machine its database's.
pub fn per_request(cpu: Option<&Cpu>, requests: u64) -> Value {
    let per = |s: f64| (requests > 0).then(|| (s * 1e6 / requests as f64 * 10.0).round() / 10.0);
    match cpu {
        Some(c) => json!({"server_us": per(c.cpu_s), "database_us": c.database_cpu_s.and_then(per)}),
        None => Value::Null,
    }
}
