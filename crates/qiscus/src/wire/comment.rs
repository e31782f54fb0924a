//! The Qiscus comment object of the Server API: `post_comment`, `load_comments` and
//! `post_system_event_message` answer with it.

use super::object_or_empty;
use super::system;
use super::user::UserDto;
use palaver_domain::{Message, MessageId, MessageType, RoomMessage};
use serde::Serialize;
use serde_json::{Value, json};

/// A comment with its sender.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CommentDto {
    /// Numeric id, increasing across the app.
    pub id: i64,
    /// Text.
    pub message: String,
    /// Qiscus type: `text`, `custom`, `system_event`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Type-specific payload object (`{}` when none).
    pub payload: Value,
    /// Extras object (`{}` when none).
    pub extras: Value,
    /// Creation time, ISO-8601 UTC.
    pub timestamp: String,
    /// Creation time, Unix seconds.
    pub unix_timestamp: i64,
    /// Creation time, Unix nanoseconds (an integer: clients cast it).
    pub unix_nano_timestamp: i64,
    /// The client's id of the comment (TapTalk `localID`).
    pub unique_temp_id: String,
    /// Id of the previous comment in the room, 0 for the first.
    pub comment_before_id: i64,
    /// The room's numeric id, as a string like every REST room id.
    pub room_id: String,
    /// The sender.
    pub user: UserDto,
}

/// The payload of a message as Qiscus shows it. Messages sent through TapTalk with a
/// TapTalk type (image, products ...) are `custom` comments whose payload names that type
/// and carries TapTalk's `data`.
pub(crate) fn comment_payload(m: &Message) -> Value {
    if let Some(e) = &m.system {
        return system::payload(e, object_or_empty(&m.data));
    }
    if matches!(m.type_code, MessageType::TEXT | MessageType::NAMED) {
        return object_or_empty(&m.data);
    }
    let content = serde_json::from_str::<Value>(&m.data).unwrap_or_else(|_| json!(m.data));
    json!({"type": format!("taptalk:{}", m.type_code), "content": content})
}

/// The text of a comment: a system event's generated text, else the body.
pub(crate) fn comment_text(m: &Message) -> String {
    match &m.system {
        Some(e) => system::text(m, e),
        None => m.body.clone(),
    }
}

impl CommentDto {
    /// Renders a comment; `previous` is the visible comment before it in the room.
    pub fn new(item: &RoomMessage, previous: MessageId) -> Self {
        let m = &item.message;
        Self {
            id: m.id.0,
            message: comment_text(m),
            kind: m.type_name.clone(),
            payload: comment_payload(m),
            extras: object_or_empty(&m.extras),
            timestamp: super::iso_seconds(m.created),
            unix_timestamp: m.created.div_euclid(1000),
            unix_nano_timestamp: m.created.saturating_mul(1_000_000),
            unique_temp_id: m.local_id.clone(),
            comment_before_id: previous.0,
            room_id: m.room.0.to_string(),
            user: UserDto::new(&item.sender),
        }
    }
}
