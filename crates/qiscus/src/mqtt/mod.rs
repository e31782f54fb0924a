//! MQTT 3.1.1 inside Palaver, for the Qiscus SDKs' realtime: over WebSocket at `/mqtt`
//! (subprotocol `mqtt`) and on a plain TCP port (`mqtt_listen`). The packet format is
//! rumqttc's codec; this module decides who may subscribe and publish what.
//!
//! Clients connect without credentials, before login (notes 2.16.9 section 2): a connection
//! becomes a user's when it subscribes to that user's token topic, and is then registered
//! with the hub like any realtime connection. Everything it receives comes from the log's
//! events (rendered once per view by [`render::MqttRenderer`]), filtered by its
//! subscriptions. Presence is retained in the sense MQTT clients need: a new subscription to
//! `u/<user>/s` is answered with the user's current state.

mod link;
mod render;
mod resume;
mod session;
mod topics;

pub use link::{serve_stream, websocket};
pub use render::MqttRenderer;

use palaver_core::realtime::Renderer;
use std::sync::{Arc, LazyLock};

/// The renderer every MQTT connection shares, so that an event is encoded once per view
/// whichever transport a connection uses.
pub fn renderer() -> Arc<dyn Renderer> {
    static RENDERER: LazyLock<Arc<dyn Renderer>> = LazyLock::new(|| Arc::new(MqttRenderer));
    RENDERER.clone()
}

/// Largest packet a client may send (the SDKs publish presence, typing and small events).
pub const MAX_INCOMING_PACKET: usize = 64 * 1024;
/// Largest packet Palaver publishes (a comment with a large payload).
pub const MAX_OUTGOING_PACKET: usize = 1024 * 1024;
/// Most subscriptions one connection holds.
pub const MAX_SUBSCRIPTIONS: usize = 256;
/// Most QoS 1 messages sent to a client and not yet acknowledged; a client past it is not
/// reading and is disconnected.
pub const MAX_INFLIGHT: usize = 256;
/// How long a new connection has to send CONNECT.
pub const CONNECT_TIMEOUT_MS: u64 = 10_000;
