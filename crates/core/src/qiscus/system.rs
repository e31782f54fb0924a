//! Qiscus system events: messages of type `system_event`, sent by the app's system user.

use super::messages::{QiscusComment, post};
use super::{room_by_qiscus_id, users_by_qiscus_ids};
use crate::Core;
use crate::messages::Draft;
use crate::secrets;
use crate::users::live_user_by_xc;
use palaver_domain::{AppId, Error, MessageKind, User, UserProfile, time::now_ms};
use palaver_store::Conn;
use palaver_store::repo::users;
use serde_json::{Map, Value, json};

/// The system event types Qiscus knows; `custom` carries the caller's own text and payload.
pub const SYSTEM_EVENT_TYPES: &[&str] = &[
    "create_room",
    "add_member",
    "join_room",
    "remove_member",
    "left_room",
    "change_room_name",
    "change_room_avatar",
    "custom",
];

/// A system event to post.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemEventDraft {
    /// One of [`SYSTEM_EVENT_TYPES`].
    pub event_type: String,
    /// Qiscus room id or unique id.
    pub room_id: String,
    /// User id of the actor; required by every type but `custom`.
    pub subject: Option<String>,
    /// User ids acted upon (`add_member`, `remove_member`).
    pub objects: Vec<String>,
    /// Text; required for `custom`, generated for the other types when absent.
    pub message: Option<String>,
    /// The caller's payload object.
    pub payload: Map<String, Value>,
    /// Extras as JSON object text, empty when none.
    pub extras: String,
    /// Room name the text and payload mention; the room's own name when absent.
    pub room_name: Option<String>,
    /// Client id of the comment; generated when absent.
    pub unique_temp_id: Option<String>,
}

/// The user id of an app's system user, the sender of its system events. It is hidden from
/// the user list and cannot be registered through `login_or_register`.
pub fn system_user_id(qiscus_app_id: &str) -> String {
    format!("system@{qiscus_app_id}")
}

/// The app's system user, created on first use.
fn system_user(conn: &mut dyn Conn, app: AppId, qiscus_app_id: &str) -> Result<User, Error> {
    let xc = system_user_id(qiscus_app_id);
    if let Some(user) = users::by_xc(conn, app, &xc)?.filter(|u| !u.is_deleted()) {
        return Ok(user);
    }
    let profile = UserProfile { fullname: Some("System".into()), ..UserProfile::default() };
    Ok(users::upsert(conn, app, &xc, &profile, now_ms())?.0)
}

/// The text Qiscus generates for a system event.
fn generated_text(kind: &str, subject: &str, objects: &[User], room_name: &str) -> String {
    let names = objects.iter().map(|u| u.fullname.as_str()).collect::<Vec<_>>().join(", ");
    match kind {
        "create_room" => format!("{subject} created room '{room_name}'"),
        "add_member" => format!("{subject} added {names}"),
        "join_room" => format!("{subject} joined room"),
        "remove_member" => format!("{subject} removed {names}"),
        "left_room" => format!("{subject} left room"),
        "change_room_name" => format!("{subject} changed room name to '{room_name}'"),
        "change_room_avatar" => format!("{subject} changed room avatar"),
        _ => String::new(),
    }
}

/// Checks what each type needs before anything is looked up.
fn check(e: &SystemEventDraft) -> Result<(), Error> {
    if !SYSTEM_EVENT_TYPES.contains(&e.event_type.as_str()) {
        return Err(Error::invalid(
            "system_event_type",
            format!("Param 'system_event_type' must be one of {}", SYSTEM_EVENT_TYPES.join(", ")),
        ));
    }
    let custom = e.event_type == "custom";
    if custom && e.message.is_none() {
        return Err(Error::invalid("message", "Param 'message' is required for custom system events"));
    }
    if !custom && e.subject.is_none() {
        return Err(Error::invalid(
            "subject_user_id",
            "Param 'subject_user_id' is required for this system event type",
        ));
    }
    if matches!(e.event_type.as_str(), "add_member" | "remove_member") && e.objects.is_empty() {
        return Err(Error::invalid("object_user_id", "Param 'object_user_id' is required for this system event type"));
    }
    Ok(())
}

impl Core {
    /// Posts a system event into a room; the sender is the app's system user, which is not a
    /// participant. `qiscus_app_id` names the app's system user.
    pub async fn qiscus_post_system_event(
        &self,
        app: AppId,
        qiscus_app_id: &str,
        e: SystemEventDraft,
    ) -> Result<QiscusComment, Error> {
        check(&e)?;
        let app_code = qiscus_app_id.to_string();
        self.store()
            .write(move |tx| {
                let conn = tx.conn();
                let room = room_by_qiscus_id(conn, app, &e.room_id)?;
                let subject = match &e.subject {
                    Some(xc) => Some(live_user_by_xc(conn, app, xc)?),
                    None => None,
                };
                let objects = users_by_qiscus_ids(conn, app, &e.objects)?;
                let sender = system_user(conn, app, &app_code)?;
                let room_name = e.room_name.clone().unwrap_or_else(|| room.name.clone());
                let (subject_id, subject_name) =
                    subject.as_ref().map(|u| (u.xc_user_id.clone(), u.fullname.clone())).unwrap_or_default();
                let text = e
                    .message
                    .clone()
                    .unwrap_or_else(|| generated_text(&e.event_type, &subject_name, &objects, &room_name));
                let first = objects.first();
                let payload = json!({
                    "type": e.event_type,
                    "subject_email": subject_id,
                    "subject_username": subject_name,
                    "object_email": first.map(|u| u.xc_user_id.clone()).unwrap_or_default(),
                    "object_username": first.map(|u| u.fullname.clone()).unwrap_or_default(),
                    "object_email_list": objects.iter().map(|u| u.xc_user_id.clone()).collect::<Vec<_>>(),
                    "object_username_list": objects.iter().map(|u| u.fullname.clone()).collect::<Vec<_>>(),
                    "room_name": room_name,
                    "payload": e.payload,
                });
                let draft = Draft {
                    local_id: e.unique_temp_id.clone().unwrap_or_else(secrets::random_local_id),
                    kind: MessageKind::SYSTEM,
                    qtype: "system_event".into(),
                    body: text,
                    data: payload.to_string(),
                    extras: e.extras.clone(),
                    action: format!("qiscus/{}", e.event_type),
                    ..Draft::default()
                };
                post(tx, &room, &sender, draft)
            })
            .await
    }
}
