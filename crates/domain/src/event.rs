//! What live connections hear: committed changes from the log, and ephemeral signals (typing,
//! presence) that are never stored.

use crate::change::Change;
use crate::ids::{AppId, ChangeId, UserId};
use crate::message::Message;
use crate::room::{Room, RoomType};
use crate::user::User;
use serde::{Deserialize, Serialize};

/// A message with everything a face needs to render it without touching the store: the
/// room, the sender and, in a personal room, the other participant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomMessage {
    /// The message.
    pub message: Message,
    /// The room it belongs to.
    pub room: Room,
    /// The sender's profile.
    pub sender: User,
    /// In a personal room, the participant who is not the sender.
    pub partner: Option<User>,
}

impl RoomMessage {
    /// In a personal room, the participant other than `viewer`: whom the room is named after.
    pub fn partner_for(&self, viewer: UserId) -> Option<&User> {
        if self.room.kind != RoomType::Personal {
            None
        } else if viewer == self.sender.id {
            self.partner.as_ref()
        } else {
            Some(&self.sender)
        }
    }
}

/// Something live connections may hear of, addressed to a set of users of one app.
// Typing and presence carry their user (and room) inline: events are moved in batches, never
// copied, and boxing them would cost an allocation per event for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A change committed to the log.
    Committed {
        /// The change.
        change: Box<Change>,
        /// Users whose connections hear of it: the room's participants at commit time and
        /// the change's own users.
        recipients: Vec<UserId>,
    },
    /// A user started or stopped typing in a room.
    Typing {
        /// The room.
        room: Room,
        /// The typing user.
        user: User,
        /// Whether typing started.
        typing: bool,
        /// The other participants.
        recipients: Vec<UserId>,
    },
    /// A client's own event in a room (Qiscus custom events): passed on to the room's
    /// participants as it is, never stored.
    RoomSignal {
        /// The room.
        room: Room,
        /// Who sent it.
        user: User,
        /// What it carries (JSON text, as the client sent it).
        data: String,
        /// The room's participants, the sender included.
        recipients: Vec<UserId>,
    },
    /// A user came online or went offline.
    Presence {
        /// The user.
        user: User,
        /// Online now.
        online: bool,
        /// Last activity, Unix ms.
        last_active: i64,
        /// Users who share a room with the user.
        recipients: Vec<UserId>,
    },
}

impl Event {
    /// The app the event belongs to.
    pub fn app(&self) -> AppId {
        match self {
            Event::Committed { change, .. } => change.app,
            Event::Typing { room, .. } | Event::RoomSignal { room, .. } => room.app,
            Event::Presence { user, .. } => user.app,
        }
    }

    /// The users whose connections receive the event.
    pub fn recipients(&self) -> &[UserId] {
        match self {
            Event::Committed { recipients, .. }
            | Event::Typing { recipients, .. }
            | Event::RoomSignal { recipients, .. }
            | Event::Presence { recipients, .. } => recipients,
        }
    }

    /// The change id the event carries, if it is a committed change: the cursor a device or
    /// node catches up from after missing events.
    pub fn change_id(&self) -> Option<ChangeId> {
        match self {
            Event::Committed { change, .. } => Some(change.id),
            _ => None,
        }
    }
}
