//! Domain events as TapTalk WebSocket frames: `{"eventName": ..., "data": ...}` in UTF-8,
//! sent as binary frames (notes section 6.2).

use crate::wire::message::MessageDto;
use crate::wire::user::UserDto;
use bytes::Bytes;
use palaver_core::realtime::{Hub, Renderer};
use palaver_domain::{Event, RoomType, UserId};
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

/// Encodes one event frame.
pub fn frame(name: &str, data: impl Serialize) -> Option<Bytes> {
    serde_json::to_vec(&EventFrame { event_name: name, data }).ok().map(Bytes::from)
}

impl Renderer for TapTalkRenderer {
    fn view_key(&self, event: &Event, viewer: UserId) -> u64 {
        match event {
            // A personal room is named after the partner, so each side sees its own frame.
            Event::MessageCreated(m) | Event::MessageUpdated(m) if m.item.room.kind == RoomType::Personal => {
                viewer.0 as u64
            }
            _ => 0,
        }
    }

    fn render(&self, event: &Event, viewer: UserId) -> Option<Bytes> {
        let online = |app, user| self.hub.is_online(app, user);
        match event {
            Event::MessageCreated(m) | Event::MessageUpdated(m) => {
                let name =
                    if matches!(event, Event::MessageCreated(_)) { "chat/sendMessage" } else { "chat/updateMessage" };
                let rm = &m.item;
                frame(name, MessageDto::for_viewer(rm, viewer, online(rm.room.app, rm.sender.id)))
            }
            Event::Typing { user, typing, tap_room_id, app, .. } => frame(
                if *typing { "chat/startTyping" } else { "chat/stopTyping" },
                json!({"roomID": tap_room_id, "user": UserDto::new(user, online(*app, user.id), false)}),
            ),
            Event::Presence { user, online: is_online, last_active, .. } => frame(
                "user/status",
                json!({"user": UserDto::new(user, *is_online, false), "isOnline": is_online, "lastActive": last_active}),
            ),
            Event::UserState { name, subject, app, .. } => {
                frame(name, json!({"user": UserDto::new(subject, online(*app, subject.id), false)}))
            }
        }
    }
}
