//! A minimal WebSocket client, just enough for TapTalk's `/connect`: the handshake, reading
//! the server's (unmasked) frames, and writing masked text frames. It keeps per-connection
//! memory to a socket and a small buffer, so one process can hold 100,000 of them.

use base64::Engine;
use bytes::{Buf, BytesMut};
use std::io;
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// One client connection.
pub struct Ws {
    stream: TcpStream,
    buf: BytesMut,
}

/// A frame the server sent.
pub enum Frame {
    /// A data frame (binary or text): one or more `\n`-joined events.
    Data(Vec<u8>),
    /// A ping to answer.
    Ping(Vec<u8>),
    /// The server closed the connection.
    Close,
}

fn random_key() -> String {
    let mut k = [0u8; 16];
    let _ = getrandom::fill(&mut k);
    base64::engine::general_purpose::STANDARD.encode(k)
}

impl Ws {
    /// Connects from `source` (a loopback address, so many ports are available) and upgrades
    /// `path_and_query` on `server`.
    pub async fn connect(source: IpAddr, server: SocketAddr, path_and_query: &str) -> io::Result<Ws> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source, 0))?;
        let mut stream = socket.connect(server).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            random_key()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut buf = BytesMut::with_capacity(512);
        loop {
            if stream.read_buf(&mut buf).await? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed during the handshake"));
            }
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                if !buf.starts_with(b"HTTP/1.1 101") {
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    return Err(io::Error::other(format!("upgrade refused: {head}")));
                }
                buf.advance(end + 4);
                break;
            }
        }
        buf.reserve(0);
        Ok(Ws { stream, buf })
    }

    /// Splits into a reading and a writing half, so one task can read while others write.
    pub fn split(self) -> (WsReader, WsWriter) {
        let (read, write) = self.stream.into_split();
        (WsReader { read, buf: self.buf }, WsWriter { write })
    }
}

/// The reading half of a connection.
pub struct WsReader {
    read: tokio::net::tcp::OwnedReadHalf,
    buf: BytesMut,
}

/// The writing half of a connection.
pub struct WsWriter {
    write: tokio::net::tcp::OwnedWriteHalf,
}

/// Parses one frame off the front of `buf`.
fn parse(buf: &mut BytesMut) -> Option<Frame> {
    if buf.len() < 2 {
        return None;
    }
    let opcode = buf[0] & 0x0f;
    let (len, header) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => (u64::from_be_bytes(buf[2..10].try_into().unwrap_or_default()) as usize, 10),
        126 | 127 => return None,
        n => (n as usize, 2),
    };
    if buf.len() < header + len {
        return None;
    }
    buf.advance(header);
    let payload = buf.split_to(len).to_vec();
    Some(match opcode {
        0x0..=0x2 => Frame::Data(payload),
        0x9 => Frame::Ping(payload),
        0x8 => Frame::Close,
        _ => Frame::Data(Vec::new()),
    })
}

/// Encodes a masked client frame.
fn encode(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mask = [0x12, 0x34, 0x56, 0x78];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

impl WsReader {
    /// Reads the next frame.
    pub async fn read(&mut self) -> io::Result<Frame> {
        loop {
            if let Some(frame) = parse(&mut self.buf) {
                return Ok(frame);
            }
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(16 * 1024);
            }
            if self.read.read_buf(&mut self.buf).await? == 0 {
                return Ok(Frame::Close);
            }
        }
    }
}

impl WsWriter {
    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) -> io::Result<()> {
        self.write.write_all(&encode(0x1, text.as_bytes())).await
    }

    /// Answers a ping.
    pub async fn pong(&mut self, payload: &[u8]) -> io::Result<()> {
        self.write.write_all(&encode(0xA, payload)).await
    }
}
