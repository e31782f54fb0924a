//! TapTalk's JSON shapes and the pure conversions from domain types into them.

pub mod message;
pub mod room;
pub mod system;
pub mod user;

use palaver_domain::room::{parse_personal_key, personal_key};
use palaver_domain::{Room, RoomId, RoomRef};
use serde::Serialize;

/// `imageURL`: a thumbnail and a full-size URL.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ImageUrl {
    /// Thumbnail URL.
    pub thumbnail: String,
    /// Full-size URL.
    pub fullsize: String,
}

impl ImageUrl {
    /// Both URLs.
    pub fn new(thumbnail: &str, fullsize: &str) -> Self {
        Self { thumbnail: thumbnail.to_string(), fullsize: fullsize.to_string() }
    }
}

/// A room's TapTalk `roomID`: `"<min>-<max>"` (its users' ids) for a personal room, the
/// numeric id otherwise.
pub fn room_id(room: &Room) -> String {
    match room.personal_pair {
        Some((a, b)) => personal_key(a, b),
        None => room.id.0.to_string(),
    }
}

/// Reads a TapTalk `roomID`: a personal key or a numeric id.
pub fn parse_room_id(s: &str) -> Option<RoomRef> {
    if s.contains('-') {
        parse_personal_key(s).map(|(a, b)| RoomRef::Personal(a, b))
    } else {
        s.parse().ok().map(|id| RoomRef::Id(RoomId(id)))
    }
}
