//! Messages. Content is stored in plaintext; a face that obfuscates content on its wire does
//! so on the way in and out.

use crate::ids::{AppId, MessageId, RoomId, UserId};
use crate::system::SystemEvent;
use serde::{Deserialize, Serialize};

/// The message types Palaver gives meaning to. A message carries its type twice: as a number
/// (`type_code`) and as a name (`type_name`), because dialects name types one way or the
/// other; these well-known types map between the two, and any other type keeps the form it
/// was sent in, with [`MessageType::NAMED`] or `"custom"` as the other form.
pub struct MessageType;

impl MessageType {
    /// Plain text (`"text"`).
    pub const TEXT: i64 = 1001;
    /// Image(s).
    pub const IMAGE: i64 = 1002;
    /// Video.
    pub const VIDEO: i64 = 1003;
    /// File.
    pub const FILE: i64 = 1004;
    /// Products.
    pub const PRODUCTS: i64 = 2001;
    /// A type known only by its name; `data` holds its payload.
    pub const NAMED: i64 = 3000;
    /// System message (`"system_event"`): membership changes and the like.
    pub const SYSTEM: i64 = 9001;

    /// Whether a sender may edit messages of this type (text, and captions of image/video).
    pub fn editable(code: i64) -> bool {
        matches!(code, Self::TEXT | Self::IMAGE | Self::VIDEO)
    }

    /// The name of a numbered type.
    pub fn name_of(code: i64) -> &'static str {
        match code {
            Self::TEXT => "text",
            Self::SYSTEM => "system_event",
            _ => "custom",
        }
    }

    /// The number of a named type.
    pub fn code_of(name: &str) -> i64 {
        match name {
            "text" => Self::TEXT,
            "system_event" => Self::SYSTEM,
            _ => Self::NAMED,
        }
    }
}

/// Delivery state of a message as seen by its sender, derived from the other participants'
/// read and delivered pointers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageStatus {
    /// Some other participant received it.
    pub delivered: bool,
    /// Some other participant read it.
    pub read: bool,
}

/// A message as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Server id; increasing across the whole store.
    pub id: MessageId,
    /// Owning app.
    pub app: AppId,
    /// Room it belongs to.
    pub room: RoomId,
    /// Sender.
    pub sender: UserId,
    /// Client-chosen id, unique per room; a repeated send returns the stored message.
    pub local_id: String,
    /// Type as a number (see [`MessageType`]).
    pub type_code: i64,
    /// Type as a name (see [`MessageType`]).
    pub type_name: String,
    /// Text content.
    pub body: String,
    /// Payload: usually JSON text.
    pub data: String,
    /// Extra attributes the sender keeps with the message: JSON text, empty when none.
    pub extras: String,
    /// Filter id: a tag the customer groups messages by.
    pub filter_id: String,
    /// Hidden messages are not shown in lists nor counted as unread.
    pub is_hidden: bool,
    /// A quoted message, as JSON text in the shape the sending face stores; empty when none.
    pub quote: String,
    /// The message replied to, as JSON text; empty when none.
    pub reply_to: String,
    /// Where a forwarded message came from, as JSON text; empty when none.
    pub forward_from: String,
    /// For system messages, what they report.
    pub system: Option<SystemEvent>,
    /// Whether the content was edited.
    pub is_edited: bool,
    /// Deletion time for everyone, Unix ms; 0 when not deleted.
    pub deleted: i64,
    /// Creation time, Unix ms.
    pub created: i64,
    /// Last change, Unix ms.
    pub updated: i64,
    /// Delivery state, derived when read from the store.
    pub status: MessageStatus,
}

impl Message {
    /// Whether the message was deleted for everyone.
    pub fn is_deleted(&self) -> bool {
        self.deleted > 0
    }
}

/// Splits `text` into pieces of at most `max` characters; an empty text gives no pieces.
pub fn split_chars(text: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(max.max(1)).map(|c| c.iter().collect()).collect()
}

/// Splits a body and data that may be too long into `(body, data)` parts of at most the
/// given lengths. There is always at least one part; the last part carries the tail of each.
pub fn split_content(body: &str, data: &str, max_body: usize, max_data: usize) -> Vec<(String, String)> {
    let bodies = split_chars(body, max_body);
    let datas = split_chars(data, max_data);
    let n = bodies.len().max(datas.len()).max(1);
    // Align both sequences to the end so the final part holds the last piece of each.
    let pick = |v: &Vec<String>, i: usize| -> String {
        let offset = n - v.len();
        if i >= offset { v[i - offset].clone() } else { String::new() }
    };
    (0..n).map(|i| (pick(&bodies, i), pick(&datas, i))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_content_is_one_part() {
        assert_eq!(split_content("hi", "", 4000, 4000), vec![("hi".to_string(), String::new())]);
    }

    #[test]
    fn long_body_splits_on_characters_not_bytes() {
        let body = "é".repeat(9);
        let parts = split_content(&body, "", 4, 4);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.iter().map(|p| p.0.chars().count()).collect::<Vec<_>>(), vec![4, 4, 1]);
        assert_eq!(parts.iter().map(|p| p.0.as_str()).collect::<String>(), body);
    }

    #[test]
    fn data_longer_than_body_keeps_both_tails_in_the_last_part() {
        let parts = split_content("ab", "0123456789", 4, 4);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], ("ab".to_string(), "89".to_string()));
        assert_eq!(parts[0], (String::new(), "0123".to_string()));
    }

    #[test]
    fn well_known_types_map_both_ways() {
        assert_eq!(MessageType::name_of(MessageType::TEXT), "text");
        assert_eq!(MessageType::code_of("system_event"), MessageType::SYSTEM);
        assert_eq!(MessageType::name_of(MessageType::IMAGE), "custom");
        assert_eq!(MessageType::code_of("buttons"), MessageType::NAMED);
    }
}
