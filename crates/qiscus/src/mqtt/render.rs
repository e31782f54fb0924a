//! Turns log events into what an MQTT connection publishes: topics and payloads, in a frame
//! the connection reads back (it puts its own token or app id in front of the topics that
//! need them, and publishes only what its subscriptions match).

use crate::wire::client::{self, comment};
use bytes::{BufMut, Bytes, BytesMut};
use palaver_core::realtime::Renderer;
use palaver_domain::{ChangeKind, Event, MemberChange, ReceiptKind, RoomType, UserId};

/// How a frame entry names its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The topic is `<token>/` and this suffix.
    Token = 0,
    /// The topic as it is.
    Whole = 1,
    /// Not a publish: the viewer left the room named, so its room subscriptions end.
    LeftRoom = 2,
    /// The topic is `<app id>/` and this suffix (a channel's `<unique id>/c`).
    App = 3,
}

/// Appends a frame entry: kind, topic length (2 bytes), topic, payload length (4 bytes),
/// payload. A frame holds one entry or several (a channel message goes to two topics).
pub fn entry(b: &mut BytesMut, kind: Kind, topic: &str, payload: &[u8]) {
    b.put_u8(kind as u8);
    b.put_u16(topic.len() as u16);
    b.put_slice(topic.as_bytes());
    b.put_u32(payload.len() as u32);
    b.put_slice(payload);
}

/// A frame of one entry.
pub fn frame(kind: Kind, topic: &str, payload: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(7 + topic.len() + payload.len());
    entry(&mut b, kind, topic, payload);
    b.freeze()
}

/// Reads a frame's entries back; stops at anything malformed.
pub fn entries(b: &Bytes) -> impl Iterator<Item = (Kind, &str, Bytes)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let kind = match *b.get(at)? {
            0 => Kind::Token,
            1 => Kind::Whole,
            2 => Kind::LeftRoom,
            3 => Kind::App,
            _ => return None,
        };
        let len = u16::from_be_bytes([*b.get(at + 1)?, *b.get(at + 2)?]) as usize;
        let topic = std::str::from_utf8(b.get(at + 3..at + 3 + len)?).ok()?;
        let p = at + 3 + len;
        let plen = u32::from_be_bytes(b.get(p..p + 4)?.try_into().ok()?) as usize;
        let payload = b.slice(p + 4..(p + 4 + plen).min(b.len()));
        at = p + 4 + plen;
        Some((kind, topic, payload))
    })
}

/// The Qiscus face's renderer for MQTT connections.
pub struct MqttRenderer;

impl Renderer for MqttRenderer {
    fn face(&self) -> &'static str {
        "qiscus"
    }

    fn render(&self, event: &Event, viewer: UserId) -> Option<Bytes> {
        match event {
            Event::Committed { change, .. } => match &change.kind {
                ChangeKind::MessageCreated { item, previous, .. } if !item.message.is_hidden => {
                    let json = comment(item, previous.0, viewer).to_string();
                    let mut b = BytesMut::with_capacity(2 * json.len() + 64);
                    entry(&mut b, Kind::Token, "c", json.as_bytes());
                    if let (RoomType::Channel, Some(unique_id)) = (item.room.kind, &item.room.external_id) {
                        entry(&mut b, Kind::App, &format!("{unique_id}/c"), json.as_bytes());
                    }
                    Some(b.freeze())
                }
                ChangeKind::MessageEdited { item } => {
                    Some(frame(Kind::Token, "update", comment(item, 0, viewer).to_string().as_bytes()))
                }
                ChangeKind::MessageDeleted { .. } | ChangeKind::HistoryCleared { .. } => {
                    Some(frame(Kind::Token, "n", client::event(change)?.to_string().as_bytes()))
                }
                ChangeKind::Receipt(r) => {
                    let what = if r.kind == ReceiptKind::Read { "r" } else { "d" };
                    let topic = format!("r/{0}/{0}/{1}/{what}", r.room.0, r.reader_external_id);
                    Some(frame(Kind::Whole, &topic, format!("{}:{}", r.upto.0, r.upto_local_id).as_bytes()))
                }
                ChangeKind::Member { change: MemberChange::Removed | MemberChange::Left, room, user }
                    if user.id == viewer =>
                {
                    Some(frame(Kind::LeftRoom, &room.id.0.to_string(), b""))
                }
                _ => None,
            },
            Event::Typing { room, user, typing, .. } => {
                let topic = format!("r/{0}/{0}/{1}/t", room.id.0, user.external_id);
                Some(frame(Kind::Whole, &topic, if *typing { b"1" } else { b"0" }))
            }
            Event::RoomSignal { room, data, .. } => {
                Some(frame(Kind::Whole, &format!("r/{0}/{0}/e", room.id.0), data.as_bytes()))
            }
            Event::Presence { user, online, last_active, .. } => {
                let topic = format!("u/{}/s", user.external_id);
                Some(frame(Kind::Whole, &topic, format!("{}:{last_active}", u8::from(*online)).as_bytes()))
            }
        }
    }

    fn view_key(&self, event: &Event, viewer: UserId) -> u64 {
        // A single room's comment names the room after the other participant: per viewer.
        // Everything else reads the same for every viewer.
        match event {
            Event::Committed { change, .. } => match &change.kind {
                ChangeKind::MessageCreated { item, .. } | ChangeKind::MessageEdited { item }
                    if item.room.kind == RoomType::Personal =>
                {
                    viewer.0 as u64
                }
                ChangeKind::Member { .. } => viewer.0 as u64,
                _ => 0,
            },
            _ => 0,
        }
    }
}
