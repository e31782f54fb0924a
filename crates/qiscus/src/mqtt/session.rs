//! One MQTT connection's life: CONNECT, then packets both ways until DISCONNECT, a broken
//! transport, silence past the keepalive, or the end of the user's token.

use super::link::Link;
use super::render::{Kind, entries};
use super::resume::{self, Kept};
use super::topics::{self, Topic};
use super::{CONNECT_TIMEOUT_MS, MAX_INCOMING_PACKET, MAX_INFLIGHT, MAX_OUTGOING_PACKET, MAX_SUBSCRIPTIONS};
use crate::Qiscus;
use bytes::{Bytes, BytesMut};
use palaver_core::realtime::{Connection, Frame, Outbox};
use palaver_domain::{ChangeId, RoomRef, User, UserRef};
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, LastWill, Packet, PubAck, PubComp, PubRec, Publish, SubAck, SubscribeReasonCode,
    UnsubAck,
};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, sleep_until, timeout};

/// Keepalive assumed for a client that asks for none: a connection is never idle forever.
const NO_KEEPALIVE_LIMIT: Duration = Duration::from_secs(600);

/// How a connection ends.
enum End {
    /// The client said DISCONNECT: its will is discarded.
    Clean,
    /// Anything else: its will is published.
    Unclean,
}

/// What a connection knows and holds besides its transport.
struct Session {
    q: Qiscus,
    peer: Option<IpAddr>,
    client_id: String,
    /// Whether the session ends with the connection (`clean_session`); if not, it is kept
    /// for the client's return (see [`resume`]).
    clean: bool,
    will: Option<LastWill>,
    /// The user and token, once the client subscribed to its token topic.
    user: Option<(User, String)>,
    /// The hub registration, once the user is known.
    conn: Option<Arc<Connection>>,
    /// The Qiscus app id the client named in a channel subscription (channel topics start
    /// with it).
    app_code: Option<String>,
    /// Accepted subscription filters and their granted QoS.
    filters: Vec<(String, QoS)>,
    next_pkid: u16,
    /// QoS 1 messages sent and not acknowledged: packet id and the change each carries.
    inflight: HashMap<u16, ChangeId>,
    /// Every change up to this one has been written to the client.
    written_upto: ChangeId,
    /// Changes up to this one were replayed to a resumed session: live frames for them are
    /// not sent twice.
    replayed_upto: ChangeId,
    /// Changes a resumed session sends again under their first packet id.
    redeliver: HashMap<ChangeId, u16>,
}

/// Reads the next whole packet from `buf`, reading more from the link as needed; `None` when
/// the peer closed.
async fn next_packet(link: &mut Link, buf: &mut BytesMut) -> Result<Option<Packet>, CodecError> {
    loop {
        match Packet::read(buf, MAX_INCOMING_PACKET) {
            Ok(p) => return Ok(Some(p)),
            Err(CodecError::InsufficientBytes(_)) => {
                if !link.read(buf).await? {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn encode(packet: Packet, out: &mut BytesMut) -> bool {
    packet.write(out, MAX_OUTGOING_PACKET).is_ok()
}

/// Serves a connection from its first byte to its end.
pub async fn run(q: Qiscus, mut link: Link, peer: Option<IpAddr>) {
    let _running = q.core.tasks().connection();
    let write_timeout = Duration::from_millis(q.core.config().write_timeout_ms.max(1));
    let mut buf = BytesMut::with_capacity(512);
    let connect = match timeout(Duration::from_millis(CONNECT_TIMEOUT_MS), next_packet(&mut link, &mut buf)).await {
        Ok(Ok(Some(Packet::Connect(c)))) => c,
        _ => {
            link.close().await;
            return;
        }
    };
    let opened = Instant::now();
    let transport = match link {
        Link::Stream(_) => "tcp",
        Link::Socket(_) => "websocket",
    };
    tracing::debug!(transport, "MQTT connection opened");
    let keepalive = match connect.keep_alive {
        0 => NO_KEEPALIVE_LIMIT,
        s => Duration::from_millis(u64::from(s) * 1500),
    };
    let mut s = Session {
        q: q.clone(),
        peer,
        client_id: connect.client_id,
        clean: connect.clean_session,
        will: connect.last_will,
        user: None,
        conn: None,
        app_code: None,
        filters: Vec::new(),
        next_pkid: 1,
        inflight: HashMap::new(),
        written_upto: ChangeId(0),
        replayed_upto: ChangeId(0),
        redeliver: HashMap::new(),
    };
    let kept = s.take_kept().await;
    let mut out = BytesMut::new();
    encode(Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, kept.is_some())), &mut out);
    if let Some(kept) = kept {
        s.replay(&kept, &mut out).await;
    }
    if !matches!(timeout(write_timeout, link.write(out.split().freeze())).await, Ok(Ok(()))) {
        s.end(End::Unclean).await;
        return;
    }
    let stopping = q.core.tasks().stopping();
    tokio::pin!(stopping);
    let mut heard = Instant::now();
    let end = 'life: loop {
        // Every whole packet already read is handled before waiting for more.
        loop {
            match Packet::read(&mut buf, MAX_INCOMING_PACKET) {
                Ok(packet) => {
                    heard = Instant::now();
                    match s.handle(packet, &mut out).await {
                        Some(end) => break 'life end,
                        None => continue,
                    }
                }
                Err(CodecError::InsufficientBytes(_)) => break,
                Err(_) => break 'life End::Unclean,
            }
        }
        if !out.is_empty() && !matches!(timeout(write_timeout, link.write(out.split().freeze())).await, Ok(Ok(()))) {
            break End::Unclean;
        }
        let outbox = s.conn.clone();
        tokio::select! {
            more = link.read(&mut buf) => match more {
                Ok(true) => {}
                _ => break End::Unclean,
            },
            batch = async { match &outbox { Some(c) => c.outbox.next_batch().await, None => std::future::pending().await } } => {
                let Some(frames) = batch else { break End::Unclean };
                if !s.publish_frames(&frames, &mut out) {
                    break End::Unclean;
                }
            }
            () = sleep_until(heard + keepalive) => break End::Unclean,
            () = &mut stopping => break End::Clean,
        }
    };
    if !out.is_empty() {
        let _ = timeout(write_timeout, link.write(out.split().freeze())).await;
    }
    link.close().await;
    let (app, user) = s.user.as_ref().map_or((None, None), |(me, _)| (Some(me.app.0), Some(me.id.0)));
    let (seconds, clean) = (opened.elapsed().as_secs(), matches!(end, End::Clean));
    tracing::debug!(transport, app, user, clean, seconds, "MQTT connection closed");
    s.end(end).await;
}

impl Session {
    /// What the connection leaves behind: its will on an unclean end, its session when it is
    /// kept, and its place in the hub.
    async fn end(mut self, end: End) {
        if let (End::Unclean, Some(will)) = (end, self.will.take()) {
            let will = Publish::from_bytes(will.topic, QoS::AtMostOnce, will.message);
            self.accept_publish(&will).await;
        }
        if let Some(conn) = self.conn.take() {
            conn.outbox.close();
            self.q.core.disconnect(&conn).await;
        }
        if let (false, Some((me, token))) = (self.clean, &self.user) {
            let kept = Kept {
                token: token.clone(),
                filters: self.filters.iter().map(|(f, q)| (f.clone(), u8::from(*q != QoS::AtMostOnce))).collect(),
                app_code: self.app_code.clone(),
                resume_after: self.written_upto.0,
                unacked: self.inflight.iter().filter(|(_, c)| c.0 > 0).map(|(p, c)| (*p, c.0)).collect(),
            };
            let state = serde_json::to_string(&kept).unwrap_or_default();
            let (app, user) = (me.app, me.id);
            if let Err(e) = self.q.core.keep_resumable(resume::FACE, self.client_id.clone(), app, user, state).await {
                tracing::warn!(error = %e, "keeping an MQTT session for its client's return");
            }
        }
    }

    /// The session kept for this client, taken back if the client asked to resume and its
    /// token is still good; a clean start forgets it.
    async fn take_kept(&mut self) -> Option<Kept> {
        let core = &self.q.core;
        if self.clean {
            if let Err(e) = core.discard_resumable(resume::FACE, self.client_id.clone()).await {
                tracing::warn!(error = %e, "forgetting a kept MQTT session");
            }
            return None;
        }
        let taken = core.take_resumable(resume::FACE, self.client_id.clone()).await.ok()??;
        let kept: Kept = serde_json::from_str(&taken.state).ok()?;
        if !self.claim(&kept.token).await || self.user.as_ref().is_none_or(|(u, _)| u.id != taken.user) {
            return None;
        }
        self.filters = kept.filters();
        self.app_code = kept.app_code.clone();
        Some(kept)
    }

    /// Sends a resumed session what it has not acknowledged and what it missed since.
    async fn replay(&mut self, kept: &Kept, out: &mut BytesMut) {
        let Some((me, _)) = &self.user else { return };
        let (app, user) = (me.app, me.id);
        self.redeliver = kept.unacked.iter().map(|(pkid, change)| (ChangeId(*change), *pkid)).collect();
        let after = kept.replay_after();
        self.written_upto = after;
        let events = match self.q.core.events_of_user(app, user, after, resume::MAX_REPLAY).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(error = %e, "replaying missed changes to a resumed MQTT session");
                Vec::new()
            }
        };
        let renderer = super::renderer();
        let frames: Vec<Frame> = events
            .iter()
            .filter_map(|e| Some(Frame { bytes: renderer.render(e, user)?, change: e.change_id()? }))
            .collect();
        self.publish_frames(&frames, out);
        self.replayed_upto = events.last().and_then(|e| e.change_id()).unwrap_or(after);
        self.redeliver.clear();
    }

    /// Handles one packet, queueing answers in `out`; `Some` ends the connection.
    async fn handle(&mut self, packet: Packet, out: &mut BytesMut) -> Option<End> {
        match packet {
            Packet::PingReq => {
                encode(Packet::PingResp, out);
            }
            Packet::Subscribe(sub) => {
                let mut codes = Vec::with_capacity(sub.filters.len());
                let mut watched = Vec::new();
                for f in sub.filters {
                    let granted = if f.qos == QoS::AtMostOnce { QoS::AtMostOnce } else { QoS::AtLeastOnce };
                    let known = self.filters.iter().any(|(p, _)| *p == f.path);
                    let room = known || self.filters.len() < MAX_SUBSCRIPTIONS;
                    if room && self.may_subscribe(&f.path, &mut watched).await {
                        self.filters.retain(|(p, _)| *p != f.path);
                        self.filters.push((f.path, granted));
                        codes.push(SubscribeReasonCode::Success(granted));
                    } else {
                        codes.push(SubscribeReasonCode::Failure);
                    }
                }
                encode(Packet::SubAck(SubAck::new(sub.pkid, codes)), out);
                for user in &watched {
                    self.retained_presence(user, out);
                }
            }
            Packet::Unsubscribe(unsub) => {
                self.filters.retain(|(p, _)| !unsub.topics.contains(p));
                encode(Packet::UnsubAck(UnsubAck::new(unsub.pkid)), out);
            }
            Packet::Publish(p) => {
                self.accept_publish(&p).await;
                match p.qos {
                    QoS::AtMostOnce => {}
                    QoS::AtLeastOnce => {
                        encode(Packet::PubAck(PubAck::new(p.pkid)), out);
                    }
                    QoS::ExactlyOnce => {
                        encode(Packet::PubRec(PubRec::new(p.pkid)), out);
                    }
                }
            }
            Packet::PubRel(rel) => {
                encode(Packet::PubComp(PubComp::new(rel.pkid)), out);
            }
            Packet::PubAck(ack) => {
                self.inflight.remove(&ack.pkid);
            }
            Packet::Disconnect => {
                self.will = None;
                return Some(End::Clean);
            }
            // A second CONNECT, or packets only a server sends: a protocol violation.
            _ => return Some(End::Unclean),
        }
        None
    }

    /// Whether the client may subscribe to `filter`; a token filter makes the connection
    /// that token's user's.
    /// A granted presence filter adds the user it names to `watched`, for its retained state.
    async fn may_subscribe(&mut self, filter: &str, watched: &mut Vec<User>) -> bool {
        match topics::parse(filter) {
            Some(Topic::Token(token)) => self.claim(token).await,
            Some(Topic::Room { room, .. }) => match &self.user {
                Some((me, _)) => self.q.core.member_room(me.app, me.id, RoomRef::Id(room)).await.is_ok(),
                None => false,
            },
            Some(Topic::Presence(user)) => match self.watchable(user).await {
                Some(other) => {
                    watched.push(other);
                    true
                }
                None => false,
            },
            Some(Topic::Channel { app, unique_id }) => {
                let Some((me, _)) = &self.user else { return false };
                if self.app_code.as_deref().is_some_and(|known| known != app)
                    || self.q.core.app_of_key(crate::SECRET.name, app).await != Some(me.app)
                {
                    return false;
                }
                let Ok(id) = palaver_domain::ExternalId::parse(unique_id) else { return false };
                let member = self.q.core.member_room(me.app, me.id, RoomRef::External(id)).await.is_ok();
                if member {
                    self.app_code = Some(app.to_string());
                }
                member
            }
            None => false,
        }
    }

    /// Takes on the identity of the user holding `token`, registering the connection with
    /// the hub; a connection has one identity for its whole life.
    async fn claim(&mut self, token: &str) -> bool {
        if let Some((_, mine)) = &self.user {
            return mine == token;
        }
        let Ok(user) = self.q.core.user_by_token(None, token, self.peer).await else {
            return false;
        };
        let conn = Arc::new(Connection {
            id: self.q.core.hub().next_id(),
            app: user.app,
            user: user.id,
            device: self.client_id.clone(),
            session: None,
            outbox: Outbox::new(self.q.core.config().outbox_limit_bytes),
            renderer: super::renderer(),
        });
        if self.q.core.connect(conn.clone()).await.is_err() {
            return false;
        }
        self.written_upto = self.q.core.delivered_upto();
        self.conn = Some(conn);
        self.user = Some((user, token.to_string()));
        true
    }

    /// The user a presence topic names, if the client may watch it: itself, or someone it
    /// shares a room with.
    async fn watchable(&self, user: &str) -> Option<User> {
        let (me, _) = self.user.as_ref()?;
        let id = palaver_domain::ExternalId::parse(user).ok()?;
        let other = self.q.core.user(me.app, UserRef::External(id)).await.ok()?;
        self.q.core.share_a_room(me.id, other.id).await.unwrap_or(false).then_some(other)
    }

    /// Answers a new presence subscription with the user's state now, as a retained message.
    fn retained_presence(&self, other: &User, out: &mut BytesMut) {
        let online = self.q.core.is_online(other.app, other.id);
        // A user never seen online reads as last seen when it was created.
        let at = match (online, other.last_activity) {
            (true, _) => palaver_domain::time::now_ms(),
            (false, 0) => other.created,
            (false, seen) => seen,
        };
        let topic = format!("u/{}/s", other.external_id);
        let mut p = Publish::new(topic, QoS::AtMostOnce, format!("{}:{at}", u8::from(online)));
        p.retain = true;
        encode(Packet::Publish(p), out);
    }

    /// Acts on a client's publish if it may make it: its own typing, and custom events in its
    /// rooms. Its own presence is accepted (the connection itself is the presence), anything
    /// else is dropped.
    async fn accept_publish(&self, p: &Publish) {
        let Some((me, _)) = &self.user else { return };
        match topics::parse(&p.topic) {
            Some(Topic::Room { room, user: Some(user), what: "t" }) if user == me.external_id => {
                let typing = p.payload.first() == Some(&b'1');
                let _ = self.q.core.typing(me.app, me.id, RoomRef::Id(room), typing).await;
            }
            Some(Topic::Presence(user)) if user == me.external_id => {}
            Some(Topic::Room { room, user: None, what: "e" }) => {
                let Ok(data) = std::str::from_utf8(&p.payload) else { return };
                let _ = self.q.core.room_signal(me.app, me.id, RoomRef::Id(room), data.to_string()).await;
            }
            _ => tracing::debug!(user = %me.id, "dropping a publish the client may not make"),
        }
    }

    /// Publishes the frames its subscriptions match; false if the client stopped acknowledging.
    fn publish_frames(&mut self, frames: &[Frame], out: &mut BytesMut) -> bool {
        for frame in frames {
            if frame.change.0 > 0 && frame.change <= self.replayed_upto {
                continue;
            }
            if !self.publish_frame(frame, out) {
                return false;
            }
            self.written_upto = self.written_upto.max(frame.change);
        }
        true
    }

    /// Publishes the entries of one frame that the subscriptions match.
    fn publish_frame(&mut self, frame: &Frame, out: &mut BytesMut) -> bool {
        for (kind, topic, payload) in entries(&frame.bytes) {
            let topic = match kind {
                Kind::LeftRoom => {
                    let room: Option<i64> = topic.parse().ok();
                    self.filters.retain(
                        |(p, _)| !matches!(topics::parse(p), Some(Topic::Room { room: r, .. }) if Some(r.0) == room),
                    );
                    continue;
                }
                Kind::Token => match &self.user {
                    Some((_, token)) => format!("{token}/{topic}"),
                    None => continue,
                },
                Kind::App => match &self.app_code {
                    Some(app) => format!("{app}/{topic}"),
                    None => continue,
                },
                Kind::Whole => topic.to_string(),
            };
            // The highest QoS among the matching subscriptions.
            let mut granted = None;
            for (filter, qos) in &self.filters {
                if granted != Some(QoS::AtLeastOnce) && topics::matches(&topic, filter) {
                    granted = Some(*qos);
                }
            }
            let Some(qos) = granted else { continue };
            if !self.publish(topic, qos, payload, frame.change, out) {
                return false;
            }
        }
        true
    }

    fn publish(&mut self, topic: String, qos: QoS, payload: Bytes, change: ChangeId, out: &mut BytesMut) -> bool {
        let mut p = Publish::from_bytes(topic, qos, payload);
        if qos != QoS::AtMostOnce {
            if self.inflight.len() >= MAX_INFLIGHT {
                return false;
            }
            // A message sent again to a resumed session keeps its packet id (section 4.4).
            if let Some(pkid) = self.redeliver.remove(&change).filter(|p| !self.inflight.contains_key(p)) {
                p.pkid = pkid;
                p.dup = true;
            } else {
                while self.next_pkid == 0 || self.inflight.contains_key(&self.next_pkid) {
                    self.next_pkid = self.next_pkid.wrapping_add(1);
                }
                p.pkid = self.next_pkid;
                self.next_pkid = self.next_pkid.wrapping_add(1);
            }
            self.inflight.insert(p.pkid, change);
        }
        encode(Packet::Publish(p), out);
        true
    }
}
