//! The faces this server speaks. Each brings its routes, the paths it owns (so an unknown
//! path under them is answered in its dialect), and the kinds of key an app needs for it; a
//! new face is one more entry here.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use palaver_core::webhooks::{WebhookDialect, palaver::PalaverDialect};
use palaver_core::{Core, CreatedApp, KeyField, KeyKind};
use palaver_domain::Refusal;
use serde_json::{Map, Value, json};

/// One dialect.
pub struct Face {
    /// Its name, for logs.
    pub name: &'static str,
    /// Its routes.
    pub router: fn(Core) -> Router,
    /// Whether a path belongs to it.
    pub owns: fn(&str) -> bool,
    /// Its answer for a request to one of its paths that the server turned away.
    pub refuse: fn(&str, Refusal) -> Response,
    /// Whether the handler of a path reads the request body itself, as a stream (uploads);
    /// every other body is read whole before its handler runs.
    pub streams_body: fn(&str) -> bool,
    /// The kinds of key every app needs for it.
    pub keys: &'static [KeyKind],
    /// Its webhook payloads.
    pub webhook: &'static dyn WebhookDialect,
}

/// Every face, in the order their paths are matched.
pub const FACES: &[Face] = &[
    Face {
        name: "taptalk",
        router: palaver_taptalk::router,
        owns: palaver_taptalk::owns_path,
        refuse: palaver_taptalk::refuse,
        streams_body: palaver_taptalk::streams_body,
        keys: palaver_taptalk::KEY_KINDS,
        webhook: &palaver_taptalk::webhook::TapTalkDialect,
    },
    Face {
        name: "qiscus",
        router: palaver_qiscus::router,
        owns: palaver_qiscus::owns_path,
        refuse: palaver_qiscus::refuse,
        streams_body: palaver_qiscus::streams_body,
        keys: palaver_qiscus::KEY_KINDS,
        webhook: &palaver_qiscus::webhook::QiscusDialect,
    },
];

/// The answer for a request the server turned away, in the dialect of the face owning
/// `path` (a plain JSON error for paths no face owns).
pub fn refuse(path: &str, r: Refusal) -> Response {
    if let Some(face) = FACES.iter().find(|f| (f.owns)(path)) {
        return (face.refuse)(path, r);
    }
    let (status, message) = match r {
        Refusal::NotFound => (404, format!("Path not found: {path}")),
        Refusal::BodyTooLarge { max_bytes } => (413, format!("Request body is larger than {max_bytes} bytes")),
        Refusal::BodyTimeout => (408, "The request body did not arrive in time".into()),
        Refusal::Overloaded => (503, "The server is busy; retry shortly".into()),
        Refusal::RateLimited { retry_after_secs } => (429, format!("Too many requests; retry in {retry_after_secs} s")),
    };
    let body = json!({"status": status, "error": {"message": message}});
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

/// Every webhook payload dialect: each face's and Palaver's own.
pub fn webhook_dialects() -> Vec<&'static dyn WebhookDialect> {
    let mut all: Vec<&'static dyn WebhookDialect> = vec![&PalaverDialect];
    all.extend(FACES.iter().map(|f| f.webhook));
    all
}

/// Whether the handler of `path` reads its body as a stream.
pub fn streams_body(path: &str) -> bool {
    FACES.iter().any(|f| (f.owns)(path) && (f.streams_body)(path))
}

/// Every kind of key the faces need: what a new app gets.
pub fn key_kinds() -> Vec<KeyKind> {
    FACES.iter().flat_map(|f| f.keys.iter().copied()).collect()
}

/// How an operator is shown a key: each face words its own.
fn key_fields(kind: &str, id: &str, secret: Option<&str>) -> Vec<KeyField> {
    match key_kinds().into_iter().find(|k| k.name == kind) {
        Some(k) => (k.show)(id, secret),
        None => vec![],
    }
}

/// A new app's credentials, every value named: `{app_id, name, server_key, ...}`.
pub fn credentials_json(app: &CreatedApp) -> Value {
    let mut map = Map::new();
    map.insert("app_id".into(), json!(app.app_id));
    map.insert("name".into(), json!(app.name));
    for key in &app.keys {
        for f in key_fields(key.kind, &key.id, Some(&key.secret)) {
            map.insert(f.name.into(), json!(f.value));
        }
    }
    Value::Object(map)
}

/// A new app's credentials for a terminal: the labelled values, one per line.
pub fn credentials_text(app: &CreatedApp) -> String {
    let lines: Vec<(String, String)> = app
        .keys
        .iter()
        .flat_map(|key| key_fields(key.kind, &key.id, Some(&key.secret)))
        .filter_map(|f| f.label.map(|label| (format!("{label}:"), f.value)))
        .collect();
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    lines.iter().map(|(label, value)| format!("  {label:<width$} {value}\n")).collect()
}

/// An app's key ids, every value named (for listings: no secrets).
pub fn key_ids_json(keys: &[(String, String)]) -> Map<String, Value> {
    let mut map = Map::new();
    for (kind, id) in keys {
        for f in key_fields(kind, id, None) {
            map.insert(f.name.into(), json!(f.value));
        }
    }
    map
}
