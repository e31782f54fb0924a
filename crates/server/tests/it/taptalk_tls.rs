//! `--tls-cert` / `--tls-key`: HTTPS and WSS served directly (the web SDK only speaks wss://).

use crate::client_support::{body_of, urlencode};
use crate::support::TestApp;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::tungstenite::Message;

/// A TLS client trusting the test server's certificate.
pub struct Tls {
    connector: TlsConnector,
    addr: std::net::SocketAddr,
}

impl Tls {
    /// A TLS connection to the server's HTTPS port.
    pub async fn stream(&self) -> tokio_rustls::client::TlsStream<TcpStream> {
        self.stream_to(self.addr).await
    }

    /// A TLS connection to `addr` (another listener of the same server).
    pub async fn stream_to(&self, addr: std::net::SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
        let tcp = TcpStream::connect(addr).await.unwrap();
        self.connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.expect("TLS handshake")
    }

    async fn post(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Value {
        let io = hyper_util::rt::TokioIo::new(self.stream().await);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        let mut req = hyper::Request::post(path).header("host", "localhost");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = sender.send_request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap()).await.unwrap();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }
}

/// A server with a fresh self-signed certificate for `localhost`, and a client trusting it.
pub async fn tls_server(tune: impl FnOnce(&mut palaver_server::config::Settings)) -> (TestApp, Tls) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let app = TestApp::spawn_with(|s| {
        s.tls = Some((cert.clone(), key.clone()));
        tune(s);
    })
    .await;
    // The certificate files are read at start; the directory may go.
    drop(dir);

    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(certified.cert.der().to_vec())).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = Tls { connector: TlsConnector::from(Arc::new(config)), addr: app.addr };
    (app, tls)
}

#[tokio::test]
async fn a_tls_connection_that_goes_silent_after_its_handshake_is_closed() {
    let (_app, tls) = tls_server(|s| s.limits.idle_timeout = std::time::Duration::from_secs(1)).await;
    let mut stream = tls.stream().await;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "the server closes the silent connection: {read:?}");
}

#[tokio::test]
async fn https_and_wss_are_served_with_the_given_certificate() {
    let (app, tls) = tls_server(|_| {}).await;

    let key_header = [("Server-Key", app.creds.server_key.as_str())];
    let env = tls.post("/v1/server/user/update", &key_header, json!({"xcUserID": "bob", "fullName": "Bob"})).await;
    assert_eq!(env["status"], 200, "{env}");
    tls.post("/v1/server/user/update", &key_header, json!({"xcUserID": "alice", "fullName": "Alice"})).await;
    let ticket =
        tls.post("/v1/server/auth_ticket/request", &key_header, json!({"xcUserID": "bob", "fullName": "Bob"})).await;
    let bearer = format!("Bearer {}", ticket["data"]["ticket"].as_str().unwrap());
    let tokens = tls
        .post(
            "/v1/auth/access_token/request",
            &[("App-Key", &app.creds.app_key), ("Authorization", &bearer)],
            json!(""),
        )
        .await;
    let access = tokens["data"]["accessToken"].as_str().unwrap();

    let url = format!(
        "wss://localhost/connect?app_key={}&authorization=Bearer%20{access}&device_platform=web",
        urlencode(&app.creds.app_key)
    );
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls.stream().await).await.expect("wss upgrade");
    tls.post(
        "/v1/server/message/send/custom",
        &key_header,
        json!({"messageType": 1001, "body": "over TLS", "senderXCUserID": "alice", "recipientXCUserID": "bob"}),
    )
    .await;
    loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Binary(b) => {
                let event: Value = serde_json::from_slice(&b).unwrap();
                if event["eventName"] == "chat/sendMessage" {
                    assert_eq!(body_of(&event["data"]), "over TLS");
                    break;
                }
            }
            Message::Text(t) => panic!("text frame {t}"),
            _ => {}
        }
    }
}
