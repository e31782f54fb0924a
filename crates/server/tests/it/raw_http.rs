//! HTTP/1.1 spoken by hand over a raw socket, for tests about what happens on the wire:
//! silent clients, slow bodies, resets, `Connection: close`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// One answer read off the wire.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// Whether the server said it closes the connection.
    pub fn closes(&self) -> bool {
        self.headers.get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Connects to `to` from the local address `from` (any 127.x.y.z works on Linux loopback).
pub async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse().unwrap())?;
    socket.connect(to).await
}

/// A request's head: `method path`, the given headers, `Host` and `Content-Length`.
pub fn head(method: &str, path: &str, headers: &[(&str, &str)], content_length: usize) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: palaver.test\r\nContent-Length: {content_length}\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// Reads one whole answer (head and `Content-Length` body) within `wait`; an error says
/// what cut it short (a reset, an early close, the time).
pub async fn read_answer(stream: &mut TcpStream, wait: Duration) -> Result<RawAnswer, String> {
    tokio::time::timeout(wait, read_answer_now(stream)).await.map_err(|_| "no whole answer in time".to_string())?
}

async fn read_answer_now(stream: &mut TcpStream) -> Result<RawAnswer, String> {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_more(stream, &mut buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).ok_or("no status line")?;
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).ok_or("no content-length")?;
    while buf.len() < end + length {
        read_more(stream, &mut buf).await?;
    }
    Ok(RawAnswer { status, headers, body: buf[end..end + length].to_vec() })
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 16384];
    match stream.read(&mut chunk).await {
        Ok(0) => Err(format!("closed after {} bytes", buf.len())),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e) => Err(format!("{e} after {} bytes", buf.len())),
    }
}

/// Waits until the server closes the socket (EOF or reset), discarding what it sends;
/// false if it is still open after `wait`.
pub async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut chunk = [0u8; 4096];
    tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Sends a request whose body follows its head after `pause`, as a slow client or a
/// client whose body is in a second packet would.
pub async fn send_split(stream: &mut TcpStream, head: &[u8], body: &[u8], pause: Duration) -> std::io::Result<()> {
    stream.write_all(head).await?;
    stream.flush().await?;
    tokio::time::sleep(pause).await;
    stream.write_all(body).await?;
    stream.flush().await
}
