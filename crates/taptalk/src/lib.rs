//! Palaver's TapTalk.io (PowerTalk) face.
//!
//! Thin by design: parse and validate the dialect's requests into the core's typed requests,
//! call the core, render the dialect's shapes. Everything under `/v1` answers in TapTalk's
//! envelope with HTTP 200.

pub mod client;
pub mod crypto;
pub mod envelope;
pub mod params;
pub mod realtime;
pub mod server;
pub mod webhook;
pub mod wire;

use axum::Router;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use envelope::ApiError;
use palaver_core::realtime::Renderer;
use palaver_core::{Core, KeyField, KeyIdStyle, KeyKind};
use palaver_domain::Refusal;
use std::sync::Arc;

/// The face's shared state.
#[derive(Clone)]
pub struct TapTalk {
    /// The services.
    pub core: Core,
    /// How events are encoded for this face's connections.
    pub renderer: Arc<dyn Renderer>,
}

/// The key a customer's backend sends as `Server-Key`.
pub const SERVER_KEY: KeyKind = KeyKind {
    name: "taptalk.server_key",
    id_style: KeyIdStyle::Hex(24),
    secret_chars: 40,
    signs: false,
    show: show_server_key,
};

/// The key client apps send as `App-Key`.
pub const APP_KEY: KeyKind = KeyKind {
    name: "taptalk.app_key",
    id_style: KeyIdStyle::Hex(24),
    secret_chars: 40,
    signs: false,
    show: show_app_key,
};

/// The kinds of key every app needs for this face.
pub const KEY_KINDS: &[KeyKind] = &[SERVER_KEY, APP_KEY];

/// Encodes `id:secret` the way TapTalk key headers carry it.
pub fn key_header(id: &str, secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

fn show_key(id: &str, secret: Option<&str>, names: [&'static str; 3], label: &'static str) -> Vec<KeyField> {
    let mut fields = Vec::new();
    if let Some(secret) = secret {
        fields.push(KeyField { name: names[0], value: key_header(id, secret), label: Some(label) });
    }
    fields.push(KeyField { name: names[1], value: id.to_string(), label: None });
    if let Some(secret) = secret {
        fields.push(KeyField { name: names[2], value: secret.to_string(), label: None });
    }
    fields
}

fn show_server_key(id: &str, secret: Option<&str>) -> Vec<KeyField> {
    show_key(id, secret, ["server_key", "server_key_id", "server_key_secret"], "TapTalk  Server-Key header")
}

fn show_app_key(id: &str, secret: Option<&str>) -> Vec<KeyField> {
    show_key(id, secret, ["app_key", "app_key_id", "app_key_secret"], "TapTalk  App-Key header")
}

/// Every TapTalk route, with TapTalk-style answers for wrong methods under `/v1`.
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

/// The routes whose handlers read the request body as a stream: uploads.
pub fn streams_body(path: &str) -> bool {
    client::STREAMED_PATHS.contains(&path)
}

/// This face's answer for a request the server turned away before a handler saw it.
pub fn refuse(path: &str, r: Refusal) -> Response {
    let mut e = ApiError::refusal(r);
    if r == Refusal::NotFound {
        e.message = format!("Path not found: {path}");
    }
    e.into_response()
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(405, "40500", format!("Method {} is not allowed here; use POST", req.method()), "")
}
