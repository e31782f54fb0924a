//! The delivery loop. Each node looks for endpoints with changes after their cursor when
//! changes are committed (and every second), claims those no node holds, and works through
//! each one's log in rounds of up to [`WINDOW`] changes:
//!
//! - a round's deliveries run on [`LANES`] connections at once; all the deliveries of one
//!   room (or one user, for changes without a room) go through the same lane, one after the
//!   other, so a room's events reach the endpoint in commit order;
//! - a 2xx answer delivers; 408, 429, 5xx and transport failures stop the room's lane for
//!   this round and schedule a retry; other 4xx are final (the receiver refused the event);
//! - after the round the attempts are recorded and the cursor moves up to the first change
//!   not yet delivered, in one transaction. Deliveries that succeeded beyond it are found in
//!   the attempts and not sent again.
//!
//! The backoff grows with failures in a row (`webhook_retry_delays_ms`, with jitter; a
//! `Retry-After` is honoured up to an hour); after `webhook_disable_after_failures` the
//! endpoint is disabled with the reason recorded, its cursor kept, so enabling it again
//! resumes with nothing skipped.

use super::outbound::{Failure, Open, Outbound};
use super::sealing::Sealer;
use super::signing::{self, standard_signature};
use super::{RenderContext, WebhookDialect};
use crate::Core;
use bytes::Bytes;
use palaver_domain::{Change, ChangeId, RoomId, User, time::now_ms};
use palaver_store::repo::webhooks::{self as repo, AttemptRow, EndpointRow, Progress};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Most changes read per round.
const WINDOW: i64 = 1024;
/// Deliveries in flight per endpoint.
const LANES: usize = 16;
/// How long a node holds an endpoint without renewing.
const LEASE_MS: i64 = 60_000;
/// A round starts no delivery after this long (well within the lease).
const ROUND_BUDGET: Duration = Duration::from_secs(20);
/// How often endpoints are looked at without a commit to wake the loop.
const POLL: Duration = Duration::from_secs(1);
/// Least time between two looks, so that a burst of commits costs one.
const SETTLE: Duration = Duration::from_millis(20);
/// Most endpoints claimed at once.
const CLAIM_BATCH: i64 = 32;
/// Most bytes of a request body kept in the log, for attempts that failed (a delivered
/// body is not kept: at thousands of deliveries a second, writing every body back would cost
/// the senders a fifth of their throughput).
const LOGGED_BODY_BYTES: usize = 64 * 1024;
/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER_MS: i64 = 3_600_000;

/// The dialects by name.
type Dialects = Arc<HashMap<&'static str, &'static dyn WebhookDialect>>;

/// Starts delivering webhooks on this node with `dialects`, until shutdown.
///
/// Delivery runs on a thread and runtime of its own at the lowest CPU priority (nice 19), and
/// reads the log on the store's background reader (likewise): it uses what CPU the node has to
/// spare, so while senders keep every core busy the backlog waits (durably, in the change log)
/// instead of slowing them, and drains as soon as they ease.
pub fn start(core: &Core, dialects: Vec<&'static dyn WebhookDialect>) {
    let dialects: Dialects = Arc::new(dialects.into_iter().map(|d| (d.name(), d)).collect());
    let (done, finished) = tokio::sync::oneshot::channel::<()>();
    // Dropped with the task that waits for the thread: if the node's runtime goes away without
    // a shutdown (an embedding test's), the thread stops too rather than keep the core alive.
    let (owner, owner_gone) = tokio::sync::oneshot::channel::<()>();
    let loop_core = core.clone();
    let thread = std::thread::Builder::new().name("palaver-webhooks".into()).spawn(move || {
        palaver_store::lower_thread_priority();
        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(async move {
                tokio::select! {
                    () = run(loop_core, dialects) => {}
                    _ = owner_gone => {}
                }
            }),
            Err(e) => tracing::error!(error = %e, "cannot start the webhook delivery runtime"),
        }
        let _ = done.send(());
    });
    match thread {
        Ok(_) => core.tasks().spawn(async move {
            let _owner = owner;
            let _ = finished.await;
        }),
        Err(e) => tracing::error!(error = %e, "cannot start the webhook delivery thread"),
    }
}

/// What one endpoint's worker shares with the loop.
#[derive(Clone)]
struct Shared {
    core: Core,
    dialects: Dialects,
    outbound: Arc<Outbound>,
    owner: Arc<str>,
    running: Arc<Mutex<HashSet<i64>>>,
    /// The sealer of the endpoints' secrets, loaded on first use (a server without webhooks
    /// never reads or makes the key file), or why it cannot be.
    sealer: Arc<OnceLock<Result<Sealer, String>>>,
}

async fn run(core: Core, dialects: Dialects) {
    let settings = core.config().webhooks.clone();
    let outbound = Outbound::new(
        settings.allow_private,
        Duration::from_millis(settings.connect_timeout_ms),
        Duration::from_millis(settings.timeout_ms),
    );
    let shared = Shared {
        core: core.clone(),
        dialects,
        outbound: Arc::new(outbound),
        owner: crate::secrets::random_hex(16).into(),
        running: Arc::default(),
        sealer: Arc::default(),
    };
    let committed = core.router().committed();
    loop {
        tokio::select! {
            () = committed.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            () = core.tasks().stopping() => return,
        }
        let now = now_ms();
        if !matches!(core.store().read(move |c| repo::any_due(c, now)).await, Ok(true)) {
            continue;
        }
        let owner = shared.owner.clone();
        let claimed =
            core.store().write(move |tx| repo::claim(tx.conn(), &owner, now, now + LEASE_MS, CLAIM_BATCH)).await;
        match claimed {
            Ok(endpoints) => {
                for e in endpoints {
                    let mut running = shared.running.lock().unwrap_or_else(|p| p.into_inner());
                    if running.insert(e.id) {
                        metrics::gauge!("palaver_webhook_endpoints_busy").set(running.len() as f64);
                        drop(running);
                        tokio::spawn(serve(shared.clone(), e));
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "claiming webhook endpoints"),
        }
        tokio::time::sleep(SETTLE).await;
    }
}

/// Works through an endpoint's changes until it is idle, failing, or taken by another node.
async fn serve(shared: Shared, mut e: EndpointRow) {
    let id = e.id;
    let mut lanes: Vec<Option<Open>> = (0..LANES).map(|_| None).collect();
    let stopping = shared.core.tasks().stopping();
    tokio::pin!(stopping);
    loop {
        let round = round(&shared, &mut e, &mut lanes);
        let more = tokio::select! {
            more = round => more,
            () = &mut stopping => false,
        };
        if !more {
            break;
        }
    }
    let owner = shared.owner.clone();
    let _ = shared.core.store().write(move |tx| repo::release(tx.conn(), id, &owner)).await;
    let mut running = shared.running.lock().unwrap_or_else(|p| p.into_inner());
    running.remove(&id);
    metrics::gauge!("palaver_webhook_endpoints_busy").set(running.len() as f64);
}

/// One prepared delivery.
struct Job {
    change: ChangeId,
    /// Deliveries with the same key go in commit order, one at a time.
    key: i64,
    delivery_id: String,
    event: String,
    body: Bytes,
}

/// How a delivery ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Taken, or refused for good by the receiver.
    Done,
    /// To be tried again.
    Retry,
    /// Not tried this round.
    Untried,
    /// The endpoint's address is not allowed: it is disabled.
    Forbidden,
}

/// A lane's results.
#[derive(Default)]
struct LaneResult {
    outcomes: Vec<(ChangeId, Outcome)>,
    attempts: Vec<AttemptRow>,
    retry_after_ms: Option<i64>,
    last_error: String,
}

/// One round; true if the endpoint may have more to deliver now.
async fn round(shared: &Shared, e: &mut EndpointRow, lanes: &mut [Option<Open>]) -> bool {
    let core = &shared.core;
    let Some(dialect) = shared.dialects.get(e.dialect.as_str()).cloned() else {
        disable(shared, e, &format!("unknown payload dialect {:?}", e.dialect)).await;
        return false;
    };
    let sealer = shared.sealer.get_or_init(|| core.sealer().map_err(|e| e.to_string()));
    let opened =
        sealer.as_ref().map_err(Clone::clone).and_then(|s| s.open(&e.sealed_secret).map_err(|e| e.to_string()));
    let secret = match opened {
        Ok(s) => s,
        Err(err) => {
            tracing::error!(endpoint = e.id, error = %err, "a webhook secret cannot be opened");
            disable(shared, e, "its secret cannot be opened with this server's secret_key").await;
            return false;
        }
    };
    let (app, cursor, endpoint) = (e.app, e.cursor, e.id);
    let changes = match core.changes_of_app(app, cursor, WINDOW).await {
        Ok(c) => c,
        Err(err) => {
            tracing::warn!(error = %err, "reading changes for webhooks");
            return false;
        }
    };
    if changes.is_empty() {
        return false;
    }
    let delivered: HashSet<ChangeId> = core
        .store()
        .read(move |c| repo::delivered_after(c, endpoint, cursor))
        .await
        .map(|v| v.into_iter().collect())
        .unwrap_or_default();
    let participants = if dialect.needs_participants() { participants(core, &changes).await } else { HashMap::new() };
    let mut jobs = Vec::new();
    for change in &changes {
        if delivered.contains(&change.id) || !(e.events.is_empty() || e.events.iter().any(|n| n == change.name())) {
            continue;
        }
        let delivery_id = format!("msg_{}_{}", e.id, change.id.0);
        let ctx = RenderContext { participants: &participants, delivery_id: &delivery_id };
        if let Some(r) = dialect.render(change, &ctx) {
            let key = change.room().map(|r| r.0).or_else(|| change.users().first().map(|u| -u.0)).unwrap_or(0);
            jobs.push(Job { change: change.id, key, delivery_id, event: r.event, body: Bytes::from(r.body) });
        }
    }
    // Deal the jobs to lanes by key, keeping their order.
    let mut queues: Vec<Vec<Job>> = (0..LANES).map(|_| Vec::new()).collect();
    for job in jobs {
        queues[(job.key.unsigned_abs() % LANES as u64) as usize].push(job);
    }
    let deadline = tokio::time::Instant::now() + ROUND_BUDGET;
    let results = futures_util::future::join_all(
        queues
            .into_iter()
            .zip(lanes.iter_mut())
            .map(|(queue, conn)| run_lane(shared, e, &secret, dialect, queue, conn, deadline)),
    )
    .await;
    let mut outcomes: HashMap<ChangeId, Outcome> = HashMap::new();
    let mut attempts = Vec::new();
    let (mut retry_after, mut last_error) = (None, String::new());
    for r in results {
        outcomes.extend(r.outcomes);
        attempts.extend(r.attempts);
        retry_after = retry_after.max(r.retry_after_ms);
        if !r.last_error.is_empty() {
            last_error = r.last_error;
        }
    }
    // The cursor stops before the first change not delivered.
    let mut new_cursor = cursor;
    for change in &changes {
        if matches!(outcomes.get(&change.id), Some(Outcome::Retry | Outcome::Untried | Outcome::Forbidden)) {
            break;
        }
        new_cursor = change.id;
    }
    let forbidden = outcomes.values().any(|o| *o == Outcome::Forbidden);
    let failed = forbidden || outcomes.values().any(|o| *o == Outcome::Retry);
    let settings = &core.config().webhooks;
    let failures = if failed { e.failures + 1 } else { 0 };
    let now = now_ms();
    let next_attempt = if failed { now + backoff(&settings.retry_delays_ms, failures, retry_after) } else { 0 };
    let reason = if forbidden {
        Some(last_error.clone())
    } else if failed && failures >= settings.disable_after_failures {
        Some(format!("{failures} failed attempts in a row; the last: {last_error}"))
    } else {
        None
    };
    let owner = shared.owner.clone();
    let progress_reason = reason.clone();
    let kept = core
        .store()
        .write(move |tx| {
            repo::record(tx.conn(), &attempts)?;
            let progress = Progress {
                cursor: new_cursor,
                failures,
                next_attempt,
                disable: progress_reason.as_deref(),
                lease_until: now + LEASE_MS,
            };
            repo::advance(tx.conn(), endpoint, &owner, &progress)
        })
        .await;
    match kept {
        Ok(true) => {}
        Ok(false) => return false,
        Err(err) => {
            tracing::warn!(error = %err, "recording webhook deliveries");
            return false;
        }
    }
    if let Some(reason) = &reason {
        tracing::warn!(endpoint = e.id, reason = %reason, "a webhook endpoint was disabled");
    }
    e.cursor = new_cursor;
    e.failures = failures;
    !failed
}

/// Delivers a lane's jobs in order on one connection.
async fn run_lane(
    shared: &Shared,
    e: &EndpointRow,
    secret: &str,
    dialect: &dyn WebhookDialect,
    queue: Vec<Job>,
    conn: &mut Option<Open>,
    deadline: tokio::time::Instant,
) -> LaneResult {
    let mut out = LaneResult::default();
    let mut stopped: HashSet<i64> = HashSet::new();
    let key = signing::secret_key(secret).unwrap_or_default();
    for job in queue {
        if stopped.contains(&job.key) || tokio::time::Instant::now() >= deadline {
            out.outcomes.push((job.change, Outcome::Untried));
            continue;
        }
        let timestamp = now_ms() / 1000;
        let mut headers = vec![
            ("webhook-id", job.delivery_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", standard_signature(&key, &job.delivery_id, timestamp, &job.body)),
        ];
        headers.extend(dialect.sign(secret, &job.body));
        let started = std::time::Instant::now();
        let answer = shared.outbound.post(conn, &e.url, &headers, job.body.clone()).await;
        let latency_ms = started.elapsed().as_millis() as i64;
        let (outcome, status, error, response) = match answer {
            Ok(a) if (200..300).contains(&a.status) => (Outcome::Done, a.status, String::new(), a.excerpt),
            Ok(a) if a.status == 408 || a.status == 429 || a.status >= 500 => {
                if let Some(s) = a.retry_after_secs {
                    out.retry_after_ms = out.retry_after_ms.max(Some((s as i64 * 1000).min(MAX_RETRY_AFTER_MS)));
                }
                (Outcome::Retry, a.status, format!("answered {}", a.status), a.excerpt)
            }
            Ok(a) => (Outcome::Done, a.status, format!("refused with {}; not retried", a.status), a.excerpt),
            Err(Failure::Refused(m)) => (Outcome::Forbidden, 0, m, String::new()),
            Err(Failure::Transport(m)) => (Outcome::Retry, 0, m, String::new()),
        };
        let label = match (outcome, status) {
            (Outcome::Done, 200..=299) => "delivered",
            (Outcome::Done, _) => "refused",
            (Outcome::Retry, _) => "retry",
            _ => "forbidden",
        };
        metrics::counter!("palaver_webhook_attempts_total", "outcome" => label).increment(1);
        metrics::histogram!("palaver_webhook_attempt_duration_seconds").record(started.elapsed().as_secs_f64());
        if outcome != Outcome::Done {
            stopped.insert(job.key);
            out.last_error = error.clone();
        }
        let delivered = outcome == Outcome::Done && (200..300).contains(&status);
        let logged = if delivered { &[][..] } else { &job.body[..job.body.len().min(LOGGED_BODY_BYTES)] };
        out.attempts.push(AttemptRow {
            id: 0,
            endpoint: e.id,
            app: e.app,
            change: job.change,
            delivery_id: job.delivery_id,
            event: job.event,
            url: e.url.clone(),
            attempted_at: now_ms(),
            status: i64::from(status),
            latency_ms,
            success: delivered,
            error,
            request_body: String::from_utf8_lossy(logged).into_owned(),
            response_body: response,
        });
        out.outcomes.push((job.change, outcome));
    }
    out
}

/// How long to wait before attempt number `failures + 1`: the configured delay with ±20 %
/// jitter, or longer when the receiver asked for it.
fn backoff(delays: &[u64], failures: i64, retry_after_ms: Option<i64>) -> i64 {
    let i = usize::try_from(failures - 1).unwrap_or(0).min(delays.len().saturating_sub(1));
    let base = delays.get(i).copied().unwrap_or(60_000) as i64;
    let mut r = [0u8; 2];
    getrandom::fill(&mut r).expect("the operating system's random source failed");
    let jitter = (i64::from(u16::from_le_bytes(r)) - 32768) * base / 163_840;
    (base + jitter).max(retry_after_ms.unwrap_or(0)).max(1)
}

/// The participants of the rooms of the window's messages, as users.
async fn participants(core: &Core, changes: &[Change]) -> HashMap<RoomId, Vec<User>> {
    let rooms: Vec<RoomId> = changes
        .iter()
        .filter(|c| c.message().is_some())
        .filter_map(|c| c.room())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    match core.participants_of_rooms(rooms).await {
        Ok(by_room) => by_room.into_iter().map(|(r, ps)| (r, ps.into_iter().map(|p| p.user).collect())).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "reading participants for webhooks");
            HashMap::new()
        }
    }
}

/// Disables an endpoint, saying why.
async fn disable(shared: &Shared, e: &EndpointRow, reason: &str) {
    let (id, reason) = (e.id, reason.to_string());
    let _ = shared.core.store().write(move |tx| repo::set_enabled(tx.conn(), id, false, &reason)).await;
}
