//! `history`: whether what a user's backend and devices ask for stays as fast when the rooms
//! hold 100,000 messages each as when they are empty. One user in ten rooms (five personal
//! rooms and five groups of three), the other participants sending, the user never reading:
//! every message is unread, the worst case for unread counts. At each level of messages per
//! room it measures, each from a fixed number of concurrent requests:
//!
//! - the Server API `room/get_list_by_user` for the user;
//! - the client's newest history page, `chat/message/list_by_room/before` with limit 50, the
//!   rooms in turn;
//! - the client's `chat/message/new_and_updated` as a device reconnecting after a short
//!   absence calls it: every request is a different device (`Device-Identifier`) whose cursor
//!   its first call set (that call returns nothing) before one new message arrived in each
//!   room, so each returns those ten messages and moves its cursor on (one write). Each device
//!   calls once: the devices registered in a third of `secs` are the phase's requests.
//!
//! Rooms are filled through the Server API's `message/send/custom`, many requests at once. A
//! personal room exists from its first message, so at level 0 each personal room holds the
//! one message that opened it. The figures at the last level are reported against the first
//! (`ratio_last_to_first`); the history page also against the first level whose pages are full
//! (an empty room's page renders nothing), which is the one its target is judged on.
//! The scenario fails if an answer is not a success, the room list lacks a room or shows a
//! wrong unread count, or a page or catch-up does not hold the messages it should.

use super::server_api::{hammer, per_request};
use crate::api::{Api, Login};
use crate::report::{Cpu, CpuMeter, Latency, Outcome};
use crate::server::Server;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Personal rooms of the user.
const PERSONAL: usize = 5;
/// Groups of the user (with two other members each).
const GROUPS: usize = 5;
/// The user whose rooms are listed.
const USER: &str = "hist-user";
/// Messages per history page.
const PAGE: u64 = 50;
/// Most devices registered for one catch-up phase.
const MAX_DEVICES: usize = 200_000;

/// One of the user's rooms.
struct Room {
    /// The room id clients use (`"<a>-<b>"` for personal rooms).
    id: String,
    /// The `message/send/custom` body fields that send into it, but for `body`.
    send: Value,
    /// Messages it holds.
    count: u64,
}

/// The shape of the load.
pub struct Shape {
    /// Messages per room at which to measure, ascending.
    pub levels: Vec<u64>,
    /// Concurrent requests of every measured call and of the seeding.
    pub concurrency: usize,
    /// Seconds each measured call runs (a third of it registering devices).
    pub secs: u64,
}

/// What one call measured at one level.
struct Figures {
    rate: f64,
    failed: u64,
    latency: Latency,
    cpu: Value,
}

impl Figures {
    fn json(&self) -> Value {
        json!({"requests_per_s": self.rate.round(), "failed": self.failed, "latency": self.latency,
               "cpu_per_request": self.cpu})
    }
}

/// Counts the occurrences of `needle` in `hay`.
fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    let Some(&first) = needle.first() else { return 0 };
    let mut n = 0;
    let mut at = 0;
    while let Some(i) = hay[at..].iter().position(|b| *b == first) {
        if hay[at + i..].starts_with(needle) {
            n += 1;
        }
        at += i + 1;
    }
    n
}

/// Messages in a client answer: each message object starts with its `messageID`.
fn messages_in(answer: &[u8]) -> usize {
    occurrences(answer, br#"{"messageID":""#)
}

/// Creates the users and rooms; returns the user's login and the rooms, personal ones opened
/// with one message each.
async fn prepare(api: &Api) -> Result<(Login, Vec<Room>), String> {
    let user = api.login(USER).await?;
    let mut rooms = Vec::new();
    for j in 0..PERSONAL {
        let partner = api.login(&format!("hist-p{j}")).await?;
        rooms.push(Room {
            id: crate::load::personal(&user.user_id, &partner.user_id),
            send: json!({"messageType": 1001, "senderXCUserID": format!("hist-p{j}"), "recipientXCUserID": USER}),
            count: 0,
        });
    }
    for g in 0..GROUPS {
        let members = [format!("hist-g{g}-0"), format!("hist-g{g}-1")];
        for m in &members {
            api.login(m).await?;
        }
        let xc = format!("hist-room-{g}");
        let body = json!({"xcRoomID": xc, "type": 2, "name": format!("History {g}"),
                          "participantXCUserIDs": [USER, members[0], members[1]]});
        let d = api.server("/v1/server/room/create_or_update", body).await?;
        rooms.push(Room {
            id: d["room"]["roomID"].as_str().unwrap_or_default().to_string(),
            send: json!({"messageType": 1001, "senderXCUserID": members[0], "xcRoomID": xc, "others": members[1]}),
            count: 0,
        });
    }
    Ok((user, rooms))
}

/// Sends messages from the other participants until room `r` holds `targets[r]` (or more),
/// `concurrency` at a time, the rooms in turn; returns the messages sent, sends per second and
/// the server's CPU.
async fn seed(
    server: &Server,
    api: &Api,
    rooms: &mut [Room],
    targets: &[u64],
    concurrency: usize,
) -> Result<(u64, f64, Option<Cpu>), String> {
    let need: Vec<u64> = rooms.iter().zip(targets).map(|(r, t)| t.saturating_sub(r.count)).collect();
    let sent: u64 = need.iter().sum();
    let most = need.iter().copied().max().unwrap_or(0);
    let bodies: Vec<Value> = rooms.iter().map(|r| r.send.clone()).collect();
    let (need_of, n_rooms) = (&need, rooms.len());
    let jobs = (0..most).flat_map(move |n| (0..n_rooms).filter(move |r| need_of[*r] > n).map(move |r| (r, n)));
    let meter = CpuMeter::start(server);
    let started = Instant::now();
    let failures: Vec<String> = futures_util::stream::iter(jobs)
        .map(|(r, n)| {
            let mut body = bodies[r].clone();
            // Group messages come from both other members in turn.
            if let Some(other) = body.as_object_mut().and_then(|o| o.remove("others"))
                && n % 2 == 1
            {
                body["senderXCUserID"] = other;
            }
            body["body"] = json!(format!("history message {n}"));
            let api = api.clone();
            async move { api.server_check("/v1/server/message/send/custom", body).await.err() }
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(|e| async move { e })
        .collect()
        .await;
    let secs = started.elapsed().as_secs_f64();
    let cpu = meter.stop(server, 0, sent);
    if let Some(e) = failures.first() {
        return Err(format!("seeding: {} sends failed, the first: {e}", failures.len()));
    }
    for (r, t) in rooms.iter_mut().zip(targets) {
        r.count = r.count.max(*t);
    }
    Ok((sent, if secs > 0.0 { sent as f64 / secs } else { 0.0 }, cpu))
}

/// Checks the Server API room list: every room there, each with all its messages unread.
async fn check_list(api: &Api, rooms: &[Room], problems: &mut Vec<String>) -> Result<(), String> {
    let list = api.server("/v1/server/room/get_list_by_user", json!({"xcUserID": USER})).await?;
    let listed = list["rooms"].as_array().cloned().unwrap_or_default();
    for room in rooms {
        let entry = listed.iter().find(|e| e["room"]["roomID"].as_str() == Some(room.id.as_str()));
        match entry.map(|e| e["unreadCount"].as_u64()) {
            None => problems.push(format!("room {} is missing from the room list", room.id)),
            Some(unread) if unread != Some(room.count) => problems.push(format!(
                "room {}: unreadCount {unread:?} in the room list, {} messages sent",
                room.id, room.count
            )),
            Some(_) => {}
        }
    }
    if listed.len() != rooms.len() {
        problems.push(format!("the room list holds {} rooms, not {}", listed.len(), rooms.len()));
    }
    Ok(())
}

/// Runs `call` like [`hammer`] and measures the server's CPU per request.
async fn measure<F, Fut>(server: &Server, concurrency: usize, secs: u64, limit: Option<u64>, call: F) -> Figures
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<usize, String>> + Send,
{
    let meter = CpuMeter::start(server);
    let (rate, failed, latency) = hammer(concurrency, secs, limit, call).await;
    let cpu = meter.stop(server, 0, 0);
    Figures { rate, failed, cpu: per_request(cpu.as_ref(), latency.count), latency }
}

/// Keeps the first few distinct errors of a phase.
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);

impl Errors {
    fn note(&self, e: String) -> String {
        let mut list = crate::traffic::lock(&self.0);
        if list.len() < 5 && !list.contains(&e) {
            list.push(e.clone());
        }
        e
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *crate::traffic::lock(&self.0))
    }
}

/// The three calls' figures at one level.
async fn level_figures(
    server: &Server,
    api: &Api,
    user: &Login,
    rooms: &mut [Room],
    level: u64,
    shape: &Shape,
    problems: &mut Vec<String>,
) -> Result<Value, String> {
    let c = shape.concurrency;
    let errors = Errors::default();
    // Devices whose cursors start now, before the new messages. A first call costs about a
    // third of a catching-up one: registering for a third of the time makes the catch-up phase
    // last about as long as the others.
    let registered = Arc::new(Mutex::new(Vec::new()));
    let (a, u, e, reg) = (api.clone(), user.clone(), errors.clone(), registered.clone());
    let register = measure(server, c, (shape.secs / 3).max(1), Some(MAX_DEVICES as u64), move |i| {
        let (a, u, e, reg) = (a.clone(), u.clone(), e.clone(), reg.clone());
        async move {
            let device = format!("hist-{level}-{i}");
            let answer = a.client_check(&u, Some(&device), "/v1/chat/message/new_and_updated", "{}".into()).await;
            let found = messages_in(&answer.map_err(|x| e.note(x))?);
            if found != 0 {
                return Err(e.note(format!("a device's first new_and_updated returned {found} messages, not 0")));
            }
            crate::traffic::lock(&reg).push(device);
            Ok(0)
        }
    })
    .await;

    check_list(api, rooms, problems).await?;
    let a = api.clone();
    let list = measure(server, c, shape.secs, None, move |_| {
        let a = a.clone();
        async move { a.server_check("/v1/server/room/get_list_by_user", json!({"xcUserID": USER})).await }
    })
    .await;

    let pages: Arc<Vec<(String, usize)>> =
        Arc::new(rooms.iter().map(|r| (r.id.clone(), r.count.min(PAGE) as usize)).collect());
    let (a, u, e) = (api.clone(), user.clone(), errors.clone());
    let page = measure(server, c, shape.secs, None, move |i| {
        let (a, u, e, pages) = (a.clone(), u.clone(), e.clone(), pages.clone());
        async move {
            let (room, expected) = &pages[i as usize % pages.len()];
            let body = json!({"roomID": room, "limit": PAGE}).to_string();
            let answer = a.client_check(&u, None, "/v1/chat/message/list_by_room/before", body).await;
            let found = messages_in(&answer.map_err(|x| e.note(x))?);
            if found != *expected {
                return Err(e.note(format!("a page of room {room} holds {found} messages, not {expected}")));
            }
            Ok(found)
        }
    })
    .await;

    // One new message in every room, then every registered device reconnects once.
    let counts: Vec<u64> = rooms.iter().map(|r| r.count).collect();
    let next: Vec<u64> = counts.iter().map(|n| n + 1).collect();
    seed(server, api, rooms, &next, c).await?;
    let devices: Arc<Vec<String>> = Arc::new(std::mem::take(&mut *crate::traffic::lock(&registered)));
    let n = devices.len() as u64;
    let expected = rooms.len();
    let (a, u, e) = (api.clone(), user.clone(), errors.clone());
    let catch_up = measure(server, c, 3600, Some(n), move |i| {
        let (a, u, e, devices) = (a.clone(), u.clone(), e.clone(), devices.clone());
        async move {
            let device = &devices[i as usize];
            let answer = a.client_check(&u, Some(device), "/v1/chat/message/new_and_updated", "{}".into()).await;
            let found = messages_in(&answer.map_err(|x| e.note(x))?);
            if found != expected {
                return Err(e.note(format!("a reconnecting device caught up {found} messages, not {expected}")));
            }
            Ok(found)
        }
    })
    .await;
    check_list(api, rooms, problems).await?;

    for (name, f) in
        [("register", &register), ("get_list_by_user", &list), ("before", &page), ("new_and_updated", &catch_up)]
    {
        if f.failed > 0 {
            problems.push(format!("level {level}: {} {name} requests failed", f.failed));
        }
    }
    if n == 0 {
        problems.push(format!("level {level}: no device registered"));
    }
    problems.extend(errors.take().into_iter().map(|e| format!("level {level}: {e}")));
    Ok(json!({
        "messages_per_room": counts,
        "get_list_by_user": list.json(),
        "list_by_room_before": page.json(),
        "new_and_updated": catch_up.json(),
        "devices_registered": {"devices": n, "figures": register.json()},
    }))
}

/// `last / first` of a figure of a call, rounded.
fn ratio(first: &Value, last: &Value, call: &str, path: &[&str]) -> Option<f64> {
    let get = |v: &Value| path.iter().fold(&v[call], |v, k| &v[*k]).as_f64();
    let (a, b) = (get(first)?, get(last)?);
    (a > 0.0).then(|| (b / a * 1000.0).round() / 1000.0)
}

/// Runs the scenario.
pub async fn run(server: &Server, shape: Shape, enforce: bool) -> Result<Outcome, String> {
    let api = Api::new(server.addr, server.creds.clone());
    let (user, mut rooms) = prepare(&api).await?;
    // The personal rooms exist once their first message is in.
    let mut personal: Vec<Room> = rooms.drain(..PERSONAL).collect();
    seed(server, &api, &mut personal, &[1; PERSONAL], shape.concurrency).await?;
    personal.append(&mut rooms);
    let mut rooms = personal;

    let mut problems = Vec::new();
    let mut levels = Vec::new();
    let mut seeding = Vec::new();
    let mut seed_cpu = None;
    let mut wanted = shape.levels.clone();
    wanted.sort_unstable();
    wanted.dedup();
    for &level in &wanted {
        eprintln!("-- {level} messages per room");
        let targets: Vec<u64> = rooms.iter().map(|r| r.count.max(level)).collect();
        let (sent, per_s, cpu) = seed(server, &api, &mut rooms, &targets, shape.concurrency).await?;
        seeding.push(json!({"level": level, "sent": sent, "sends_per_s": per_s.round(), "cpu": cpu}));
        if sent > 0 {
            seed_cpu = cpu;
        }
        let figures = level_figures(server, &api, &user, &mut rooms, level, &shape, &mut problems).await?;
        levels.push(json!({"level": level, "figures": figures}));
    }
    let (first, last) = (&levels[0]["figures"], &levels[levels.len() - 1]["figures"]);
    // An empty room's page holds nothing to render: the page is also compared with the first
    // level whose pages are full.
    let full = levels
        .iter()
        .map(|l| &l["figures"])
        .find(|f| f["messages_per_room"].as_array().is_some_and(|c| c.iter().all(|n| n.as_u64().unwrap_or(0) >= PAGE)));
    let mut ratios = json!({});
    let mut met = true;
    for (call, base, key) in [
        ("get_list_by_user", Some(first), "get_list_by_user"),
        ("list_by_room_before", Some(first), "list_by_room_before"),
        ("list_by_room_before", full, "list_by_room_before_full_pages"),
        ("new_and_updated", Some(first), "new_and_updated"),
    ] {
        let Some(base) = base else { continue };
        let rate = ratio(base, last, call, &["requests_per_s"]);
        let p50 = ratio(base, last, call, &["latency", "p50_ms"]);
        let p99 = ratio(base, last, call, &["latency", "p99_ms"]);
        if key != "list_by_room_before" || full.is_none() {
            met &= rate.is_some_and(|r| r >= 1.0 / 1.5) && p99.is_some_and(|r| r <= 1.5);
        }
        ratios[key] = json!({"requests_per_s": rate, "p50": p50, "p99": p99});
    }
    if !problems.is_empty() {
        eprintln!("history: {}", problems.join("; "));
    }
    Ok(Outcome {
        scenario: "history".into(),
        load: json!({"rooms": {"personal": PERSONAL, "groups_of_three": GROUPS}, "levels": wanted,
                     "concurrent_requests": shape.concurrency, "seconds_per_call": shape.secs, "page_limit": PAGE,
                     "user_reads": false, "new_and_updated": "each request a device reconnecting once, its cursor set before one new message per room",
                     "seeding": "Server API message/send/custom", "server": server.describe()}),
        metrics: json!({"levels": levels, "ratio_last_to_first": ratios, "seeding": seeding, "problems": problems}),
        target: "at 100,000 messages per room within 1.5x of empty (requests/s and p99)".into(),
        met: enforce.then_some(met),
        exactly_once: Some(problems.is_empty()),
        cpu: seed_cpu,
    })
}
