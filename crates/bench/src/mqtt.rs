//! A lean MQTT 3.1.1 client for load: rumqttc's codec over a TCP socket bound to a chosen
//! loopback source, so that a few thousand connections cost the load generator little.

use bytes::BytesMut;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{Connect, Packet, Subscribe, SubscribeReasonCode};
use std::io;
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Largest packet read.
const MAX_PACKET: usize = 1024 * 1024;

/// A connected, subscribed MQTT client.
pub struct Mqtt {
    stream: TcpStream,
    buf: BytesMut,
}

fn broken(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Mqtt {
    /// Connects from `source` (clean session, keepalive 60 s) and subscribes to `topic`.
    pub async fn connect(source: IpAddr, server: SocketAddr, client_id: &str, topic: &str) -> io::Result<Mqtt> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source, 0))?;
        let stream = socket.connect(server).await?;
        stream.set_nodelay(true)?;
        let mut m = Mqtt { stream, buf: BytesMut::with_capacity(4096) };
        let mut connect = Connect::new(client_id);
        connect.keep_alive = 60;
        m.send(Packet::Connect(connect)).await?;
        if !matches!(m.next().await?, Packet::ConnAck(_)) {
            return Err(broken("no CONNACK"));
        }
        m.send(Packet::Subscribe(Subscribe::new(topic, QoS::AtMostOnce))).await?;
        match m.next().await? {
            Packet::SubAck(ack) if matches!(ack.return_codes.first(), Some(SubscribeReasonCode::Success(_))) => Ok(m),
            _ => Err(broken("the subscription was refused")),
        }
    }

    async fn send(&mut self, p: Packet) -> io::Result<()> {
        let mut out = BytesMut::new();
        p.write(&mut out, MAX_PACKET).map_err(|_| broken("cannot encode"))?;
        self.stream.write_all(&out).await
    }

    /// The next packet from the server.
    pub async fn next(&mut self) -> io::Result<Packet> {
        loop {
            match Packet::read(&mut self.buf, MAX_PACKET) {
                Ok(p) => return Ok(p),
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {
                    if self.stream.read_buf(&mut self.buf).await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(_) => return Err(broken("malformed packet")),
            }
        }
    }
}
