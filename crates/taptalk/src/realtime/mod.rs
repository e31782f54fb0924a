//! TapTalk's realtime channel: the `/connect` WebSocket.

pub mod connect;
mod incoming;
pub mod render;
