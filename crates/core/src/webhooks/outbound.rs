//! The HTTP client webhooks are delivered with: one keep-alive HTTP/1.1 connection per
//! delivery lane, connect and total timeouts, TLS with the system's roots, and no requests to
//! loopback, private or link-local addresses unless `webhook_allow_private` says so, checked
//! on the addresses the name resolves to (so DNS cannot point a public name inside).

use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

/// Most bytes of an answer's body kept for the log.
const EXCERPT_BYTES: usize = 1024;

/// Why a delivery got no answer.
#[derive(Debug)]
pub enum Failure {
    /// The URL names a loopback, private or link-local address (or resolves to one).
    Refused(String),
    /// Connecting, TLS or the request failed or timed out: worth retrying.
    Transport(String),
}

impl Failure {
    /// What to record.
    pub fn message(&self) -> &str {
        match self {
            Failure::Refused(m) | Failure::Transport(m) => m,
        }
    }
}

/// A receiver's answer.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// `Retry-After`, in seconds, when given as a number.
    pub retry_after_secs: Option<u64>,
    /// The start of the body.
    pub excerpt: String,
}

/// How webhook requests are made.
pub struct Outbound {
    allow_private: bool,
    connect_timeout: Duration,
    total_timeout: Duration,
    tls: TlsConnector,
}

/// An open connection and the origin it goes to.
pub struct Open {
    origin: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Outbound {
    /// A client with the given rules.
    pub fn new(allow_private: bool, connect_timeout: Duration, total_timeout: Duration) -> Outbound {
        let mut roots = RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            let _ = roots.add(cert);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Outbound { allow_private, connect_timeout, total_timeout, tls: TlsConnector::from(Arc::new(config)) }
    }

    /// POSTs `body` to `url` with `headers`, reusing `conn` when it goes to the same origin
    /// and is still open.
    pub async fn post(
        &self,
        conn: &mut Option<Open>,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<Answer, Failure> {
        let uri: Uri = url.parse().map_err(|_| Failure::Refused(format!("not a URL: {url}")))?;
        let origin = format!("{}://{}", uri.scheme_str().unwrap_or(""), uri.authority().map_or("", |a| a.as_str()));
        let reusable = conn.as_ref().is_some_and(|c| c.origin == origin && !c.sender.is_closed());
        if !reusable {
            *conn = None;
            let sender = timeout(self.connect_timeout, self.connect(&uri))
                .await
                .map_err(|_| Failure::Transport("connecting timed out".into()))??;
            *conn = Some(Open { origin, sender });
        }
        let open = conn.as_mut().expect("connected above");
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        let mut request = Request::post(path)
            .header("host", uri.authority().map_or("", |a| a.as_str()))
            .header("content-type", "application/json")
            .header("user-agent", concat!("Palaver-Webhooks/", env!("CARGO_PKG_VERSION")));
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request.body(Full::new(body)).map_err(|e| Failure::Refused(e.to_string()))?;
        let exchange = async {
            open.sender.ready().await.map_err(|e| Failure::Transport(format!("connection lost: {e}")))?;
            let answer = open.sender.send_request(request).await.map_err(|e| Failure::Transport(e.to_string()))?;
            let status = answer.status().as_u16();
            let retry_after_secs = answer
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let mut body = answer.into_body();
            let mut excerpt = Vec::new();
            // The whole body is read (so the connection can carry the next request), only
            // its start kept.
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| Failure::Transport(e.to_string()))?;
                if let Some(data) = frame.data_ref()
                    && excerpt.len() < EXCERPT_BYTES
                {
                    let room = EXCERPT_BYTES - excerpt.len();
                    excerpt.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Ok(Answer { status, retry_after_secs, excerpt: String::from_utf8_lossy(&excerpt).into_owned() })
        };
        match timeout(self.total_timeout, exchange).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                *conn = None;
                Err(e)
            }
            Err(_) => {
                *conn = None;
                Err(Failure::Transport(format!("no answer within {} ms", self.total_timeout.as_millis())))
            }
        }
    }

    async fn connect(&self, uri: &Uri) -> Result<SendRequest<Full<Bytes>>, Failure> {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(Failure::Refused("only http and https URLs are delivered to".into())),
        };
        let host = uri.host().ok_or_else(|| Failure::Refused("the URL has no host".into()))?;
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| Failure::Transport(format!("resolving {bare}: {e}")))?
                .collect(),
        };
        if !self.allow_private
            && let Some(a) = addrs.iter().find(|a| is_private(a.ip()))
        {
            return Err(Failure::Refused(format!(
                "{bare} is a loopback, private or link-local address ({}); set webhook_allow_private to deliver there",
                a.ip()
            )));
        }
        let mut last = Failure::Transport(format!("{bare} resolves to no address"));
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return if tls {
                        let name = ServerName::try_from(bare.to_string())
                            .map_err(|_| Failure::Refused(format!("{bare} is not a valid TLS name")))?;
                        let stream = self
                            .tls
                            .connect(name, stream)
                            .await
                            .map_err(|e| Failure::Transport(format!("TLS with {bare}: {e}")))?;
                        handshake(stream).await
                    } else {
                        handshake(stream).await
                    };
                }
                Err(e) => last = Failure::Transport(format!("connecting to {addr}: {e}")),
            }
        }
        Err(last)
    }
}

async fn handshake<S>(stream: S) -> Result<SendRequest<Full<Bytes>>, Failure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) =
        http1::handshake(TokioIo::new(stream)).await.map_err(|e| Failure::Transport(e.to_string()))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Whether an address is loopback, private, link-local, shared (CGNAT), unspecified,
/// broadcast or multicast: not somewhere a webhook should reach by default.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_private;

    #[test]
    fn private_addresses_are_recognised() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
    }
}
