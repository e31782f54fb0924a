//! The two transports an MQTT connection comes over, behind one interface: a byte stream
//! (TCP, with or without TLS) and a WebSocket carrying MQTT in binary messages.

use super::session;
use crate::Qiscus;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use std::io;
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A connection's transport.
pub enum Link {
    /// A byte stream.
    Stream(Box<dyn Duplex>),
    /// A WebSocket.
    Socket(Box<WebSocket>),
}

/// A byte stream both ways.
pub trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

impl Link {
    /// Reads more bytes into `buf`; false when the peer closed.
    pub async fn read(&mut self, buf: &mut BytesMut) -> io::Result<bool> {
        match self {
            Link::Stream(s) => Ok(s.read_buf(buf).await? > 0),
            Link::Socket(ws) => loop {
                match ws.recv().await {
                    Some(Ok(Message::Binary(b))) => {
                        buf.extend_from_slice(&b);
                        return Ok(true);
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Text(_))) => {
                        return Err(io::Error::new(io::ErrorKind::InvalidData, "MQTT over WebSocket is binary"));
                    }
                    Some(Ok(Message::Close(_))) | None => return Ok(false),
                    Some(Err(e)) => return Err(io::Error::other(e)),
                }
            },
        }
    }

    /// Writes bytes (one WebSocket message).
    pub async fn write(&mut self, bytes: Bytes) -> io::Result<()> {
        match self {
            Link::Stream(s) => {
                s.write_all(&bytes).await?;
                s.flush().await
            }
            Link::Socket(ws) => ws.send(Message::Binary(bytes)).await.map_err(io::Error::other),
        }
    }

    /// Closes the transport, politely where it has a way to.
    pub async fn close(&mut self) {
        match self {
            Link::Stream(s) => {
                let _ = s.shutdown().await;
            }
            Link::Socket(ws) => {
                let _ = ws.send(Message::Close(None)).await;
            }
        }
    }
}

/// Serves one MQTT connection over a byte stream (the TCP listener's accepted sockets).
pub async fn serve_stream<S: Duplex + 'static>(q: Qiscus, stream: S, peer: Option<IpAddr>) {
    session::run(q, Link::Stream(Box::new(stream)), peer).await;
}

/// `GET /mqtt`: the MQTT WebSocket. The `mqtt` subprotocol is echoed (the `ws` client of
/// mqtt.js refuses a server that names none).
pub async fn websocket(State(q): State<Qiscus>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &q).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.protocols(["mqtt", "mqttv3.1"])
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(super::MAX_INCOMING_PACKET + 16)
        .on_upgrade(move |socket| session::run(q, Link::Socket(Box::new(socket)), peer))
        .into_response()
}
