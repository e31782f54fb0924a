//! Moving an app between Palaver servers: `palaver export` writes it as JSON lines,
//! `palaver import` replays them into an existing app of another server.
//!
//! The file is a header (`{"kind":"palaver-export","version":1,"app":NAME,"exported_at":ms}`)
//! followed by, in this order, every `user`, `room`, `message` (in id order across the app),
//! `participant`, `contact` and `block` line. Users are named by their external ids. Rooms carry
//! a `ref` (their id on the exporting server, meaningful only within the file) that messages
//! and participants name them by. A participant's read and delivered pointers are the local id
//! (client id) of the newest message of its room the pointer covers, `null` for none: on import
//! they point at the message that received that local id, so that "read up to here" keeps its
//! meaning although message ids change. Importing is a bulk load: it records no changes, so
//! neither realtime events nor webhooks hear of it (see ARCHITECTURE.md, decisions).

mod export;
mod import;

pub use export::export;
pub use import::{import, validate};

use palaver_store::DbError;
use serde::{Deserialize, Serialize};

/// The version of the format this build writes and reads.
pub const VERSION: i64 = 1;

/// What went wrong in an export or an import, worded for an operator.
#[derive(Debug)]
pub struct TransferError(pub String);

impl From<DbError> for TransferError {
    fn from(e: DbError) -> Self {
        Self(format!("database: {e}"))
    }
}

impl std::fmt::Display for TransferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many lines of each kind were written (export) or stored as new (import).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Users.
    pub users: u64,
    /// Rooms.
    pub rooms: u64,
    /// Messages.
    pub messages: u64,
    /// Participants.
    pub participants: u64,
    /// Contacts.
    pub contacts: u64,
    /// Blocks.
    pub blocks: u64,
}

/// The first line of a file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    /// The format's version, [`VERSION`].
    pub version: i64,
    /// The name of the exported app.
    pub app: String,
    /// When it was exported (Unix ms).
    pub exported_at: i64,
    /// The external id of the exporting app's system user (the sender of Qiscus system
    /// events), which an import renames to the importing app's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_user: Option<String>,
}

/// A user, named by its external id.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserLine {
    /// External id.
    pub id: String,
    /// Display name.
    pub fullname: String,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Country id.
    pub country_id: i64,
    /// Country calling code.
    pub country_calling_code: String,
    /// Photo URL, small.
    pub photo_thumb: String,
    /// Photo URL, full size.
    pub photo_full: String,
    /// Role code.
    pub role: String,
    /// Bio.
    pub bio: String,
    /// Extras (JSON text).
    pub extras: String,
    /// Whether active (not deactivated).
    pub active: bool,
    /// When deleted (Unix ms), 0 if not.
    pub deleted: i64,
    /// When created (Unix ms).
    pub created: i64,
    /// When last updated (Unix ms).
    pub updated: i64,
}

/// A room. Personal rooms are named by their two users, others by external id, or without
/// one by their type, name and creation time.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomLine {
    /// The room's id on the exporting server: how later lines of the file name it.
    #[serde(rename = "ref")]
    pub reference: i64,
    /// `personal`, `group`, `channel` or `transaction`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The external ids of a personal room's two users (the same twice for a room with oneself).
    pub users: Option<[String; 2]>,
    /// External id.
    pub external_id: Option<String>,
    /// Name.
    pub name: String,
    /// Photo URL, small.
    pub photo_thumb: String,
    /// Photo URL, full size.
    pub photo_full: String,
    /// Colour.
    pub color: String,
    /// Options (JSON text).
    pub options: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Roles whose users are participants.
    pub participant_roles: Vec<String>,
    /// Whether locked.
    pub locked: bool,
    /// When locked (Unix ms).
    pub locked_time: i64,
    /// When created (Unix ms).
    pub created: i64,
    /// When last updated (Unix ms).
    pub updated: i64,
    /// When deleted (Unix ms), 0 if not.
    pub deleted: i64,
}

/// A message, kept with its local id and times.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageLine {
    /// The room's `ref`.
    pub room: i64,
    /// The sender's external id.
    pub sender: String,
    /// Local (client) id, unique in its room.
    pub local_id: String,
    /// Type as a number (TapTalk's).
    pub type_code: i64,
    /// Type as a name (Qiscus').
    pub type_name: String,
    /// Body.
    pub body: String,
    /// Data (JSON text).
    pub data: String,
    /// Extras (JSON text).
    pub extras: String,
    /// Filter id.
    pub filter_id: String,
    /// Whether hidden.
    pub hidden: bool,
    /// Quote.
    pub quote: String,
    /// Reply-to.
    pub reply_to: String,
    /// Forward-from.
    pub forward_from: String,
    /// A system message's action code, empty for others.
    pub system_action: String,
    /// A system message's details (JSON text; users in it are re-mapped by external id).
    pub system_details: String,
    /// Whether edited.
    pub edited: bool,
    /// When deleted (Unix ms), 0 if not.
    pub deleted: i64,
    /// When created (Unix ms).
    pub created: i64,
    /// When last updated (Unix ms).
    pub updated: i64,
}

/// A participant of a room with its pointers.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ParticipantLine {
    /// The room's `ref`.
    pub room: i64,
    /// The user's external id.
    pub user: String,
    /// Whether an admin of the room.
    pub admin: bool,
    /// Whether counted in through a room role.
    pub via_role: bool,
    /// When joined (Unix ms).
    pub joined: i64,
    /// Local id of the newest message of the room read, `None` for none.
    pub read: Option<String>,
    /// Local id of the newest message of the room received, `None` for none.
    pub delivered: Option<String>,
}

/// A one-way relation between two users: a contact (owner, contact) or a block (blocker,
/// blocked).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PairLine {
    /// The owner's or blocker's external id.
    pub from: String,
    /// The contact's or blocked user's external id.
    pub to: String,
    /// When made (Unix ms).
    pub created: i64,
}

/// One line of a file, tagged by its `kind`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Line {
    /// The first line.
    #[serde(rename = "palaver-export")]
    Header(Header),
    /// A user.
    User(UserLine),
    /// A room.
    Room(RoomLine),
    /// A message.
    Message(MessageLine),
    /// A participant.
    Participant(ParticipantLine),
    /// A contact.
    Contact(PairLine),
    /// A block.
    Block(PairLine),
}

const KINDS: [&str; 7] = ["palaver-export", "user", "room", "message", "participant", "contact", "block"];

/// Parses line `number` (from 1) of a file: an unknown kind, a missing header or another
/// version is an error naming the line.
pub fn parse_line(number: usize, text: &str) -> Result<Line, TransferError> {
    let fail = |why: String| TransferError(format!("line {number}: {why}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let kind = value.get("kind").and_then(|k| k.as_str()).ok_or_else(|| fail("no \"kind\"".into()))?;
    if !KINDS.contains(&kind) {
        return Err(fail(format!("unknown kind {kind:?}")));
    }
    if (number == 1) != (kind == "palaver-export") {
        return Err(fail("a file starts with its \"palaver-export\" line, and has only one".into()));
    }
    let line: Line = serde_json::from_value(value).map_err(|e| fail(e.to_string()))?;
    if let Line::Header(h) = &line
        && h.version != VERSION
    {
        return Err(fail(format!("version {} is not supported (this server reads version {VERSION})", h.version)));
    }
    Ok(line)
}

/// The name of a room type in the file.
fn type_name(kind: palaver_domain::RoomType) -> &'static str {
    use palaver_domain::RoomType::*;
    match kind {
        Personal => "personal",
        Group => "group",
        Channel => "channel",
        Transaction => "transaction",
    }
}

/// The room type a file names.
fn type_of(name: &str) -> Option<palaver_domain::RoomType> {
    use palaver_domain::RoomType::*;
    [Personal, Group, Channel, Transaction].into_iter().find(|k| type_name(*k) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_checked_and_errors_name_the_line() {
        let header = r#"{"kind":"palaver-export","version":1,"app":"a","exported_at":1}"#;
        assert!(matches!(parse_line(1, header), Ok(Line::Header(_))));
        let err = |n: usize, text: &str| parse_line(n, text).unwrap_err().0;
        assert_eq!(err(2, header), "line 2: a file starts with its \"palaver-export\" line, and has only one");
        assert!(err(1, r#"{"kind":"user","id":"a"}"#).starts_with("line 1: a file starts"));
        assert_eq!(err(3, r#"{"kind":"gossip"}"#), "line 3: unknown kind \"gossip\"");
        assert!(err(1, &header.replace(":1,", ":2,")).starts_with("line 1: version 2 is not supported"));
        assert!(err(4, "{").starts_with("line 4: not JSON"));
        assert!(err(5, r#"{"kind":"room","ref":"x"}"#).starts_with("line 5: invalid type"));
        let user = parse_line(2, r#"{"kind":"user","id":"ann","active":true}"#).unwrap();
        assert!(matches!(user, Line::User(UserLine { ref id, active: true, .. }) if id == "ann"));
    }
}
