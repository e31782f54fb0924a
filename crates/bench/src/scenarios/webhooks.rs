//! `webhooks`: the `durable` scenario's load twice, each on a fresh server: first with no
//! webhook endpoint, then with two `message.created` endpoints, one whose receiver accepts
//! connections and never answers and one that answers 200 after about a millisecond. Reports
//! both send rates and their ratio, and how many deliveries per second reached the fast
//! receiver, with how long its backlog took to drain after the last send.

use super::durable;
use crate::report::{Latency, Outcome, histogram};
use crate::server::{APP, Server, Setup};
use crate::traffic::lock;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Both servers' settings: deliveries to the receivers on 127.0.0.1 are allowed.
const CONFIG: &str = "webhook_allow_private = true\n";
/// How long the fast receiver takes to answer.
const FAST_ANSWER: Duration = Duration::from_millis(1);
/// How long to wait, after the senders stop, for the fast receiver to get every message.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);
/// The changes both endpoints ask for.
const EVENTS: &str = "message.created";

/// The fields of a `palaver` delivery this scenario checks.
#[derive(Deserialize)]
struct Delivery {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    change_id: i64,
    /// When the change was committed, Unix ms.
    occurred_at: i64,
    data: DeliveryData,
}

#[derive(Deserialize)]
struct DeliveryData {
    message: DeliveryMessage,
}

#[derive(Deserialize)]
struct DeliveryMessage {
    room_id: i64,
}

/// What the fast receiver counted.
struct Tally {
    /// Distinct `webhook-id`s of `message.created` deliveries.
    ids: HashSet<String>,
    /// Requests that repeated a `webhook-id` already taken.
    duplicates: u64,
    /// Requests without the signature headers, with a body that is not a `message.created`
    /// delivery, or whose body's id is not its `webhook-id`.
    unexpected: u64,
    /// Deliveries with a lower `change_id` than one delivered before for the same room.
    out_of_order: u64,
    /// The last `change_id` delivered per room.
    last_change: HashMap<i64, i64>,
    /// The first and last commit times of the delivered messages, Unix ms.
    first_commit_ms: i64,
    last_commit_ms: i64,
    /// When each distinct delivery arrived, Unix ms.
    arrivals_ms: Vec<i64>,
    /// Commit to arrival, microseconds (millisecond resolution).
    latency: Histogram<u64>,
    /// How long the receiver took to answer, microseconds.
    answers: Histogram<u64>,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Tally {
    fn new() -> Tally {
        Tally {
            ids: HashSet::new(),
            duplicates: 0,
            unexpected: 0,
            out_of_order: 0,
            last_change: HashMap::new(),
            first_commit_ms: i64::MAX,
            last_commit_ms: 0,
            arrivals_ms: Vec::new(),
            latency: histogram(),
            answers: histogram(),
        }
    }

    /// Counts one request that arrived at `at` (Unix ms) with `id` as its `webhook-id` (None
    /// when a signature header is missing).
    fn record(&mut self, id: Option<&str>, body: &[u8], at: i64) {
        let delivery = serde_json::from_slice::<Delivery>(body).ok();
        let (Some(id), Some(d)) = (id, delivery) else {
            self.unexpected += 1;
            return;
        };
        if d.kind != EVENTS || d.id != id {
            self.unexpected += 1;
            return;
        }
        if !self.ids.insert(d.id) {
            self.duplicates += 1;
            return;
        }
        let last = self.last_change.entry(d.data.message.room_id).or_insert(0);
        if d.change_id < *last {
            self.out_of_order += 1;
        } else {
            *last = d.change_id;
        }
        self.first_commit_ms = self.first_commit_ms.min(d.occurred_at);
        self.last_commit_ms = self.last_commit_ms.max(d.occurred_at);
        self.arrivals_ms.push(at);
        let _ = self.latency.record((at.saturating_sub(d.occurred_at).max(0) as u64 * 1000).max(1));
    }
}

/// A receiver listening on 127.0.0.1; it stops when dropped.
struct Receiver {
    /// The endpoint URL to register.
    url: String,
    /// Connections accepted.
    connections: Arc<AtomicU64>,
    /// Dropped to stop the receiver's runtime.
    _stop: oneshot::Sender<()>,
}

/// Listens on a free loopback port and hands every connection to `serve`, on its own task.
///
/// The receivers stand for the customer's backend, which runs on another machine: here they
/// share the server's two cores, so they run on a runtime of their own at the lowest CPU
/// priority, taking what the server leaves rather than competing with its writer.
fn listen<F, Fut>(serve: F) -> Result<Receiver, String>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("receiver: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| format!("receiver: {e}"))?;
    let url = format!("http://{}/hook", listener.local_addr().map_err(|e| e.to_string())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(lower_priority)
        .enable_all()
        .build()
        .map_err(|e| format!("receiver runtime: {e}"))?;
    let connections = Arc::new(AtomicU64::new(0));
    let counted = connections.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = TcpListener::from_std(listener) else { return };
            let accepting = async {
                while let Ok((stream, _)) = listener.accept().await {
                    counted.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve(stream));
                }
            };
            tokio::select! {
                () = accepting => {}
                _ = stopped => {}
            }
        });
        runtime.shutdown_background();
    });
    Ok(Receiver { url, connections, _stop: stop })
}

/// Gives the calling thread the lowest CPU priority (nice 19; per thread on Linux).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, 19);
}

/// A receiver that takes connections and reads whatever comes, never answering.
fn hanging() -> Result<Receiver, String> {
    listen(|mut stream| async move {
        let mut buf = vec![0u8; 16 * 1024];
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
}

/// A receiver that counts every delivery into `tally` and answers 200 after [`FAST_ANSWER`].
fn fast(tally: Arc<Mutex<Tally>>) -> Result<Receiver, String> {
    listen(move |stream| {
        let tally = tally.clone();
        async move {
            let service = service_fn(move |req| answer(req, tally.clone()));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        }
    })
}

/// The fast receiver's answer to one request.
async fn answer(req: Request<Incoming>, tally: Arc<Mutex<Tally>>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let started = Instant::now();
    let headers = req.headers();
    let signed = ["webhook-timestamp", "webhook-signature"].iter().all(|h| headers.contains_key(*h));
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).filter(|_| signed).map(str::to_string);
    let body = req.into_body().collect().await?.to_bytes();
    lock(&tally).record(id.as_deref(), &body, now_ms());
    // A thread sleeps for it: tokio's timer rounds up to its millisecond ticks, which
    // under load makes 1 ms well over 2.
    let left = FAST_ANSWER.saturating_sub(started.elapsed());
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(left)).await;
    let _ = lock(&tally).answers.record((started.elapsed().as_micros() as u64).max(1));
    Ok(Response::new(Full::new(Bytes::new())))
}

/// Adds an endpoint of the `palaver` dialect for [`EVENTS`] that delivers to `url`.
fn add_endpoint(server: &Server, url: &str) -> Result<i64, String> {
    let added =
        server.command(&["webhook", "add", "--app", APP, "--url", url, "--dialect", "palaver", "--events", EVENTS])?;
    added["id"].as_i64().ok_or_else(|| format!("webhook add printed no id: {added}"))
}

/// Waits until the tally holds `expected` distinct deliveries, at most `timeout`; true if it
/// got there.
async fn drain(tally: &Mutex<Tally>, expected: usize, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while lock(tally).ids.len() < expected {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// The fast receiver's figures: deliveries per second from the first commit to the last
/// arrival, and how long and how many deliveries after the last commit the backlog took.
fn summary(t: &Tally, drained: bool, connections: u64) -> Value {
    let delivered = t.ids.len();
    let last_arrival = t.arrivals_ms.iter().copied().max().unwrap_or(0);
    let span_s = (last_arrival - t.first_commit_ms).max(1) as f64 / 1000.0;
    let per_s = if delivered == 0 { 0.0 } else { delivered as f64 / span_s };
    let backlog = t.arrivals_ms.iter().filter(|a| **a > t.last_commit_ms).count();
    let drain_ms = if delivered == 0 { 0 } else { (last_arrival - t.last_commit_ms).max(0) };
    // The rate once the sends stopped: the deliveries alone on the machine.
    let drain_per_s = backlog as f64 * 1000.0 / drain_ms.max(1) as f64;
    json!({
        "delivered": delivered,
        "duplicates": t.duplicates,
        "unexpected": t.unexpected,
        "out_of_order": t.out_of_order,
        "deliveries_per_s": per_s.round(),
        "seconds_first_commit_to_last_delivery": (span_s * 1000.0).round() / 1000.0,
        "drained": drained,
        "drain_ms": drain_ms,
        "backlog_at_last_commit": backlog,
        "deliveries_per_s_draining": drain_per_s.round(),
        "commit_to_delivery": Latency::of(&t.latency),
        "answer": Latency::of(&t.answers),
        "connections": connections,
    })
}

/// A durable run's sends per second and whether it stored every message once.
fn durable_figures(o: &Outcome) -> (f64, u64, bool) {
    let per_s = o.metrics["acks_per_s"].as_f64().unwrap_or(0.0);
    (per_s, o.metrics["sent"].as_u64().unwrap_or(0), o.exactly_once != Some(false))
}

/// Runs the scenario: `bin` is the server to start (with `setup`), `senders` the durable
/// load's connections.
pub async fn run(
    bin: &str,
    setup: &Setup,
    senders: usize,
    secs: u64,
    sources: usize,
    enforce: bool,
) -> Result<Outcome, String> {
    eprintln!("-- durable sends, no webhook endpoint");
    let plain = {
        let server = Server::spawn(bin, CONFIG, setup)?;
        durable::run(&server, senders, secs, sources, false).await?
    };
    let (plain_per_s, _, plain_once) = durable_figures(&plain);

    eprintln!("-- durable sends, an endpoint that hangs and one that answers in {} ms", FAST_ANSWER.as_millis());
    let tally = Arc::new(Mutex::new(Tally::new()));
    let (stuck, quick) = (hanging()?, fast(tally.clone())?);
    let server = Server::spawn(bin, CONFIG, setup)?;
    add_endpoint(&server, &stuck.url)?;
    add_endpoint(&server, &quick.url)?;
    let hooked = durable::run(&server, senders, secs, sources, false).await?;
    let (hooked_per_s, sent, hooked_once) = durable_figures(&hooked);
    let drained = drain(&tally, sent as usize, DRAIN_TIMEOUT).await;
    // Time for anything delivered twice to arrive too.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fast_figures = summary(&lock(&tally), drained, quick.connections.load(Ordering::Relaxed));
    drop(server);

    let t = lock(&tally);
    let ratio = if plain_per_s > 0.0 { hooked_per_s / plain_per_s } else { 0.0 };
    let per_s = fast_figures["deliveries_per_s"].as_f64().unwrap_or(0.0);
    let once = t.ids.len() as u64 == sent && t.duplicates == 0 && t.unexpected == 0;
    Ok(Outcome {
        scenario: "webhooks".into(),
        load: json!({"senders": senders, "outstanding_per_sender": 1, "seconds": secs, "sources": sources,
                     "dialect": "palaver", "events": EVENTS, "drain_timeout_s": DRAIN_TIMEOUT.as_secs(),
                     "endpoints": ["accepts connections and never answers",
                                   format!("answers 200 after {} ms", FAST_ANSWER.as_millis())]}),
        metrics: json!({
            "ratio": (ratio * 1000.0).round() / 1000.0,
            "sends_per_s_no_webhook": plain_per_s,
            "sends_per_s_webhooks": hooked_per_s,
            "deliveries_per_s": per_s,
            "drain_ms": fast_figures["drain_ms"],
            "receiver_fast": fast_figures,
            "receiver_hanging": {"connections": stuck.connections.load(Ordering::Relaxed)},
            "run_no_webhook": plain.metrics,
            "run_webhooks": hooked.metrics,
        }),
        target: "sends/s with webhooks >= 90% of without; >= 5,000 deliveries/s to a 1 ms receiver".into(),
        met: enforce.then_some(ratio >= 0.9 && per_s >= 5_000.0),
        exactly_once: Some(plain_once && hooked_once && once),
        cpu: hooked.cpu,
    })
}
