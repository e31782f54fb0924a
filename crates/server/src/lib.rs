//! The Palaver server: settings, wiring of the core and the API faces, and serving.

mod bodies;
pub mod config;
mod cors;
pub mod faces;
mod mqtt_listener;
pub mod serve;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::get;
use config::Settings;
use palaver_core::{Core, CreatedApp};
use palaver_domain::Refusal;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A built server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    mqtt_listener: Option<TcpListener>,
    router: Router,
    core: Core,
    tls: Option<TlsAcceptor>,
    default_app: Option<CreatedApp>,
    limits: config::ConnectionLimits,
}

impl Application {
    /// Binds the listener, opens the database (in a data directory only its owner may
    /// enter), creates the default app on an empty database.
    pub async fn build(settings: Settings) -> Result<Application, String> {
        let tls = match &settings.tls {
            Some((cert, key)) => Some(serve::tls_acceptor(cert, key)?),
            None => None,
        };
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let bound = listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;
        let mqtt_listener = match settings.mqtt_listen {
            Some(addr) => {
                Some(TcpListener::bind(addr).await.map_err(|e| format!("cannot listen for MQTT on {addr}: {e}"))?)
            }
            None => None,
        };
        let mut core_config = settings.core.clone();
        core_config.public_url = match &settings.public_url {
            Some(url) => url.clone(),
            None => config::default_public_url(bound, tls.is_some()),
        };
        palaver_store::create_private_dir(&settings.data_dir)
            .map_err(|e| format!("cannot create the data directory {}: {e}", settings.data_dir.display()))?;
        let core = Core::open(settings.backend.clone(), settings.store.clone(), core_config)
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        let default_app = core
            .ensure_default_app(&faces::key_kinds())
            .await
            .map_err(|e| format!("cannot create the default app: {e}"))?;
        let mut limits = settings.limits.clone();
        limits.fit_to_descriptors();
        let router = router(core.clone(), &limits);
        Ok(Application { listener, mqtt_listener, router, core, tls, default_app, limits })
    }

    /// The address the server listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The address of the MQTT listener, if there is one.
    pub fn mqtt_addr(&self) -> Option<SocketAddr> {
        self.mqtt_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The services, for tests and tools.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The default app and its keys, if this start created it.
    pub fn default_app(&self) -> Option<&CreatedApp> {
        self.default_app.as_ref()
    }

    /// Whether the server speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` completes, drains in-flight requests, closes the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        // One set of connection caps for HTTP, WebSockets and MQTT alike.
        let admission =
            serve::Admission::new(self.limits.max_connections, self.limits.max_connections_per_ip.unwrap_or(0));
        palaver_core::webhooks::start(&self.core, faces::webhook_dialects());
        self.core.start_scheduled_messages();
        if let Some(listener) = self.mqtt_listener {
            mqtt_listener::start(listener, self.core.clone(), self.tls.clone(), admission.clone());
        }
        serve::serve(self.listener, self.router, self.tls, self.limits, admission, shutdown).await;
        self.core.close().await;
    }
}

/// Every face's routes, an answer in the right dialect for anything unknown, CORS, and
/// bodies read before handlers run.
pub fn router(core: Core, limits: &config::ConnectionLimits) -> Router {
    let mut router = Router::new();
    for face in faces::FACES {
        router = router.merge((face.router)(core.clone()));
    }
    let bodies = bodies::BodyLimits {
        max_bytes: palaver_domain::limits::MAX_REQUEST_BYTES,
        timeout: limits.body_timeout,
        max_requests_per_connection: limits.max_requests_per_connection,
    };
    router
        .route("/health", get(|| async { "ok" }))
        .fallback(fallback)
        .layer(axum::middleware::from_fn(cors::cors))
        .layer(axum::middleware::from_fn_with_state(bodies, bodies::read_bodies))
}

async fn fallback(req: Request) -> Response {
    faces::refuse(req.uri().path(), Refusal::NotFound)
}
