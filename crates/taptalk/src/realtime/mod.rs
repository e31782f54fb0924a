//! TapTalk's realtime channel: the `/connect` WebSocket.

pub mod connect;
pub mod incoming;
pub mod render;
