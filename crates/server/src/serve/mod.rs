//! The accept loop: HTTP/1.1 (and WebSocket upgrades) over plain TCP or TLS, with caps on
//! connections, timeouts for silent clients, and graceful shutdown that lets in-flight
//! requests finish.

mod admission;
mod socket;

use crate::faces;
use admission::Ticket;
pub use admission::{Admission, Verdict};
use axum::Router;
use axum::http::{HeaderValue, Request, header};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use palaver_domain::Refusal;
use socket::Served;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an over-cap connection may take to send the request it is refused.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);
/// What an over-cap client is told to wait before retrying, seconds.
const REFUSAL_RETRY_SECS: u32 = 5;
/// The most a connection buffers of what it has read and not yet handled: a request head must
/// fit in it. With hyper's default (about 400 KiB), 16 concurrent 25 MiB uploads grew the
/// process by 63 MiB; with 64 KiB, by 39 MiB.
const READ_BUFFER: usize = 64 * 1024;

/// How the server guards its connections; see the settings of the same names.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// How long a connection may stay silent: before its first request, between requests,
    /// and while it sends a request's headers.
    pub idle_timeout: Duration,
    /// How long a request's body may take to arrive.
    pub body_timeout: Duration,
    /// Most open connections, WebSockets included (0: as many as the descriptor limit
    /// leaves room for).
    pub max_connections: usize,
    /// Most open connections from one address or IPv6 /64 (`Some(0)`: no cap per address;
    /// `None`: a quarter of `max_connections`).
    pub max_connections_per_ip: Option<usize>,
    /// Requests one connection carries before the server closes it (the client reconnects).
    pub max_requests_per_connection: u32,
    /// Whether the client's address for rate limits is the last one in `X-Forwarded-For`
    /// (behind a proxy that appends it), rather than the connection's.
    pub trust_forwarded_for: bool,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 0,
            max_connections_per_ip: None,
            max_requests_per_connection: 10_000,
            trust_forwarded_for: false,
        }
    }
}

/// What the server knows of the connection a request came on; a request extension (the
/// client's address travels as axum's `ConnectInfo`).
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    /// This request's number on its connection, from 1.
    pub nth: u32,
}

impl ConnectionLimits {
    /// Fits the connection caps to the file descriptors the process may open (raising its
    /// soft limit to the hard one first), keeping room for the database, files and refusals.
    pub fn fit_to_descriptors(&mut self) {
        let descriptors = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let descriptors = usize::try_from(descriptors).unwrap_or(usize::MAX);
        let room = descriptors.saturating_sub((descriptors / 8).max(128)).max(1);
        if self.max_connections == 0 {
            self.max_connections = room;
        } else if self.max_connections > room {
            tracing::warn!(
                configured = self.max_connections,
                allowed = room,
                "max_connections is above what the descriptor limit allows; lowered"
            );
            self.max_connections = room;
        }
        if self.max_connections_per_ip.is_none() {
            self.max_connections_per_ip = Some((self.max_connections / 4).max(1));
        }
    }
}

/// Loads a PEM certificate chain and private key into a TLS acceptor (HTTP/1.1 only).
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read certificate {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("cannot read key {}: {e}", key.display()))?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
            .map_err(|e| format!("invalid certificate or key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Everything one connection's task needs.
#[derive(Clone)]
struct Acceptor {
    app: Router,
    tls: Option<TlsAcceptor>,
    http: http1::Builder,
    refusals: http1::Builder,
    trust_forwarded_for: bool,
    /// Cancelled when the server stops taking requests: connections finish the one in
    /// flight and close.
    draining: CancellationToken,
}

/// Serves `app` on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    admission: Arc<Admission>,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.idle_timeout).max_buf_size(READ_BUFFER);
    let mut refusals = http1::Builder::new();
    refusals.timer(TokioTimer::new()).header_read_timeout(REFUSAL_TIMEOUT).keep_alive(false);
    let trust_forwarded_for = limits.trust_forwarded_for;
    let acceptor = Acceptor { app, tls, http, refusals, trust_forwarded_for, draining: CancellationToken::new() };
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, open = admission.open(), "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match admission.admit(peer.ip()) {
            Verdict::Serve(ticket) => {
                let _ = stream.set_nodelay(true);
                connections.spawn(acceptor.clone().serve(stream, peer, ticket));
            }
            Verdict::Refuse(ticket) => {
                connections.spawn(acceptor.clone().refuse(stream, ticket));
            }
            Verdict::Close => drop(stream),
        }
    }
    drop(listener);
    acceptor.draining.cancel();
    connections.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.wait()).await.is_err() {
        tracing::warn!("some connections did not finish within the drain timeout");
    }
}

/// The address a proxy appended last to `X-Forwarded-For`: the one it saw the request from.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<std::net::IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

impl Acceptor {
    /// Serves one admitted connection until it closes.
    async fn serve(self, stream: TcpStream, addr: SocketAddr, ticket: Ticket) {
        let served = Arc::new(AtomicU32::new(0));
        let trust_forwarded_for = self.trust_forwarded_for;
        let service = TowerToHyperService::new(self.app.map_request(move |mut req: Request<Incoming>| {
            let nth = served.fetch_add(1, Ordering::Relaxed).saturating_add(1);
            req.extensions_mut().insert(Peer { nth });
            // The faces read the client's address, for their rate limits, the way axum offers it.
            let client = trust_forwarded_for.then(|| forwarded_for(req.headers())).flatten();
            req.extensions_mut().insert(axum::extract::ConnectInfo(client.map_or(addr, |ip| SocketAddr::new(ip, 0))));
            req
        }));
        let socket = Served::new(stream, ticket);
        let result = match self.tls {
            None => {
                let conn = self.http.serve_connection(TokioIo::new(socket), service).with_upgrades();
                until_drained(conn, &self.draining).await
            }
            Some(acceptor) => {
                let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await else {
                    return;
                };
                let conn = self.http.serve_connection(TokioIo::new(stream), service).with_upgrades();
                until_drained(conn, &self.draining).await
            }
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }

    /// Tells an over-cap client that the server is busy, in the dialect of the path it asked
    /// for, and closes.
    async fn refuse(self, stream: TcpStream, ticket: Ticket) {
        let service =
            hyper::service::service_fn(
                |req: Request<Incoming>| async move { Ok::<_, Infallible>(busy(req.uri().path())) },
            );
        let socket = Served::new(stream, ticket);
        let _ = match self.tls {
            None => self.refusals.serve_connection(TokioIo::new(socket), service).await,
            Some(acceptor) => {
                let Ok(Ok(stream)) = tokio::time::timeout(REFUSAL_TIMEOUT, acceptor.accept(socket)).await else {
                    return;
                };
                self.refusals.serve_connection(TokioIo::new(stream), service).await
            }
        };
    }
}

/// Runs a connection; once draining begins, it finishes the request in flight and closes.
async fn until_drained<I, S>(
    conn: http1::UpgradeableConnection<I, S>,
    draining: &CancellationToken,
) -> Result<(), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => return result,
        () = draining.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    conn.await
}

/// The "busy" answer to an over-cap connection.
fn busy(path: &str) -> Response {
    let mut res = faces::refuse(path, Refusal::Overloaded);
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(REFUSAL_RETRY_SECS));
    res
}
