//! Palaver's own webhook payload: every change of the log, in a documented, versioned JSON
//! (version 1, described in the README's "Webhooks" section). Fields are only ever added
//! within a version.

use super::{RenderContext, Rendered, WebhookDialect};
use palaver_domain::{Change, ChangeKind, Message, Room, RoomMessage, RoomStateChange, RoomType, User, Via};
use serde_json::{Value, json};

/// The payload version.
pub const VERSION: u32 = 1;

/// The `palaver` dialect.
pub struct PalaverDialect;

impl WebhookDialect for PalaverDialect {
    fn name(&self) -> &'static str {
        "palaver"
    }

    fn render(&self, change: &Change, ctx: &RenderContext<'_>) -> Option<Rendered> {
        let data = data(&change.kind)?;
        let body = json!({
            "version": VERSION,
            "id": ctx.delivery_id,
            "type": change.name(),
            "change_id": change.id.0,
            "app_id": change.app.0,
            "occurred_at": change.at,
            "actor_id": change.actor.map(|a| a.0),
            "data": data,
        });
        Some(Rendered { event: change.name().to_string(), body: body.to_string() })
    }
}

fn data(kind: &ChangeKind) -> Option<Value> {
    Some(match kind {
        ChangeKind::MessageCreated { item, via, .. } => {
            let mut v = room_message(item);
            v["via"] = json!(match via {
                Via::Client => "client",
                Via::Backend => "backend",
            });
            v
        }
        ChangeKind::MessageEdited { item } | ChangeKind::MessageDeleted { item } => room_message(item),
        ChangeKind::MessageHidden { item, user } | ChangeKind::HistoryCleared { item, user } => {
            let mut v = room_message(item);
            v["for_user_id"] = json!(user.0);
            v
        }
        ChangeKind::Receipt(r) => json!({
            "room_id": r.room.0,
            "reader_id": r.reader.0,
            "reader_external_id": r.reader_external_id,
            "from_message_id": r.from.0,
            "upto_message_id": r.upto.0,
            "message_ids": r.messages.iter().map(|m| m.message.id.0).collect::<Vec<_>>(),
        }),
        ChangeKind::Room { room, .. } => json!({ "room": room_json(room) }),
        ChangeKind::Member { room, user, .. } => json!({ "room": room_json(room), "user": user_json(user) }),
        ChangeKind::User { user, .. } => json!({ "user": user_json(user) }),
        ChangeKind::Contact { owner, contact, .. } => json!({ "owner_id": owner.0, "contact": user_json(contact) }),
        ChangeKind::Block { blocker, subject, .. } => json!({ "blocker_id": blocker.0, "subject": user_json(subject) }),
        ChangeKind::RoomState { user, room, state, .. } => {
            let until = match state {
                RoomStateChange::Muted { until } => json!(until),
                _ => Value::Null,
            };
            json!({ "user_id": user.0, "room": room_json(room), "muted_until": until })
        }
        // A user's scheduled messages are its own drafts until they are sent (as messages).
        ChangeKind::ScheduleChanged { .. } => return None,
        // Sessions are a security matter of the server's, not an integration's.
        ChangeKind::SessionsRevoked { .. } => return None,
    })
}

fn room_message(item: &RoomMessage) -> Value {
    json!({
        "message": message_json(&item.message),
        "room": room_json(&item.room),
        "sender": user_json(&item.sender),
    })
}

/// JSON text kept as text in the store, as JSON (null when empty or not JSON).
fn embedded(text: &str) -> Value {
    if text.is_empty() { Value::Null } else { serde_json::from_str(text).unwrap_or(Value::Null) }
}

fn message_json(m: &Message) -> Value {
    json!({
        "id": m.id.0,
        "local_id": m.local_id,
        "room_id": m.room.0,
        "sender_id": m.sender.0,
        "type_code": m.type_code,
        "type_name": m.type_name,
        "body": m.body,
        "data": embedded(&m.data),
        "extras": embedded(&m.extras),
        "filter_id": m.filter_id,
        "quote": embedded(&m.quote),
        "reply_to": embedded(&m.reply_to),
        "forward_from": embedded(&m.forward_from),
        "system": m.system.as_ref().map(|s| serde_json::to_value(s).unwrap_or(Value::Null)),
        "is_hidden": m.is_hidden,
        "is_edited": m.is_edited,
        "is_deleted": m.is_deleted(),
        "created": m.created,
        "updated": m.updated,
        "deleted": m.deleted,
    })
}

fn room_json(r: &Room) -> Value {
    json!({
        "id": r.id.0,
        "external_id": r.external_id,
        "type": match r.kind {
            RoomType::Personal => "personal",
            RoomType::Group => "group",
            RoomType::Channel => "channel",
            RoomType::Transaction => "transaction",
        },
        "name": r.name,
        "photo_thumb": r.photo_thumb,
        "photo_full": r.photo_full,
        "options": embedded(&r.options),
        "tags": r.tags,
        "is_locked": r.is_locked,
        "created": r.created,
        "updated": r.updated,
        "deleted": r.deleted,
    })
}

fn user_json(u: &User) -> Value {
    json!({
        "id": u.id.0,
        "external_id": u.external_id,
        "fullname": u.fullname,
        "username": u.username,
        "email": u.email,
        "phone": u.phone,
        "photo_thumb": u.photo_thumb,
        "photo_full": u.photo_full,
        "role_code": u.role_code,
        "extras": embedded(&u.extras),
        "is_active": u.is_active,
        "created": u.created,
        "updated": u.updated,
        "deleted": u.deleted,
    })
}
