//! `/ready` (readiness) beside `/health` (liveness): a node is ready while its database
//! answers and, in a cluster, its NATS link is up. PostgreSQL and NATS are taken away by
//! stopping a TCP proxy the server reaches them through, and given back by starting it again.

use crate::cluster::cluster_env;
use crate::support::{Answer, TestApp, fresh_schema};
use palaver_store::Backend;
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A TCP proxy forwarding each connection to `upstream`. Stopping it closes its listener and
/// every connection through it.
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(listen: SocketAddr, upstream: String) -> Proxy {
        let listener = TcpListener::bind(listen).await.expect("the proxy listens");
        let addr = listener.local_addr().unwrap();
        let to = upstream.clone();
        let task = tokio::spawn(async move {
            // Dropped with the task: every connection ends with it.
            let mut links = JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else { continue };
                let to = to.clone();
                links.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&to).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                while links.try_join_next().is_some() {}
            }
        });
        Proxy { addr, upstream, task }
    }

    /// Stops forwarding; gives back where it listened and where it forwarded to.
    async fn stop(self) -> (SocketAddr, String) {
        self.task.abort();
        let _ = self.task.await;
        (self.addr, self.upstream)
    }
}

/// The `host:port` a URL such as `postgres://user@host:port/db` names, and the URL naming
/// `addr` instead.
fn through(url: &str, addr: SocketAddr, default_port: u16) -> (String, String) {
    let start = url.find("://").expect("a URL with a scheme") + 3;
    let end = url[start..].find(['/', '?']).map_or(url.len(), |i| start + i);
    let host_start = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    let host = &url[host_start..end];
    assert!(!host.is_empty(), "{url} names no host to put a proxy in front of");
    let has_port = host.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    let upstream = if has_port { host.to_string() } else { format!("{host}:{default_port}") };
    (upstream, format!("{}{addr}{}", &url[..host_start], &url[end..]))
}

/// Asks `/ready` until it answers `status` or `wait` has passed; the last answer.
async fn ready_within(app: &TestApp, status: u16, wait: Duration) -> Answer {
    let deadline = Instant::now() + wait;
    loop {
        let a = app.request("GET", "/ready", &[], "").await;
        if a.http == status || Instant::now() > deadline {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn assert_live(app: &TestApp) {
    let health = app.request("GET", "/health", &[], "").await;
    assert_eq!((health.http, health.raw.as_ref()), (200, b"ok".as_slice()), "liveness asks nothing of the database");
}

#[tokio::test]
async fn ready_answers_200_on_a_healthy_sqlite_server_and_503_once_its_database_is_closed() {
    let app = TestApp::spawn_with(|s| s.backend = Backend::Sqlite(s.data_dir.join("palaver.db"))).await;
    let a = app.request("GET", "/ready", &[], "").await;
    assert_eq!((a.http, &a.body), (200, &json!({"status": "ready"})));
    assert_eq!(a.content_type, "application/json");
    assert_live(&app).await;

    let store = app.core.store().clone();
    tokio::task::spawn_blocking(move || store.close()).await.unwrap();
    let a = app.request("GET", "/ready", &[], "").await;
    assert_eq!((a.http, &a.body), (503, &json!({"status": "not ready", "reason": "database"})));
    assert_live(&app).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PALAVER_TEST_DATABASE_URL, run with --include-ignored"]
async fn ready_answers_503_while_postgresql_is_unreachable_and_200_when_it_is_back() {
    let url = std::env::var("PALAVER_TEST_DATABASE_URL").expect("PALAVER_TEST_DATABASE_URL names PostgreSQL");
    let url = fresh_schema(url).await;
    let (upstream, _) = through(&url, "127.0.0.1:1".parse().unwrap(), 5432);
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), upstream).await;
    let (_, via_proxy) = through(&url, proxy.addr, 5432);
    let app = TestApp::spawn_with(move |s| s.backend = Backend::Postgres(via_proxy)).await;
    let a = ready_within(&app, 200, Duration::from_secs(5)).await;
    assert_eq!((a.http, &a.body), (200, &json!({"status": "ready"})));

    let (addr, upstream) = proxy.stop().await;
    let a = ready_within(&app, 503, Duration::from_secs(5)).await;
    assert_eq!((a.http, &a.body), (503, &json!({"status": "not ready", "reason": "database"})));
    assert_live(&app).await;

    let _proxy = Proxy::start(addr, upstream).await;
    let a = ready_within(&app, 200, Duration::from_secs(10)).await;
    assert_eq!((a.http, &a.body), (200, &json!({"status": "ready"})));
    // And it writes again.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.try_server("/v1/server/user/update", json!({"xcUserID": "back", "fullName": "Back"})).await.is_none() {
        assert!(Instant::now() < deadline, "writes work again once the database is back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL and NATS: set PALAVER_TEST_DATABASE_URL and PALAVER_TEST_NATS_URL, run with --include-ignored"]
async fn ready_answers_503_while_the_nats_link_is_down_and_200_when_it_is_back() {
    let (_, nats) = cluster_env();
    let (upstream, _) = through(&nats, "127.0.0.1:1".parse().unwrap(), 4222);
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), upstream).await;
    let (_, via_proxy) = through(&nats, proxy.addr, 4222);
    // The database is PostgreSQL (the test's own schema), reached directly.
    let app = TestApp::spawn_with(move |s| s.core.nats_url = Some(via_proxy)).await;
    let a = ready_within(&app, 200, Duration::from_secs(10)).await;
    assert_eq!((a.http, &a.body), (200, &json!({"status": "ready"})));

    let (addr, upstream) = proxy.stop().await;
    let a = ready_within(&app, 503, Duration::from_secs(5)).await;
    assert_eq!((a.http, &a.body), (503, &json!({"status": "not ready", "reason": "cluster"})));
    assert_live(&app).await;

    let _proxy = Proxy::start(addr, upstream).await;
    // The client retries with a growing delay of at most 4 s.
    let a = ready_within(&app, 200, Duration::from_secs(15)).await;
    assert_eq!((a.http, &a.body), (200, &json!({"status": "ready"})));
    app.stop().await;
}

#[test]
fn through_puts_the_proxy_in_place_of_the_host() {
    let proxy: SocketAddr = "127.0.0.1:7000".parse().unwrap();
    assert_eq!(
        through("postgres://postgres@db.local:5433/palaver?options=x", proxy, 5432),
        ("db.local:5433".to_string(), "postgres://postgres@127.0.0.1:7000/palaver?options=x".to_string())
    );
    assert_eq!(through("nats://nats", proxy, 4222), ("nats:4222".to_string(), "nats://127.0.0.1:7000".to_string()));
}
