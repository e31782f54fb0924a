//! System events the Qiscus way: a `system_event` comment whose payload names the type,
//! subject and objects, and whose text Qiscus generates when the poster gave none.

use palaver_domain::{Message, SystemAction, SystemEvent};
use serde_json::{Value, json};

/// The system event types Qiscus knows; `custom` carries the caller's own text and payload.
pub const TYPES: &[&str] = &[
    "create_room",
    "add_member",
    "join_room",
    "remove_member",
    "left_room",
    "change_room_name",
    "change_room_avatar",
    "custom",
];

/// The action a Qiscus system event type reports.
pub fn action_of(kind: &str) -> Option<SystemAction> {
    Some(match kind {
        "create_room" => SystemAction::RoomCreated,
        "add_member" => SystemAction::MemberAdded,
        "join_room" => SystemAction::MemberJoined,
        "remove_member" => SystemAction::MemberRemoved,
        "left_room" => SystemAction::MemberLeft,
        "change_room_name" => SystemAction::RoomRenamed,
        "change_room_avatar" => SystemAction::RoomAvatarChanged,
        "custom" => SystemAction::Custom,
        _ => return None,
    })
}

/// The Qiscus type of an action (actions Qiscus has no type for are `custom`).
fn type_of(action: SystemAction) -> &'static str {
    match action {
        SystemAction::RoomCreated => "create_room",
        SystemAction::MemberAdded => "add_member",
        SystemAction::MemberJoined => "join_room",
        SystemAction::MemberRemoved => "remove_member",
        SystemAction::MemberLeft => "left_room",
        SystemAction::RoomRenamed => "change_room_name",
        SystemAction::RoomAvatarChanged => "change_room_avatar",
        SystemAction::RoomDeleted
        | SystemAction::AdminPromoted
        | SystemAction::AdminDemoted
        | SystemAction::MessagePinned
        | SystemAction::MessageUnpinned
        | SystemAction::Custom => "custom",
    }
}

/// The text of a system event: the poster's, else the one Qiscus generates.
pub fn text(m: &Message, e: &SystemEvent) -> String {
    if !m.body.is_empty() {
        return m.body.clone();
    }
    let subject = e.actor.as_ref().map_or("", |a| a.name.as_str());
    let names = e.targets.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ");
    let room = &e.room_name;
    match e.action {
        SystemAction::RoomCreated => format!("{subject} created room '{room}'"),
        SystemAction::MemberAdded => format!("{subject} added {names}"),
        SystemAction::MemberJoined => format!("{subject} joined room"),
        SystemAction::MemberRemoved => format!("{subject} removed {names}"),
        SystemAction::MemberLeft => format!("{subject} left room"),
        SystemAction::RoomRenamed => format!("{subject} changed room name to '{room}'"),
        SystemAction::RoomAvatarChanged => format!("{subject} changed room avatar"),
        SystemAction::RoomDeleted => format!("{subject} deleted room '{room}'"),
        SystemAction::AdminPromoted => format!("{subject} made {names} admin"),
        SystemAction::AdminDemoted => format!("{subject} removed {names} as admin"),
        SystemAction::MessagePinned => format!("{subject} pinned a message"),
        SystemAction::MessageUnpinned => format!("{subject} unpinned a message"),
        SystemAction::Custom => String::new(),
    }
}

/// The payload of a system event comment.
pub fn payload(e: &SystemEvent, poster_payload: Value) -> Value {
    let (subject_email, subject_username) =
        e.actor.as_ref().map(|a| (a.external_id.clone(), a.name.clone())).unwrap_or_default();
    let first = e.targets.first();
    json!({
        "type": type_of(e.action),
        "subject_email": subject_email,
        "subject_username": subject_username,
        "object_email": first.map(|u| u.external_id.clone()).unwrap_or_default(),
        "object_username": first.map(|u| u.name.clone()).unwrap_or_default(),
        "object_email_list": e.targets.iter().map(|u| u.external_id.clone()).collect::<Vec<_>>(),
        "object_username_list": e.targets.iter().map(|u| u.name.clone()).collect::<Vec<_>>(),
        "room_name": e.room_name,
        "payload": poster_payload,
    })
}
