//! Events as TapTalk WebSocket frames: `{"eventName": ..., "data": ...}` in UTF-8, sent as
//! binary frames (notes section 6.2); several events of one change are joined by `\n`.

use crate::wire::message::MessageDto;
use crate::wire::room::RoomDto;
use crate::wire::room_id;
use crate::wire::user::UserDto;
use bytes::{BufMut, Bytes, BytesMut};
use palaver_core::realtime::{Hub, Renderer};
use palaver_domain::{ChangeKind, Event, RoomMessage, RoomStateChange, RoomType, UserId};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// Renders events for TapTalk connections.
pub struct TapTalkRenderer {
    /// To fill `isOnline` of users in frames.
    pub hub: Arc<Hub>,
}

/// `{"eventName": ..., "data": ...}`, serialized straight from the data's own type.
#[derive(Serialize)]
struct EventFrame<'a, T> {
    #[serde(rename = "eventName")]
    event_name: &'a str,
    data: T,
}

/// A `chat/sendMessage` frame of a message sent at its scheduled time.
#[derive(Serialize)]
struct ScheduledFrame<'a, T> {
    #[serde(rename = "eventName")]
    event_name: &'a str,
    data: T,
    #[serde(rename = "isScheduled")]
    is_scheduled: bool,
}

/// Encodes one event frame.
pub fn frame(name: &str, data: impl Serialize) -> Option<Bytes> {
    serde_json::to_vec(&EventFrame { event_name: name, data }).ok().map(Bytes::from)
}

impl TapTalkRenderer {
    fn message(&self, name: &str, item: &RoomMessage, viewer: UserId) -> Option<Bytes> {
        let online = self.hub.is_online(item.room.app, item.sender.id);
        frame(name, MessageDto::for_viewer(item, viewer, online))
    }
}

impl Renderer for TapTalkRenderer {
    fn face(&self) -> &'static str {
        "taptalk"
    }

    fn view_key(&self, event: &Event, viewer: UserId) -> u64 {
        let Event::Committed { change, .. } = event else { return 0 };
        match &change.kind {
            // A personal room is named after the partner, so each side sees its own frame.
            ChangeKind::MessageCreated { item, .. }
            | ChangeKind::MessageEdited { item }
            | ChangeKind::MessageDeleted { item }
            | ChangeKind::MessageHidden { item, .. }
                if item.room.kind == RoomType::Personal =>
            {
                viewer.0 as u64
            }
            // Senders hear of their own messages only; the reader of all.
            ChangeKind::Receipt(_) => viewer.0 as u64,
            _ => 0,
        }
    }

    fn render(&self, event: &Event, viewer: UserId) -> Option<Bytes> {
        match event {
            Event::Committed { change, .. } => match &change.kind {
                // The web SDK reads a top-level `isScheduled` on messages sent at their time.
                ChangeKind::MessageCreated { item, scheduled: true, .. } => {
                    let online = self.hub.is_online(item.room.app, item.sender.id);
                    let data = MessageDto::for_viewer(item, viewer, online);
                    let frame = ScheduledFrame { event_name: "chat/sendMessage", data, is_scheduled: true };
                    serde_json::to_vec(&frame).ok().map(Bytes::from)
                }
                ChangeKind::MessageCreated { item, .. } => self.message("chat/sendMessage", item, viewer),
                // Only the scheduler hears of it, on every device.
                ChangeKind::ScheduleChanged { room, partner, .. } => frame(
                    "room/scheduleMessage",
                    json!({"room": RoomDto::new(room, partner.as_ref()), "timestamp": change.at}),
                ),
                ChangeKind::MessageEdited { item }
                | ChangeKind::MessageDeleted { item }
                | ChangeKind::MessageHidden { item, .. } => self.message("chat/updateMessage", item, viewer),
                ChangeKind::Receipt(r) => {
                    let mut out = BytesMut::new();
                    for item in r.messages.iter().filter(|m| viewer == r.reader || viewer == m.sender.id) {
                        if let Some(bytes) = self.message("chat/updateMessage", item, viewer) {
                            if !out.is_empty() {
                                out.put_u8(b'\n');
                            }
                            out.extend_from_slice(&bytes);
                        }
                    }
                    (!out.is_empty()).then(|| out.freeze())
                }
                ChangeKind::HistoryCleared { item, .. } => {
                    let partner = if item.sender.id == viewer { item.partner.as_ref() } else { Some(&item.sender) };
                    frame("room/clearChat", json!({"room": RoomDto::new(&item.room, partner)}))
                }
                ChangeKind::RoomState { room, partner, state, .. } => {
                    let room = RoomDto::new(room, partner.as_ref());
                    match state {
                        RoomStateChange::Muted { until } => {
                            frame("room/mute", json!({"room": room, "expiredAt": until.unwrap_or(0)}))
                        }
                        RoomStateChange::Unmuted => frame("room/unmute", json!({"room": room, "expiredAt": null})),
                        RoomStateChange::Pinned => frame("room/pin", json!({"room": room})),
                        RoomStateChange::Unpinned => frame("room/unpin", json!({"room": room})),
                        RoomStateChange::MarkedUnread => frame("room/markAsUnread", json!({"room": room})),
                        RoomStateChange::MarkedRead => frame("room/markAsRead", json!({"room": room})),
                    }
                }
                ChangeKind::Block { blocked, subject, .. } => frame(
                    if *blocked { "user/block" } else { "user/unblock" },
                    json!({"user": UserDto::new(subject, self.hub.is_online(subject.app, subject.id), false)}),
                ),
                _ => None,
            },
            Event::Typing { room, user, typing, .. } => frame(
                if *typing { "chat/startTyping" } else { "chat/stopTyping" },
                json!({"roomID": room_id(room), "user": UserDto::new(user, self.hub.is_online(user.app, user.id), false)}),
            ),
            Event::Presence { user, online, last_active, .. } => frame(
                "user/status",
                json!({"user": UserDto::new(user, *online, false), "isOnline": online, "lastActive": last_active}),
            ),
            // TapTalk has no custom room events.
            Event::RoomSignal { .. } => None,
        }
    }
}
