//! The change log: every committed change of state, one entry each, in commit order.
//!
//! A [`Change`] is written in the same transaction as the change it records, and published
//! to live connections from there; webhooks, catching up devices and cluster nodes all read
//! the same log. In memory a change carries everything a renderer needs (the message with its
//! room and sender, the room, the user); the stored row keeps only ids and the few facts that
//! are not state (see [`Change::facts`]), and readers join the current state of the rest.

use crate::event::RoomMessage;
use crate::ids::{AppId, ChangeId, MessageId, RoomId, UserId};
use crate::room::Room;
use crate::user::User;
use serde::{Deserialize, Serialize};

/// Where a new message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Via {
    /// A client app, through a client API.
    Client,
    /// The customer's backend, through a server API.
    Backend,
}

/// What happened to a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomChange {
    /// It was created.
    Created,
    /// Its name, pictures, options, tags, roles or external id changed (or it was revived).
    Updated,
    /// It was locked.
    Locked,
    /// It was unlocked.
    Unlocked,
    /// It was deleted.
    Deleted,
}

/// What happened to a user's membership of a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberChange {
    /// The user was added.
    Added,
    /// The user was removed by someone else.
    Removed,
    /// The user left.
    Left,
    /// The user became an admin.
    Promoted,
    /// The user stopped being an admin.
    Demoted,
}

/// What happened to a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserChange {
    /// The user was created.
    Created,
    /// Its profile changed (or a deleted user was revived).
    Updated,
    /// It was deleted.
    Deleted,
    /// It was deactivated.
    Deactivated,
    /// It was activated again.
    Reactivated,
}

/// Which pointer a receipt moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiptKind {
    /// Messages reached a device of the reader.
    Delivered,
    /// The reader read them.
    Read,
}

/// A reader's pointer in a room moved forward: every message of others after `from` and up to
/// `upto` is now delivered to (or read by) the reader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// Delivered or read.
    pub kind: ReceiptKind,
    /// The room.
    pub room: RoomId,
    /// Who received or read.
    pub reader: UserId,
    /// The reader's external id: faces that name users by it (Qiscus topics) need it.
    pub reader_external_id: String,
    /// The pointer before.
    pub from: MessageId,
    /// The pointer now: the newest message received or read.
    pub upto: MessageId,
    /// The client id of message `upto`.
    pub upto_local_id: String,
    /// The messages whose state changed, as they are now.
    pub messages: Vec<RoomMessage>,
}

/// What a change did, with the state a consumer renders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ChangeKind {
    /// A message was posted.
    MessageCreated {
        /// The message.
        item: RoomMessage,
        /// Who posted it: a client or the backend.
        via: Via,
        /// The visible message before it in its room (Qiscus' `comment_before_id`): when it
        /// was posted, or, read back from the log, now; 0 for the first.
        previous: MessageId,
        /// Whether the server sent it for its sender, at the time the sender scheduled.
        #[serde(default)]
        scheduled: bool,
    },
    /// A message's content was edited.
    MessageEdited {
        /// The message after the edit.
        item: RoomMessage,
    },
    /// A message was deleted for everyone.
    MessageDeleted {
        /// The message, its content erased.
        item: RoomMessage,
    },
    /// A message was deleted for one user only.
    MessageHidden {
        /// The message.
        item: RoomMessage,
        /// The user who no longer sees it.
        user: UserId,
    },
    /// A user cleared a room's history for itself: it no longer sees the messages up to
    /// `item`. Only the user hears of it.
    HistoryCleared {
        /// The newest message cleared, with its room.
        item: RoomMessage,
        /// Who cleared it.
        user: UserId,
    },
    /// A delivery or read receipt.
    Receipt(Receipt),
    /// A room was created, changed or deleted.
    Room {
        /// What happened.
        change: RoomChange,
        /// The room after the change.
        room: Room,
    },
    /// A user joined, left or changed role in a room.
    Member {
        /// What happened.
        change: MemberChange,
        /// The room.
        room: Room,
        /// The participant.
        user: User,
    },
    /// A user was created, changed or deleted.
    User {
        /// What happened.
        change: UserChange,
        /// The user after the change.
        user: User,
    },
    /// A user added or removed a contact.
    Contact {
        /// Whether it was added (else removed).
        added: bool,
        /// Whose contact list changed.
        owner: UserId,
        /// The contact.
        contact: User,
    },
    /// A user blocked or unblocked another.
    Block {
        /// Whether this is a block (else an unblock).
        blocked: bool,
        /// Who blocks.
        blocker: UserId,
        /// Whom.
        subject: User,
    },
    /// A user changed how a room shows for itself alone (muted, pinned, marked unread).
    /// Only the user hears of it, on all of its devices.
    RoomState {
        /// Whose view of the room.
        user: UserId,
        /// The room.
        room: Room,
        /// For a personal room, the other participant (rooms are shown by their partner).
        partner: Option<User>,
        /// What changed.
        state: RoomStateChange,
    },
    /// The messages a user has scheduled in a room changed (one was added, edited, moved,
    /// deleted, sent or dropped). Only the user hears of it, on all of its devices.
    ScheduleChanged {
        /// Whose schedule.
        user: UserId,
        /// The room; for a personal room not created yet, a draft (id 0) naming its pair.
        room: Room,
        /// For a personal room, the other participant (rooms are shown by their partner).
        partner: Option<User>,
    },
    /// A user's sessions ended: one of them (a logout), or all (deletion).
    SessionsRevoked {
        /// The user.
        user: UserId,
        /// The session, `None` for every session of the user.
        session: Option<i64>,
    },
}

/// How a user's own view of a room changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomStateChange {
    /// Muted until the time (Unix ms), or for good when `None`.
    Muted {
        /// When the mute ends.
        until: Option<i64>,
    },
    /// No longer muted.
    Unmuted,
    /// Pinned to the top of the user's list.
    Pinned,
    /// No longer pinned.
    Unpinned,
    /// Marked unread by hand.
    MarkedUnread,
    /// The mark was taken away (by hand, or by reading the room).
    MarkedRead,
}

impl RoomStateChange {
    /// The change's stored name.
    pub fn name(self) -> &'static str {
        match self {
            RoomStateChange::Muted { .. } => "room.muted",
            RoomStateChange::Unmuted => "room.unmuted",
            RoomStateChange::Pinned => "room.pinned",
            RoomStateChange::Unpinned => "room.unpinned",
            RoomStateChange::MarkedUnread => "room.marked_unread",
            RoomStateChange::MarkedRead => "room.marked_read",
        }
    }
}

/// One committed change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Position in the log.
    pub id: ChangeId,
    /// The app it belongs to.
    pub app: AppId,
    /// When it was committed, Unix ms.
    pub at: i64,
    /// The user who made it; `None` for the app's backend or Palaver itself.
    pub actor: Option<UserId>,
    /// What it did.
    pub kind: ChangeKind,
}

/// The facts a stored change row keeps besides its ids: what is not state that can be read
/// back (how a message was posted, where a pointer was before, which contact).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFacts {
    /// For a new message, where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    /// For a receipt, the pointer before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<MessageId>,
    /// For a contact or block change, the other user; for a schedule change in a personal
    /// room, the other user of its pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<UserId>,
    /// For a revoked session, which one (none: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<i64>,
    /// For a change to a user's view of a room, the room (which is not the change's
    /// [`Change::room`]: its participants do not hear of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_of: Option<RoomId>,
    /// For a mute, when it ends (none: for good).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    /// For a new message, whether it was sent at a time its sender scheduled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scheduled: bool,
}

impl Change {
    /// The stored name of the change's kind, e.g. `message.created`: stable, documented,
    /// used by webhooks' event filters.
    pub fn name(&self) -> &'static str {
        match &self.kind {
            ChangeKind::MessageCreated { .. } => "message.created",
            ChangeKind::MessageEdited { .. } => "message.edited",
            ChangeKind::MessageDeleted { .. } => "message.deleted",
            ChangeKind::MessageHidden { .. } => "message.hidden",
            ChangeKind::HistoryCleared { .. } => "history.cleared",
            ChangeKind::Receipt(r) => match r.kind {
                ReceiptKind::Delivered => "message.delivered",
                ReceiptKind::Read => "message.read",
            },
            ChangeKind::Room { change, .. } => match change {
                RoomChange::Created => "room.created",
                RoomChange::Updated => "room.updated",
                RoomChange::Locked => "room.locked",
                RoomChange::Unlocked => "room.unlocked",
                RoomChange::Deleted => "room.deleted",
            },
            ChangeKind::Member { change, .. } => match change {
                MemberChange::Added => "participant.added",
                MemberChange::Removed => "participant.removed",
                MemberChange::Left => "participant.left",
                MemberChange::Promoted => "participant.promoted",
                MemberChange::Demoted => "participant.demoted",
            },
            ChangeKind::User { change, .. } => match change {
                UserChange::Created => "user.created",
                UserChange::Updated => "user.updated",
                UserChange::Deleted => "user.deleted",
                UserChange::Deactivated => "user.deactivated",
                UserChange::Reactivated => "user.reactivated",
            },
            ChangeKind::Contact { added: true, .. } => "contact.added",
            ChangeKind::Contact { added: false, .. } => "contact.removed",
            ChangeKind::Block { blocked: true, .. } => "user.blocked",
            ChangeKind::Block { blocked: false, .. } => "user.unblocked",
            ChangeKind::RoomState { state, .. } => state.name(),
            ChangeKind::ScheduleChanged { .. } => "schedule.changed",
            ChangeKind::SessionsRevoked { .. } => "session.revoked",
        }
    }

    /// The room whose participants the change concerns, if any: they all hear of it.
    pub fn room(&self) -> Option<RoomId> {
        match &self.kind {
            ChangeKind::MessageCreated { item, .. }
            | ChangeKind::MessageEdited { item }
            | ChangeKind::MessageDeleted { item } => Some(item.room.id),
            ChangeKind::Receipt(r) => Some(r.room),
            ChangeKind::Room { room, .. } | ChangeKind::Member { room, .. } => Some(room.id),
            ChangeKind::MessageHidden { .. }
            | ChangeKind::HistoryCleared { .. }
            | ChangeKind::User { .. }
            | ChangeKind::Contact { .. }
            | ChangeKind::Block { .. }
            | ChangeKind::RoomState { .. }
            | ChangeKind::ScheduleChanged { .. }
            | ChangeKind::SessionsRevoked { .. } => None,
        }
    }

    /// The message the change is about (for a receipt, the newest one it covers).
    pub fn message(&self) -> Option<MessageId> {
        match &self.kind {
            ChangeKind::MessageCreated { item, .. }
            | ChangeKind::MessageEdited { item }
            | ChangeKind::MessageDeleted { item }
            | ChangeKind::MessageHidden { item, .. }
            | ChangeKind::HistoryCleared { item, .. } => Some(item.message.id),
            ChangeKind::Receipt(r) => Some(r.upto),
            _ => None,
        }
    }

    /// Users the change concerns besides (or instead of) a room's participants: they hear of
    /// it even when they are not, or no longer, in the room.
    pub fn users(&self) -> Vec<UserId> {
        match &self.kind {
            ChangeKind::MessageHidden { user, .. } | ChangeKind::HistoryCleared { user, .. } => vec![*user],
            ChangeKind::Member { user, .. } | ChangeKind::User { user, .. } => vec![user.id],
            ChangeKind::Contact { owner, .. } => vec![*owner],
            ChangeKind::Block { blocker, .. } => vec![*blocker],
            ChangeKind::ScheduleChanged { user, .. } => vec![*user],
            ChangeKind::SessionsRevoked { user, .. } | ChangeKind::RoomState { user, .. } => vec![*user],
            _ => Vec::new(),
        }
    }

    /// The facts the stored row keeps (see [`ChangeFacts`]).
    pub fn facts(&self) -> ChangeFacts {
        match &self.kind {
            ChangeKind::MessageCreated { via, scheduled, .. } => {
                ChangeFacts { via: Some(*via), scheduled: *scheduled, ..ChangeFacts::default() }
            }
            // The room (once it exists) and, for a personal room, the other user of its pair.
            ChangeKind::ScheduleChanged { user, room, .. } => ChangeFacts {
                view_of: (room.id.0 > 0).then_some(room.id),
                other: room.personal_pair.map(|(a, b)| if a == *user { b } else { a }),
                ..ChangeFacts::default()
            },
            ChangeKind::Receipt(r) => ChangeFacts { from: Some(r.from), ..ChangeFacts::default() },
            ChangeKind::Contact { contact, .. } => ChangeFacts { other: Some(contact.id), ..ChangeFacts::default() },
            ChangeKind::Block { subject, .. } => ChangeFacts { other: Some(subject.id), ..ChangeFacts::default() },
            ChangeKind::SessionsRevoked { session, .. } => ChangeFacts { session: *session, ..ChangeFacts::default() },
            ChangeKind::RoomState { room, state, .. } => ChangeFacts {
                view_of: Some(room.id),
                until: match state {
                    RoomStateChange::Muted { until } => *until,
                    _ => None,
                },
                ..ChangeFacts::default()
            },
            _ => ChangeFacts::default(),
        }
    }
}
