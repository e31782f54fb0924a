//! Turns log events into what an MQTT connection publishes: a topic and a payload, in a frame
//! the connection reads back (it puts its own token in front of token topics and publishes
//! only what its subscriptions match).

use crate::wire::client::comment;
use bytes::{BufMut, Bytes, BytesMut};
use palaver_core::realtime::Renderer;
use palaver_domain::{ChangeKind, Event, MemberChange, ReceiptKind, RoomType, UserId};
use serde_json::json;

/// How a frame names its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The topic is `<token>/` and this suffix.
    Token = 0,
    /// The topic as it is.
    Whole = 1,
    /// Not a publish: the viewer left the room named, so its room subscriptions end.
    LeftRoom = 2,
}

/// A frame: kind, topic length (2 bytes), topic, payload.
pub fn frame(kind: Kind, topic: &str, payload: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(3 + topic.len() + payload.len());
    b.put_u8(kind as u8);
    b.put_u16(topic.len() as u16);
    b.put_slice(topic.as_bytes());
    b.put_slice(payload);
    b.freeze()
}

/// Reads a frame back.
pub fn unframe(b: &Bytes) -> Option<(Kind, &str, Bytes)> {
    let kind = match *b.first()? {
        0 => Kind::Token,
        1 => Kind::Whole,
        2 => Kind::LeftRoom,
        _ => return None,
    };
    let len = u16::from_be_bytes([*b.get(1)?, *b.get(2)?]) as usize;
    let topic = std::str::from_utf8(b.get(3..3 + len)?).ok()?;
    Some((kind, topic, b.slice(3 + len..)))
}

/// The Qiscus face's renderer for MQTT connections.
pub struct MqttRenderer;

impl Renderer for MqttRenderer {
    fn render(&self, event: &Event, viewer: UserId) -> Option<Bytes> {
        match event {
            Event::Committed { change, .. } => match &change.kind {
                ChangeKind::MessageCreated { item, .. } if !item.message.is_hidden => {
                    Some(frame(Kind::Token, "c", comment(item, 0, viewer).to_string().as_bytes()))
                }
                ChangeKind::MessageEdited { item } => {
                    Some(frame(Kind::Token, "update", comment(item, 0, viewer).to_string().as_bytes()))
                }
                ChangeKind::MessageDeleted { item } => {
                    let m = &item.message;
                    let event = json!({
                        "id": change.id.0,
                        "timestamp": change.at.saturating_mul(1_000_000),
                        "action_topic": "delete_message",
                        "payload": {
                            "actor": {"id": item.sender.id.0, "email": item.sender.external_id, "name": item.sender.fullname},
                            "data": {
                                "deleted_messages": [{"room_id": m.room.0.to_string(), "message_unique_ids": [m.local_id]}],
                                "is_hard_delete": false,
                            },
                        },
                    });
                    Some(frame(Kind::Token, "n", event.to_string().as_bytes()))
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
