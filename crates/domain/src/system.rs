//! System messages as domain values: who did what to whom in a room. Each face renders its
//! own text and payload from them, so a system message posted through one face reads right in
//! every other.

use crate::user::UserBrief;
use serde::{Deserialize, Serialize};

/// What a system message reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SystemAction {
    /// The room was created.
    RoomCreated,
    /// The room was renamed.
    RoomRenamed,
    /// The room's picture changed.
    RoomAvatarChanged,
    /// The room was deleted.
    RoomDeleted,
    /// Users were added.
    MemberAdded,
    /// Users were removed.
    MemberRemoved,
    /// A user joined by themselves.
    MemberJoined,
    /// A user left.
    MemberLeft,
    /// Users became admins.
    AdminPromoted,
    /// Users stopped being admins.
    AdminDemoted,
    /// A message was pinned in the room; the payload is the message as the poster's face
    /// renders it.
    MessagePinned,
    /// A pinned message was unpinned; the payload as for [`Self::MessagePinned`].
    MessageUnpinned,
    /// Anything else; the text and payload say what.
    Custom,
}

impl SystemAction {
    /// Every action, for lookups.
    pub const ALL: [SystemAction; 13] = [
        Self::RoomCreated,
        Self::RoomRenamed,
        Self::RoomAvatarChanged,
        Self::RoomDeleted,
        Self::MemberAdded,
        Self::MemberRemoved,
        Self::MemberJoined,
        Self::MemberLeft,
        Self::AdminPromoted,
        Self::AdminDemoted,
        Self::MessagePinned,
        Self::MessageUnpinned,
        Self::Custom,
    ];

    /// The code the store keeps.
    pub fn code(self) -> &'static str {
        match self {
            Self::RoomCreated => "room.created",
            Self::RoomRenamed => "room.renamed",
            Self::RoomAvatarChanged => "room.avatar_changed",
            Self::RoomDeleted => "room.deleted",
            Self::MemberAdded => "member.added",
            Self::MemberRemoved => "member.removed",
            Self::MemberJoined => "member.joined",
            Self::MemberLeft => "member.left",
            Self::AdminPromoted => "admin.promoted",
            Self::AdminDemoted => "admin.demoted",
            Self::MessagePinned => "message.pinned",
            Self::MessageUnpinned => "message.unpinned",
            Self::Custom => "custom",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// The facts of a system message. Its message's `body` holds a text the poster gave (empty
/// when each face should word it) and its `data` the poster's own payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemEvent {
    /// What happened.
    pub action: SystemAction,
    /// Who did it: usually the sender, but an app's system user may post on someone's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<UserBrief>,
    /// Whom it was done to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<UserBrief>,
    /// The room's name as the message mentions it (the new name of a renamed room).
    #[serde(default)]
    pub room_name: String,
}

impl SystemEvent {
    /// The details the store keeps next to the action code, as JSON text.
    pub fn details_json(&self) -> String {
        #[derive(Serialize)]
        struct Details<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            actor: &'a Option<UserBrief>,
            #[serde(skip_serializing_if = "<[UserBrief]>::is_empty")]
            targets: &'a [UserBrief],
            room_name: &'a str,
        }
        let d = Details { actor: &self.actor, targets: &self.targets, room_name: &self.room_name };
        serde_json::to_string(&d).unwrap_or_else(|_| "{}".into())
    }

    /// Rebuilds an event from a stored action code and details; `None` if the code is unknown.
    pub fn from_stored(code: &str, details: &str) -> Option<Self> {
        #[derive(Deserialize, Default)]
        struct Details {
            #[serde(default)]
            actor: Option<UserBrief>,
            #[serde(default)]
            targets: Vec<UserBrief>,
            #[serde(default)]
            room_name: String,
        }
        let action = SystemAction::from_code(code)?;
        let d: Details = serde_json::from_str(details).unwrap_or_default();
        Some(Self { action, actor: d.actor, targets: d.targets, room_name: d.room_name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    #[test]
    fn stored_form_reads_back() {
        let e = SystemEvent {
            action: SystemAction::MemberAdded,
            actor: Some(UserBrief { id: UserId(1), external_id: "ann".into(), name: "Ann".into() }),
            targets: vec![UserBrief { id: UserId(2), external_id: "bob".into(), name: "Bob".into() }],
            room_name: "Team".into(),
        };
        assert_eq!(SystemEvent::from_stored(e.action.code(), &e.details_json()), Some(e));
        assert_eq!(SystemEvent::from_stored("nope", "{}"), None);
        for a in SystemAction::ALL {
            assert_eq!(SystemAction::from_code(a.code()), Some(a));
        }
    }
}
