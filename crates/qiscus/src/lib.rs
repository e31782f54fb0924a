//! Palaver's Qiscus face: the Server REST API v2.1.
//!
//! Thin by design, like the TapTalk face: read the lenient parameters real clients send,
//! validate, call the core's Qiscus services, render Qiscus' shapes. Everything under
//! `/api/` answers in Qiscus' envelope, errors included.

pub mod auth;
pub mod envelope;
pub mod params;
pub mod rest;
pub mod validate;
pub mod wire;

use axum::Router;
use axum::extract::Request;
use envelope::ApiError;
use palaver_core::Core;

/// The face's shared state.
#[derive(Clone)]
pub struct Qiscus {
    /// The services.
    pub core: Core,
}

/// Every Qiscus route, with Qiscus-style answers for wrong methods.
pub fn router(core: Core) -> Router {
    Router::new().merge(rest::routes()).method_not_allowed_fallback(method_not_allowed).with_state(Qiscus { core })
}

/// Whether a path belongs to this face (for the server's fallback).
pub fn owns_path(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The answer for an unknown path under `/api/`.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::new(404, format!("Path not found: {}", req.uri().path()))
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(405, format!("Method {} is not allowed on {}", req.method(), req.uri().path()))
}
