//! Domain events: what happened, emitted after commit and delivered to live connections.

use crate::ids::{AppId, RoomId, UserId};
use crate::message::Message;
use crate::room::Room;
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
        if self.room.kind != crate::RoomType::Personal {
            None
        } else if viewer == self.sender.id {
            self.partner.as_ref()
        } else {
            Some(&self.sender)
        }
    }
}

/// A message change and the users whose connections receive it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageEvent {
    /// The message after the change, with its context.
    pub item: RoomMessage,
    /// Users whose connections receive the event.
    pub recipients: Vec<UserId>,
}

/// Something that happened, addressed to a set of users of one app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A new message was committed.
    MessageCreated(MessageEvent),
    /// A message changed: edited, deleted, delivered or read.
    MessageUpdated(MessageEvent),
    /// A user started or stopped typing in a room.
    Typing {
        /// App of the room.
        app: AppId,
        /// Room id.
        room: RoomId,
        /// TapTalk room id of the room.
        tap_room_id: String,
        /// The typing user.
        user: User,
        /// Whether typing started.
        typing: bool,
        /// The other participants.
        recipients: Vec<UserId>,
    },
    /// A user came online or went offline.
    Presence {
        /// App of the user.
        app: AppId,
        /// The user.
        user: User,
        /// Online now.
        online: bool,
        /// Last activity, Unix ms.
        last_active: i64,
        /// Users who share a room with the user.
        recipients: Vec<UserId>,
    },
    /// A change of a user's own state (blocking or unblocking someone) sent to all of that
    /// user's sessions.
    UserState {
        /// App of the user.
        app: AppId,
        /// What happened, in TapTalk terms: `user/block` or `user/unblock`.
        name: String,
        /// The user the change is about.
        subject: User,
        /// The sessions' owner.
        recipients: Vec<UserId>,
    },
}

impl Event {
    /// The app the event belongs to.
    pub fn app(&self) -> AppId {
        match self {
            Event::MessageCreated(m) | Event::MessageUpdated(m) => m.item.message.app,
            Event::Typing { app, .. } | Event::Presence { app, .. } | Event::UserState { app, .. } => *app,
        }
    }

    /// The users whose connections receive the event.
    pub fn recipients(&self) -> &[UserId] {
        match self {
            Event::MessageCreated(m) | Event::MessageUpdated(m) => &m.recipients,
            Event::Typing { recipients, .. }
            | Event::Presence { recipients, .. }
            | Event::UserState { recipients, .. } => recipients,
        }
    }

    /// The message change sequence carried by the event, if any: the cursor a node uses to
    /// catch up from the database after missing events.
    pub fn change_seq(&self) -> Option<i64> {
        match self {
            Event::MessageCreated(m) | Event::MessageUpdated(m) => Some(m.item.message.change_seq),
            _ => None,
        }
    }
}
