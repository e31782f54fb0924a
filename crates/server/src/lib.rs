//! The Palaver server: settings, wiring of the core and the API faces, and serving.

mod bodies;
pub mod config;
mod cors;
pub mod data_lock;
pub mod faces;
pub mod layers;
pub mod logs;
pub mod metrics;
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
    /// The `/metrics` listener and the recorder it renders, when `metrics_listen` is set.
    metrics: Option<(TcpListener, metrics_exporter_prometheus::PrometheusHandle)>,
    router: Router,
    core: Core,
    tls: Option<TlsAcceptor>,
    default_app: Option<CreatedApp>,
    limits: config::ConnectionLimits,
    /// On SQLite, the data directory's lock, held until the server has stopped.
    lock: Option<data_lock::DataDirLock>,
}

impl Application {
    /// In this order, so that a start that fails creates nothing: binds every listener,
    /// takes the data directory's lock (SQLite only: one server per data directory), opens
    /// the database (in a data directory only its owner may enter), and creates the default
    /// app on an empty database (its secrets are in [`Application::default_app`]).
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
        // Bound before the core opens, and the recorder installed, so that every handle the
        // store and the core take records into it.
        let metrics = match settings.metrics_listen {
            Some(addr) => {
                let l =
                    TcpListener::bind(addr).await.map_err(|e| format!("cannot listen for metrics on {addr}: {e}"))?;
                Some((l, metrics::install()?))
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
        let lock = match settings.backend {
            palaver_store::Backend::Sqlite(_) => Some(data_lock::DataDirLock::acquire(&settings.data_dir)?),
            palaver_store::Backend::Postgres(_) => None,
        };
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
        Ok(Application { listener, mqtt_listener, metrics, router, core, tls, default_app, limits, lock })
    }

    /// The address the server listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The address of the MQTT listener, if there is one.
    pub fn mqtt_addr(&self) -> Option<SocketAddr> {
        self.mqtt_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The address of the metrics listener, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
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
        // Metrics stay up until the database has closed, so the last writes are counted.
        let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics_task = self.metrics.map(|(listener, handle)| {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!("metrics are served at http://{addr}/metrics");
            }
            tokio::spawn(metrics::serve(listener, handle, async {
                let _ = metrics_stopped.await;
            }))
        });
        serve::serve(self.listener, self.router, self.tls, self.limits, admission, shutdown).await;
        self.core.close().await;
        let _ = stop_metrics.send(());
        if let Some(task) = metrics_task {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
        // Only once the database is closed may another server take the directory.
        drop(self.lock);
    }
}

/// Every face's routes, an answer in the right dialect for anything unknown, CORS, bodies
/// read before handlers run, request metrics, and a log line with a request id for every request.
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
        .route("/ready", get(move || ready(core)))
        .fallback(fallback)
        .layer(axum::middleware::from_fn(cors::cors))
        .layer(axum::middleware::from_fn_with_state(bodies, bodies::read_bodies))
        .layer(metrics::RequestMetrics)
        .layer(logs::RequestLog)
}

/// How long `/ready` waits for the database's answer.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `/ready`: 200 `{"status":"ready"}` when this node can serve (the database answers, and the
/// cluster link is up when there is one); 503 with the reason, in a word, otherwise.
async fn ready(core: Core) -> Response {
    use axum::response::IntoResponse;
    match core.readiness(READY_TIMEOUT).await {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(why) => {
            let reason = match why {
                palaver_core::NotReady::Database => "database",
                palaver_core::NotReady::Cluster => "cluster",
            };
            let body = serde_json::json!({"status": "not ready", "reason": reason});
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

async fn fallback(req: Request) -> Response {
    faces::refuse(req.uri().path(), Refusal::NotFound)
}
