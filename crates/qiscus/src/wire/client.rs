//! The client API's shapes (`/api/v2/sdk/`, `/api/v2/mobile/`, MQTT): the account, the flat
//! comment and the room as the SDKs read them (notes section 6, and the 2.16.9 notes for what
//! the web SDK dereferences). Ids are JSON integers with `_str` twins.

use super::comment::{comment_payload, comment_text};
use super::object_or_empty;
use super::room::room_type_name;
use palaver_domain::{Room, RoomMessage, RoomType, User};
use serde_json::{Value, json};

/// The logged-in user as `login_or_register`, `verify_identity_token` and `my_profile` show
/// it, with the cursors a device starts syncing from (the newest comment and change ids).
/// Tokens do not expire (`token_expires_at` null keeps the SDK from refreshing on a timer),
/// so the refresh token is empty.
pub fn account(u: &User, token: &str, cursors: (i64, i64), app_code: &str) -> Value {
    let (last_comment_id, last_event_id) = cursors;
    let mut v = participant(u);
    let extra = json!({
        "avatar": {"avatar": {"url": u.photo_full}},
        "token": token,
        "refresh_token": "",
        "token_expires_at": null,
        "last_comment_id": last_comment_id,
        "last_comment_id_str": last_comment_id.to_string(),
        "last_sync_event_id": last_event_id,
        "pn_android_configured": false,
        "pn_ios_configured": false,
        "rtKey": "",
        "app": {"code": app_code, "id": 0, "id_str": "0", "name": app_code},
    });
    if let (Value::Object(v), Value::Object(extra)) = (&mut v, extra) {
        v.extend(extra);
    }
    v
}

/// A user as participant lists and `block_user` show it.
pub fn participant(u: &User) -> Value {
    json!({
        "id": u.id.0,
        "id_str": u.id.0.to_string(),
        "email": u.external_id,
        "username": u.fullname,
        "avatar_url": u.photo_full,
        "extras": object_or_empty(&u.extras),
        "active": u.is_active,
    })
}

/// The room's name for `viewer`: a single room is named after the other participant.
fn room_name(room: &Room, partner: Option<&User>) -> String {
    match (room.kind, partner) {
        (RoomType::Personal, Some(p)) => p.fullname.clone(),
        _ => room.name.clone(),
    }
}

/// A comment as the client API, `sync` and MQTT `<token>/c` show it. `previous` is the
/// visible comment before it (0 when unknown or none); `viewer` decides the room's name.
pub fn comment(item: &RoomMessage, previous: i64, viewer: palaver_domain::UserId) -> Value {
    let m = &item.message;
    let partner = item.partner_for(viewer);
    let status = if m.status.read {
        "read"
    } else if m.status.delivered {
        "delivered"
    } else {
        "sent"
    };
    let avatar = &item.sender.photo_full;
    json!({
        "id": m.id.0,
        "id_str": m.id.0.to_string(),
        "comment_before_id": previous,
        "comment_before_id_str": previous.to_string(),
        "unique_temp_id": m.local_id,
        "unique_id": m.local_id,
        "message": comment_text(m),
        "type": m.type_name,
        "payload": comment_payload(m),
        "extras": object_or_empty(&m.extras),
        "status": status,
        "is_deleted": m.is_deleted(),
        "disable_link_preview": false,
        "timestamp": super::iso_seconds(m.created),
        "unix_timestamp": m.created.div_euclid(1000),
        "unix_nano_timestamp": m.created.saturating_mul(1_000_000),
        "room_id": m.room.0,
        "room_id_str": m.room.0.to_string(),
        "topic_id": m.room.0,
        "topic_id_str": m.room.0.to_string(),
        "room_name": room_name(&item.room, partner),
        "raw_room_name": item.room.name,
        "room_avatar": item.room.photo_full,
        "room_type": room_type_name(item.room.kind),
        "chat_type": room_type_name(item.room.kind),
        "is_public_channel": item.room.kind == RoomType::Channel,
        "room_options": options(&item.room),
        "email": item.sender.external_id,
        "username": item.sender.fullname,
        "user_avatar_url": avatar,
        "user_avatar": {"avatar": {"url": avatar}},
        "user_id": item.sender.id.0,
        "user_id_str": item.sender.id.0.to_string(),
        "user_extras": object_or_empty(&item.sender.extras),
    })
}

/// A room's options as the JSON text clients expect.
fn options(room: &Room) -> String {
    if room.options.is_empty() { "{}".into() } else { room.options.clone() }
}

/// What a client room object holds besides the room itself.
pub struct RoomView<'a> {
    /// For a single room, the other participant.
    pub partner: Option<&'a User>,
    /// Participants to list, if asked for.
    pub participants: Option<Vec<Value>>,
    /// The newest visible comment, rendered.
    pub last_comment: Option<Value>,
    /// Comments the viewer has not read.
    pub unread: i64,
    /// How many participants it has.
    pub total_participants: i64,
}

/// A room as `user_rooms`, `rooms_info` and the room calls show it.
pub fn room(r: &Room, view: RoomView<'_>) -> Value {
    let avatar = match (r.kind, view.partner) {
        (RoomType::Personal, Some(p)) if r.photo_full.is_empty() => p.photo_full.clone(),
        _ => r.photo_full.clone(),
    };
    let last = view.last_comment.as_ref();
    let last_id = last.and_then(|c| c["id"].as_i64()).unwrap_or(0);
    let mut room = json!({
        "id": r.id.0,
        "id_str": r.id.0.to_string(),
        "room_name": room_name(r, view.partner),
        "raw_room_name": r.name,
        "chat_type": room_type_name(r.kind),
        "room_type": room_type_name(r.kind),
        "is_public_channel": r.kind == RoomType::Channel,
        "unique_id": r.external_id.clone().unwrap_or_default(),
        "avatar_url": avatar,
        "room_avatar": avatar,
        "options": options(r),
        "unread_count": view.unread,
        "is_removed": false,
        "last_comment_id": last_id,
        "last_comment_id_str": last_id.to_string(),
        "last_comment_message": last.map_or(Value::from(""), |c| c["message"].clone()),
        "last_comment_message_created_at": last.map_or(Value::Null, |c| c["timestamp"].clone()),
        "last_topic_id": r.id.0,
        "last_topic_id_str": r.id.0.to_string(),
        "room_total_participants": view.total_participants,
    });
    if let Some(c) = view.last_comment {
        room["last_comment"] = c;
    }
    if let Some(p) = view.participants {
        room["participants"] = Value::Array(p);
    }
    room
}

/// A change as the client API's events show it (`sync_event`, MQTT `<token>/n`): receipts as
/// `read` / `delivered`, deletions for everyone as `delete_message`, and a cleared room as
/// `clear_room`; other changes have no event.
pub fn event(change: &palaver_domain::Change) -> Option<Value> {
    use palaver_domain::{ChangeKind, ReceiptKind};
    let (actor, topic, data) = match &change.kind {
        ChangeKind::Receipt(r) => {
            let topic = if r.kind == ReceiptKind::Read { "read" } else { "delivered" };
            let data = json!({
                "comment_id": r.upto.0,
                "comment_unique_id": r.upto_local_id,
                "email": r.reader_external_id,
                "room_id": r.room.0,
            });
            (json!({"id": r.reader.0, "email": r.reader_external_id, "name": ""}), topic, data)
        }
        ChangeKind::MessageDeleted { item } => {
            let m = &item.message;
            let data = json!({
                "deleted_messages": [{"room_id": m.room.0.to_string(), "message_unique_ids": [m.local_id]}],
                "is_hard_delete": false,
            });
            let s = &item.sender;
            (json!({"id": s.id.0, "email": s.external_id, "name": s.fullname}), "delete_message", data)
        }
        ChangeKind::HistoryCleared { item, user } => {
            let view = RoomView {
                partner: item.partner_for(*user),
                participants: None,
                last_comment: None,
                unread: 0,
                total_participants: 0,
            };
            let data = json!({"deleted_rooms": [room(&item.room, view)]});
            (json!({"id": user.0, "email": "", "name": ""}), "clear_room", data)
        }
        _ => return None,
    };
    Some(json!({
        "id": change.id.0,
        "timestamp": change.at.saturating_mul(1_000_000),
        "action_topic": topic,
        "payload": {"actor": actor, "data": data},
    }))
}
