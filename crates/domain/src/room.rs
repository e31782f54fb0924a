//! Rooms, their participants, and a user's room list.

use crate::external_id::ExternalId;
use crate::ids::{AppId, RoomId, UserId};
use crate::message::Message;
use crate::user::User;
use serde::{Deserialize, Serialize};

/// The four room types, with the numbers stored in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "i64", try_from = "i64")]
pub enum RoomType {
    /// One-to-one room between two users.
    Personal = 1,
    /// Group room.
    Group = 2,
    /// Channel (a public group).
    Channel = 3,
    /// Transaction room, which behaves like a group.
    Transaction = 4,
}

impl RoomType {
    /// The stored numeric code.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// Parses the numeric code.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(Self::Personal),
            2 => Some(Self::Group),
            3 => Some(Self::Channel),
            4 => Some(Self::Transaction),
            _ => None,
        }
    }
}

impl From<RoomType> for i64 {
    fn from(t: RoomType) -> i64 {
        t.code()
    }
}

impl TryFrom<i64> for RoomType {
    type Error = String;
    fn try_from(code: i64) -> Result<Self, String> {
        Self::from_code(code).ok_or_else(|| format!("unknown room type {code}"))
    }
}

/// A room as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Room {
    /// Internal numeric id.
    pub id: RoomId,
    /// Owning app.
    pub app: AppId,
    /// Room type.
    pub kind: RoomType,
    /// For personal rooms, the two user ids, smaller first.
    pub personal_pair: Option<(UserId, UserId)>,
    /// The customer's id for the room.
    pub external_id: Option<String>,
    /// Room name; empty for personal rooms, whose name is the partner's name.
    pub name: String,
    /// Thumbnail photo URL.
    pub photo_thumb: String,
    /// Full-size photo URL.
    pub photo_full: String,
    /// Colour code in hex.
    pub color: String,
    /// Options the customer keeps with the room: JSON text.
    pub options: String,
    /// Tags the customer sets.
    pub tags: Vec<String>,
    /// Role codes whose users count as participants.
    pub participant_roles: Vec<String>,
    /// Whether new messages from clients are refused.
    pub is_locked: bool,
    /// When the room was locked, Unix ms, 0 when unlocked.
    pub locked_time: i64,
    /// Creation time, Unix ms.
    pub created: i64,
    /// Last change, Unix ms.
    pub updated: i64,
    /// Deletion time, Unix ms; 0 while the room exists.
    pub deleted: i64,
}

impl Room {
    /// A room not yet stored (id 0), with every optional field empty: the one starting point
    /// for every way a room is created.
    pub fn draft(app: AppId, kind: RoomType, now: i64) -> Self {
        Self {
            id: Default::default(),
            app,
            kind,
            personal_pair: None,
            external_id: None,
            name: String::new(),
            photo_thumb: String::new(),
            photo_full: String::new(),
            color: String::new(),
            options: "{}".into(),
            tags: Vec::new(),
            participant_roles: Vec::new(),
            is_locked: false,
            locked_time: 0,
            created: now,
            updated: now,
            deleted: 0,
        }
    }

    /// Whether the room was deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted > 0
    }

    /// Whether the room is one of several users (anything but a personal room).
    pub fn is_group(&self) -> bool {
        self.kind != RoomType::Personal
    }

    /// For a personal room, the participant that is not `me`.
    pub fn partner_of(&self, me: UserId) -> Option<UserId> {
        self.personal_pair.map(|(a, b)| if a == me { b } else { a })
    }
}

/// The key a personal room is stored under: smaller id, dash, larger id (compared as numbers).
pub fn personal_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{}-{}", lo.0, hi.0)
}

/// Parses a personal-room key back into its two user ids.
pub fn parse_personal_key(key: &str) -> Option<(UserId, UserId)> {
    let (a, b) = key.split_once('-')?;
    let (a, b) = (a.parse().ok()?, b.parse().ok()?);
    (a <= b).then_some((UserId(a), UserId(b)))
}

/// How a request names a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomRef {
    /// Internal numeric id.
    Id(RoomId),
    /// The personal room of two users.
    Personal(UserId, UserId),
    /// The customer's external id.
    External(ExternalId),
    /// The external id of a live room when one has it, otherwise a numeric id: for APIs whose
    /// one parameter takes either (an external id that looks like a number keeps naming its
    /// room after a room of that number exists).
    IdOrExternal(String),
}

/// A participant of a room with the user's profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    /// The user.
    pub user: User,
    /// Whether the user administers the room.
    pub is_admin: bool,
}

/// A room with its participants and admins: what room endpoints answer with.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomDetails {
    /// The room.
    pub room: Room,
    /// Its participants, in joining order.
    pub participants: Vec<Participant>,
    /// Its admins.
    pub admins: Vec<UserId>,
}

/// One room of a user's room list.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomSummary {
    /// The room.
    pub room: Room,
    /// Its newest message visible to the user, if any.
    pub last_message: Option<Message>,
    /// The sender of that message.
    pub sender: Option<User>,
    /// For a personal room, the other participant (the user themself in a saved-messages room).
    pub partner: Option<User>,
    /// Messages the user has not read.
    pub unread: i64,
}

/// Which rooms of a user's list to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomFilter {
    /// Only rooms with these external ids.
    pub external_ids: Option<Vec<String>>,
    /// Only these rooms.
    pub room_ids: Option<Vec<RoomId>>,
    /// Only these room types.
    pub kinds: Option<Vec<RoomType>>,
    /// Rows to skip.
    pub offset: i64,
    /// Most rows; 0 means no limit.
    pub limit: i64,
}
