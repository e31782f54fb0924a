//! The plain MQTT listener (`mqtt_listen`): accepts TCP connections under the same connection
//! caps as HTTP, with TLS when the server has a certificate, and hands each to the Qiscus
//! face's MQTT session. It stops accepting
//! when the core begins to shut down; open sessions end with the core's connections.

use crate::serve::{Admission, Verdict};
use palaver_core::Core;
use palaver_qiscus::{Qiscus, mqtt};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts accepting on `listener` as a task of the core.
pub fn start(listener: TcpListener, core: Core, tls: Option<TlsAcceptor>, admission: Arc<Admission>) {
    let tasks = core.tasks().clone();
    tasks.spawn(async move {
        let stopping = core.tasks().stopping();
        tokio::pin!(stopping);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: wait rather than spin.
                        tracing::warn!(error = %e, "accepting an MQTT connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut stopping => break,
            };
            // Over a cap, MQTT has no way to say "busy" before CONNECT: the socket closes.
            let Verdict::Serve(ticket) = admission.admit(peer.ip()) else { continue };
            let _ = stream.set_nodelay(true);
            let q = Qiscus { core: core.clone() };
            let tls = tls.clone();
            tokio::spawn(async move {
                let _ticket = ticket;
                match tls {
                    Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => mqtt::serve_stream(q, stream, Some(peer.ip())).await,
                        _ => tracing::debug!("an MQTT TLS handshake failed"),
                    },
                    None => mqtt::serve_stream(q, stream, Some(peer.ip())).await,
                }
            });
        }
    });
}
