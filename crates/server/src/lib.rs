//! The Palaver server: settings, wiring of the core and the API faces, and serving.

pub mod config;
mod cors;
pub mod faces;
pub mod serve;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::uri::Scheme;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use config::Settings;
use palaver_core::{Core, CreatedApp};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A built server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    core: Core,
    tls: Option<TlsAcceptor>,
    default_app: Option<CreatedApp>,
}

impl Application {
    /// Opens the database, creates the default app on an empty database, binds the listener.
    pub async fn build(settings: Settings) -> Result<Application, String> {
        let core = Core::open(settings.backend.clone(), settings.store.clone(), settings.core.clone())
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        let default_app = core
            .ensure_default_app(&faces::key_kinds())
            .await
            .map_err(|e| format!("cannot create the default app: {e}"))?;
        let tls = match &settings.tls {
            Some((cert, key)) => Some(serve::tls_acceptor(cert, key)?),
            None => None,
        };
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let mut router = router(core.clone());
        if tls.is_some() {
            // Lets handlers build https:// URLs (file links) for this server.
            router = router.layer(Extension(Scheme::HTTPS));
        }
        Ok(Application { listener, router, core, tls, default_app })
    }

    /// The address the server listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
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
        serve::serve(self.listener, self.router, self.tls, shutdown).await;
        self.core.close().await;
    }
}

/// Every face's routes, an answer in the right dialect for anything unknown, and CORS.
pub fn router(core: Core) -> Router {
    let mut router = Router::new();
    for face in faces::FACES {
        router = router.merge((face.router)(core.clone()));
    }
    router.route("/health", get(|| async { "ok" })).fallback(fallback).layer(axum::middleware::from_fn(cors::cors))
}

async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    if let Some(face) = faces::FACES.iter().find(|f| (f.owns)(path)) {
        return (face.not_found)(path);
    }
    let body = serde_json::json!({"status": 404, "error": {"message": format!("Path not found: {path}")}});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
