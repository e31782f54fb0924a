//! The Qiscus room object of the Server API (seed 002).

use palaver_domain::{Room, RoomType, User};
use serde::Serialize;

/// A room: ids as strings, options as a JSON string.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RoomDto {
    /// Numeric id, as a string.
    pub room_id: String,
    /// Name; empty for single rooms.
    pub room_name: String,
    /// `single` or `group` (channels are public groups, as seed 002 shows them).
    pub room_type: &'static str,
    /// Avatar URL.
    pub room_avatar_url: String,
    /// Options: JSON text.
    pub room_options: String,
    /// Unique id, empty when the room has none.
    pub room_channel_id: String,
}

/// The Qiscus name of a room type: groups, TapTalk's transaction rooms and channels are all
/// groups to the v2.1 Server API (seed 002 answers `get_or_create_channel` with `"group"`).
pub fn room_type_name(kind: RoomType) -> &'static str {
    match kind {
        RoomType::Personal => "single",
        RoomType::Group | RoomType::Transaction | RoomType::Channel => "group",
    }
}

/// The room types a Qiscus `room_type` filter selects; `channel` narrows to channels.
pub fn room_types_named(name: &str) -> Option<Vec<RoomType>> {
    match name {
        "single" => Some(vec![RoomType::Personal]),
        "group" => Some(vec![RoomType::Group, RoomType::Transaction, RoomType::Channel]),
        "channel" => Some(vec![RoomType::Channel]),
        _ => None,
    }
}

impl RoomDto {
    /// Renders a room as a user's room list shows it: a single room without an avatar of
    /// its own shows the partner's.
    pub fn seen_by(r: &Room, partner: Option<&User>) -> Self {
        let mut dto = Self::new(r);
        let bare = r.kind == RoomType::Personal && dto.room_avatar_url.is_empty();
        if let Some(p) = partner.filter(|_| bare) {
            dto.room_avatar_url = p.photo_full.clone();
        }
        dto
    }

    /// Renders a room.
    pub fn new(r: &Room) -> Self {
        Self {
            room_id: r.id.0.to_string(),
            room_name: r.name.clone(),
            room_type: room_type_name(r.kind),
            room_avatar_url: r.photo_full.clone(),
            room_options: if r.options.is_empty() { "{}".into() } else { r.options.clone() },
            room_channel_id: r.external_id.clone().unwrap_or_default(),
        }
    }
}
