//! `/connect`: `GET /connect?check=1` checks a token; a WebSocket upgrade opens the realtime
//! channel. Credentials come from headers (Android, iOS) or the query string (web).

use super::incoming;
use crate::TapTalk;
use crate::client::auth::{bearer, check_app_key};
use crate::envelope::{ApiError, Reply};
use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use palaver_core::ClientSession;
use palaver_core::realtime::{Connection, Frame, Outbox};
use palaver_domain::ChangeId;
use palaver_domain::time::now_ms;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest WebSocket message written at once; bigger batches are split.
const MAX_WRITE: usize = 256 * 1024;

/// Most events of one connection being handled at once (sends awaiting their commit).
const MAX_IN_FLIGHT: usize = 256;

fn query_map(query: Option<&str>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(percent_decode(k), percent_decode(v));
    }
    map
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The handler of `/connect`.
pub async fn connect(State(t): State<TapTalk>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let query = query_map(parts.uri.query());
    let from = |header_name: &str, query_name: &str| -> Option<String> {
        parts
            .headers
            .get(header_name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| query.get(query_name).cloned())
    };
    let app_key = from("app-key", "app_key");
    let authorization = from("authorization", "authorization");
    let device = from("device-identifier", "device_identifier").unwrap_or_default();
    let peer = crate::client::auth::peer_ip(&parts.extensions);
    let session = authenticate(&t, app_key.as_deref(), authorization.as_deref(), peer).await;
    let upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return match session {
            Ok(_) => Reply(serde_json::json!({})).into_response(),
            Err(e) => e.into_response(),
        };
    }
    let session = match session {
        Ok(s) => s,
        Err(e) => {
            // Refuse the upgrade; clients then re-check their token with `?check=1`.
            let mut res = e.into_response();
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            return res;
        }
    };
    if !t.core.may_connect(session.app) {
        return ApiError::from(palaver_domain::Error::Unavailable).into_response();
    }
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &t).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let device = if device.is_empty() { session.device_id.clone() } else { device };
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(1024 * 1024)
        .on_upgrade(move |socket| run(t, session, device, socket))
}

async fn authenticate(
    t: &TapTalk,
    app_key: Option<&str>,
    authorization: Option<&str>,
    from: Option<std::net::IpAddr>,
) -> Result<ClientSession, ApiError> {
    let app = check_app_key(t, app_key, from).await?;
    let token = bearer(authorization)?;
    crate::client::auth::session(t, app, token, from).await
}

/// Joins frames into WebSocket messages of at most [`MAX_WRITE`] bytes (unless one event is
/// larger), events separated by `\n` and no trailing newline (a trailing empty line breaks the
/// web SDK). A frame may itself hold several events joined by `\n`.
fn pack(frames: &[Frame]) -> Vec<Bytes> {
    if frames.len() == 1 && frames[0].bytes.len() <= MAX_WRITE {
        return vec![frames[0].bytes.clone()];
    }
    let mut out = Vec::new();
    let mut buf = BytesMut::new();
    let events = frames.iter().flat_map(|f| {
        let whole = f.bytes.len() <= MAX_WRITE;
        let parts: Vec<Bytes> = if whole {
            vec![f.bytes.clone()]
        } else {
            f.bytes.split(|b| *b == b'\n').map(|e| f.bytes.slice_ref(e)).collect()
        };
        parts
    });
    for event in events {
        if !buf.is_empty() && buf.len() + 1 + event.len() > MAX_WRITE {
            out.push(buf.split().freeze());
        }
        if !buf.is_empty() {
            buf.put_u8(b'\n');
        }
        buf.extend_from_slice(&event);
    }
    if !buf.is_empty() {
        out.push(buf.freeze());
    }
    out
}

/// One connection's life: register, shuttle frames both ways, ping, unregister.
async fn run(t: TapTalk, session: ClientSession, device: String, mut socket: WebSocket) {
    let conn = Arc::new(Connection {
        id: t.core.hub().next_id(),
        app: session.app,
        user: session.user.id,
        device: device.clone(),
        session: Some(session.id),
        outbox: Outbox::new(t.core.config().outbox_limit_bytes),
        renderer: t.renderer.clone(),
    });
    // Shutdown waits for this connection's last writes (device cursor, last activity).
    let _running = t.core.tasks().connection();
    let write_timeout = Duration::from_millis(t.core.config().write_timeout_ms.max(1));
    if t.core.connect(conn.clone()).await.is_err() {
        // The app's cap filled between the check and the upgrade.
        let full = CloseFrame { code: close_code::AGAIN, reason: "too many connections; retry later".into() };
        let _ = send(&mut socket, Message::Close(Some(full)), write_timeout).await;
        return;
    }
    let opened = Instant::now();
    tracing::debug!(conn = conn.id, app = %session.app, user = %session.user.id, "WebSocket opened");
    // The device's catch-up cursor (ARCHITECTURE.md, "Catch-up"): a device that never synced
    // starts where this connection does; on a clean close (the client's Close frame, sent or
    // answered) it moves to the last change written, otherwise only to the last change a pong
    // proved read: a frame written into a socket that then dies may never have reached it.
    if let Err(e) = t.core.start_device_cursor(session.user.id, device.clone(), t.core.delivered_upto()).await {
        tracing::debug!(error = %e, "starting a device cursor");
    }
    let mut written = ChangeId(0);
    let mut confirmed = ChangeId(0);
    let mut clean = false;
    let mut heard = Instant::now();
    // Pings keep idle connections (and the proxies between) alive; a connection silent for
    // three intervals (no frame, no pong) is gone.
    let ping_every = Duration::from_millis(t.core.config().ping_interval_ms.max(10));
    let silence_limit = ping_every * 3;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut in_flight = incoming::InFlight::new();
    // Made once: each `stopping()` registers with the token shared by every connection.
    let core = t.core.clone();
    let stopping = core.tasks().stopping();
    tokio::pin!(stopping);
    // The socket lives as long as its access token: the SDK then refreshes it and reconnects.
    let valid_for = u64::try_from(session.access_expires - now_ms()).unwrap_or(0);
    let expired = tokio::time::sleep(Duration::from_millis(valid_for));
    tokio::pin!(expired);
    loop {
        tokio::select! {
            // Reading pauses while too much is in flight, which pushes back on the client.
            incoming = socket.recv(), if in_flight.len() < MAX_IN_FLIGHT => {
                heard = Instant::now();
                match incoming {
                    Some(Ok(Message::Text(text))) => incoming::handle(&t, &session, &conn, text.as_str(), &mut in_flight),
                    Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                        Ok(text) => incoming::handle(&t, &session, &conn, text, &mut in_flight),
                        Err(_) => tracing::debug!(user = %session.user.id, "ignoring a binary frame that is not UTF-8"),
                    },
                    // A pong echoes the ping's payload: how far was written when it went out.
                    Some(Ok(Message::Pong(p))) => {
                        if let Ok(bytes) = <[u8; 8]>::try_from(p.as_ref()) {
                            confirmed = confirmed.max(ChangeId(i64::from_be_bytes(bytes)));
                        }
                    }
                    Some(Ok(Message::Ping(_))) => {}
                    Some(Ok(Message::Close(_))) => {
                        clean = true;
                        break;
                    }
                    Some(Err(_)) | None => break,
                }
            }
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
            batch = conn.outbox.next_batch() => {
                // A closed outbox: the client fell too far behind reading; it will not answer.
                let Some(frames) = batch else {
                    let _ = send(&mut socket, Message::Close(None), write_timeout).await;
                    break;
                };
                let mut failed = false;
                for message in pack(&frames) {
                    if !send(&mut socket, Message::Binary(message), write_timeout).await {
                        failed = true;
                        break;
                    }
                }
                if failed {
                    break;
                }
                written = frames.iter().map(|f| f.change).fold(written, ChangeId::max);
            }
            _ = ping.tick() => {
                let mark = Bytes::copy_from_slice(&written.0.to_be_bytes());
                if heard.elapsed() > silence_limit || !send(&mut socket, Message::Ping(mark), write_timeout).await {
                    break;
                }
            }
            () = &mut expired => {
                let bye = CloseFrame { code: close_code::POLICY, reason: "the access token expired".into() };
                clean = close(&mut socket, Some(bye), write_timeout).await;
                break;
            }
            () = &mut stopping => {
                let bye = CloseFrame { code: close_code::AWAY, reason: "the server is shutting down".into() };
                clean = close(&mut socket, Some(bye), write_timeout).await;
                break;
            }
        }
    }
    conn.outbox.close();
    t.core.disconnect(&conn).await;
    let seconds = opened.elapsed().as_secs();
    tracing::debug!(conn = conn.id, app = %session.app, user = %session.user.id, clean, seconds, "WebSocket closed");
    let received = if clean { written } else { confirmed };
    if let Err(e) = t.core.save_device_cursor(session.user.id, device, received).await {
        tracing::debug!(error = %e, "saving a device cursor");
    }
}

/// How long a closing connection waits for the client's answering Close frame.
const CLOSE_ANSWER: Duration = Duration::from_secs(2);

/// Closes from the server's side: sends Close and waits briefly for the client's answering
/// Close, which proves it read everything written before; true if it came.
async fn close(socket: &mut WebSocket, frame: Option<CloseFrame>, limit: Duration) -> bool {
    if !send(socket, Message::Close(frame), limit).await {
        return false;
    }
    let answered = async {
        loop {
            match socket.recv().await {
                Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return false,
            }
        }
    };
    tokio::time::timeout(CLOSE_ANSWER, answered).await.unwrap_or(false)
}

/// Writes one message; false if the socket failed or the client did not take it within
/// `limit` (it stopped reading: the connection is dropped rather than left blocking pings and
/// silence checks forever).
async fn send(socket: &mut WebSocket, message: Message, limit: Duration) -> bool {
    matches!(tokio::time::timeout(limit, socket.send(message)).await, Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &'static str) -> Frame {
        Frame { bytes: Bytes::from_static(s.as_bytes()), change: ChangeId(0) }
    }

    #[test]
    fn frames_are_joined_by_newlines_without_a_trailing_one() {
        assert_eq!(pack(&[f("{\"a\":1}"), f("{\"b\":2}")]), vec![Bytes::from_static(b"{\"a\":1}\n{\"b\":2}")]);
        assert_eq!(pack(&[f("{}")]), vec![Bytes::from_static(b"{}")]);
    }

    #[test]
    fn a_frame_of_many_events_is_split_at_event_boundaries() {
        let event = format!("{{\"x\":\"{}\"}}", "a".repeat(100 * 1024));
        let many: String = [event.as_str(); 5].join("\n");
        let frames = [Frame { bytes: Bytes::from(many), change: ChangeId(7) }];
        let packed = pack(&frames);
        assert!(packed.len() >= 2, "{} messages", packed.len());
        assert!(packed.iter().all(|m| m.len() <= MAX_WRITE));
        let events: Vec<&[u8]> = packed.iter().flat_map(|m| m.split(|b| *b == b'\n')).collect();
        assert_eq!(events.len(), 5);
        assert!(events.iter().all(|e| *e == event.as_bytes()));
    }

    #[test]
    fn query_strings_are_decoded() {
        let q = query_map(Some("authorization=Bearer%20abc&app_key=a%2Bb%3D&content_type=undefined"));
        assert_eq!(q["authorization"], "Bearer abc");
        assert_eq!(q["app_key"], "a+b=");
    }
}
