//! System messages the TapTalk way (notes section 8.3): type 9001, an `action`, a `body`
//! template with `{{sender}}` and `{{target}}` that clients fill in, and a `target` object.

use palaver_domain::{Message, SystemAction, SystemEvent, User};
use serde_json::json;

/// The TapTalk action of a system event.
pub fn action(e: &SystemEvent) -> &'static str {
    match e.action {
        SystemAction::RoomCreated => "room/create",
        SystemAction::RoomRenamed | SystemAction::RoomAvatarChanged => "room/update",
        SystemAction::RoomDeleted => "room/delete",
        SystemAction::MemberAdded => "room/addParticipant",
        SystemAction::MemberRemoved => "room/removeParticipant",
        SystemAction::MemberJoined => "room/join",
        SystemAction::MemberLeft => "room/leave",
        SystemAction::AdminPromoted => "room/promoteAdmin",
        SystemAction::AdminDemoted => "room/demoteAdmin",
        SystemAction::MessagePinned => "message/pin",
        SystemAction::MessageUnpinned => "message/unpin",
        SystemAction::Custom => "custom",
    }
}

/// The body template of a system event.
fn template(action: SystemAction) -> &'static str {
    match action {
        SystemAction::RoomCreated => "{{sender}} created this group",
        SystemAction::RoomRenamed => "{{sender}} changed the group name",
        SystemAction::RoomAvatarChanged => "{{sender}} changed the group photo",
        SystemAction::RoomDeleted => "{{sender}} deleted this group",
        SystemAction::MemberAdded => "{{sender}} added {{target}}",
        SystemAction::MemberRemoved => "{{sender}} removed {{target}}",
        SystemAction::MemberJoined => "{{sender}} joined the group",
        SystemAction::MemberLeft => "{{sender}} left the group",
        SystemAction::AdminPromoted => "{{sender}} made {{target}} an admin",
        SystemAction::AdminDemoted => "{{sender}} removed {{target}} as an admin",
        SystemAction::MessagePinned => "{{sender}} pinned a message",
        SystemAction::MessageUnpinned => "{{sender}} unpinned a message",
        SystemAction::Custom => "",
    }
}

/// The body of a system message: the text its poster gave, else the template. When someone
/// other than the sender did it (an app's system user posting on a user's behalf), that
/// user's name stands in for `{{sender}}`, which clients would fill with the sender's.
pub fn body(m: &Message, e: &SystemEvent, sender: &User) -> String {
    if !m.body.is_empty() {
        return m.body.clone();
    }
    let text = template(e.action);
    match &e.actor {
        Some(actor) if actor.id != sender.id => text.replace("{{sender}}", &actor.name),
        _ => text.to_string(),
    }
}

/// The `target` object of a system event, as JSON text (empty when it names no one).
pub fn target(e: &SystemEvent) -> String {
    match e.targets.first() {
        Some(t) => json!({"targetType": "user", "targetID": t.id.0.to_string(), "targetXCID": t.external_id,
                          "targetName": t.name})
        .to_string(),
        None => String::new(),
    }
}
