//! Palaver's Qiscus face: the Server REST API v2.1, the client API and its MQTT realtime.
//!
//! Thin by design, like the TapTalk face: read the lenient parameters real clients send into
//! the core's typed requests, call the core, render Qiscus' shapes. Everything under `/api/`
//! answers in Qiscus' envelope, errors included.

pub mod auth;
pub mod client;
pub mod envelope;
pub mod mqtt;
pub mod params;
pub mod rest;
pub mod validate;
pub mod webhook;
pub mod wire;

use axum::Router;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use envelope::ApiError;
use palaver_core::{Core, KeyField, KeyIdStyle, KeyKind};
use palaver_domain::Refusal;

/// The face's shared state.
#[derive(Clone)]
pub struct Qiscus {
    /// The services.
    pub core: Core,
}

/// The app id (`QISCUS-SDK-APP-ID`, the key's id) and secret key (`QISCUS-SDK-SECRET`).
pub const SECRET: KeyKind = KeyKind {
    name: "qiscus.secret",
    id_style: KeyIdStyle::NamedAfterApp,
    secret_chars: 32,
    signs: true,
    show: show_secret,
};

/// The kinds of key every app needs for this face.
pub const KEY_KINDS: &[KeyKind] = &[SECRET];

fn show_secret(id: &str, secret: Option<&str>) -> Vec<KeyField> {
    let mut fields =
        vec![KeyField { name: "qiscus_app_id", value: id.to_string(), label: Some("Qiscus   QISCUS-SDK-APP-ID") }];
    if let Some(secret) = secret {
        fields.push(KeyField {
            name: "qiscus_secret",
            value: secret.to_string(),
            label: Some("Qiscus   QISCUS-SDK-SECRET"),
        });
    }
    fields
}

/// The external id of an app's system user, the sender of its system events. It is hidden
/// from the user list and cannot be registered through `login_or_register`.
pub fn system_user_id(app_id: &str) -> String {
    format!("system@{app_id}")
}

/// Every Qiscus route, with Qiscus-style answers for wrong methods.
pub fn router(core: Core) -> Router {
    Router::new()
        .merge(rest::routes())
        .merge(client::routes())
        .route("/mqtt", axum::routing::get(mqtt::websocket))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(Qiscus { core })
}

/// Whether a path belongs to this face (for the server's fallback).
pub fn owns_path(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Whether the handler of a path reads the request body itself, as a stream (uploads).
pub fn streams_body(path: &str) -> bool {
    client::is_upload(path)
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
    ApiError::new(405, format!("Method {} is not allowed on {}", req.method(), req.uri().path()))
}
