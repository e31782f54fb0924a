//! Palaver's TapTalk.io (PowerTalk) face.
//!
//! Thin by design: parse and validate the dialect's requests, call the core, render the
//! dialect's shapes. Everything under `/v1` answers in TapTalk's envelope with HTTP 200.

pub mod client;
pub mod crypto;
pub mod envelope;
pub mod params;
pub mod realtime;
pub mod server;
pub mod wire;

use axum::Router;
use axum::extract::Request;
use axum::routing::get;
use envelope::ApiError;
use palaver_core::Core;
use palaver_core::realtime::Renderer;
use std::sync::Arc;

/// The face's shared state.
#[derive(Clone)]
pub struct TapTalk {
    /// The services.
    pub core: Core,
    /// How events are encoded for this face's connections.
    pub renderer: Arc<dyn Renderer>,
}

/// Every TapTalk route, with TapTalk-style answers for unknown paths and wrong methods
/// under `/v1`.
pub fn router(core: Core) -> Router {
    let renderer = Arc::new(realtime::render::TapTalkRenderer { hub: core.hub().clone() });
    let max_upload = usize::try_from(core.config().max_file_bytes).unwrap_or(usize::MAX);
    Router::new()
        .merge(server::routes())
        .merge(client::routes(max_upload))
        .route("/connect", get(realtime::connect::connect))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(TapTalk { core, renderer })
}

/// Whether a path belongs to this face (for the server's fallback).
pub fn owns_path(path: &str) -> bool {
    path.starts_with("/v1/") || path == "/connect"
}

/// The answer for an unknown path under `/v1`.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::new(404, "40400", format!("Path not found: {}", req.uri().path()), "")
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(405, "40500", format!("Method {} is not allowed here; use POST", req.method()), "")
}
