//! Groups and channels as a user manages them: `create_room`, `update_room`,
//! `add_room_participants`, `remove_room_participants`, `room_participants`,
//! `get_or_create_room_with_unique_id`. Managing a group is for its admins (the creator is
//! the first); the core announces each change in the room with a system event.

use super::UserCall;
use super::rooms::room_with_comments;
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::{Params, required};
use crate::validate::{self, Paging};
use crate::wire::client::participant;
use axum::extract::State;
use palaver_core::{Actor, EnsureRoom, KindRule, NewRoom, RoomPatch};
use palaver_domain::limits::MAX_NAME_CHARS;
use palaver_domain::{RoomRef, RoomType};
use serde_json::{Value, json};

/// A room name parameter, checked.
fn name(p: &Params, names: &[&str]) -> Result<Option<String>, ApiError> {
    for n in names {
        if let Some(v) = p.opt_nonempty(n)? {
            validate::max_chars(&v, n, MAX_NAME_CHARS)?;
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// `create_room`: a group of the caller (its admin) and `participants`.
pub async fn create_room(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let name = name(p, &["name", "room_name"])?.ok_or_else(|| required("name"))?;
    let avatar = p.opt_str("avatar_url")?.unwrap_or_default();
    let new = NewRoom {
        kind: RoomType::Group,
        name,
        photo_thumb: avatar.clone(),
        photo_full: avatar,
        options: p.opt_object_text("options")?.unwrap_or_else(|| "{}".into()),
        members: validate::user_refs(p, "participants")?,
        admin: None,
    };
    let room = q.core.create_room(call.app, Actor::User(call.user.id), new).await?;
    room_with_comments(&q, &call, room).await
}

/// `update_room`: a group's name, avatar or options (`id`; `room_name` or `name`).
pub async fn update_room(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let room = validate::room_ref(p, "id")?;
    let avatar = p.opt_str("avatar_url")?;
    let patch = RoomPatch {
        name: name(p, &["room_name", "name"])?,
        photo_thumb: avatar.clone(),
        photo_full: avatar,
        options: p.opt_object_text("options")?,
        ..RoomPatch::default()
    };
    let (room, changed) = q.core.update_room(call.app, Actor::User(call.user.id), room, patch).await?;
    let Reply(mut answer) = room_with_comments(&q, &call, room).await?;
    answer["changed"] = json!(changed);
    Ok(Reply(answer))
}

/// `add_room_participants`: adds `emails` to a group; answers those newly added.
pub async fn add_room_participants(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let room = validate::room_ref(p, "room_id")?;
    let users = validate::user_refs(p, "emails")?;
    let change = q.core.add_members(call.app, Actor::User(call.user.id), room, users).await?;
    let added: Vec<Value> = change.changed.iter().map(participant).collect();
    Ok(Reply(json!({ "participants_added": added })))
}

/// `remove_room_participants`: removes `emails` from a group; answers the user ids of those
/// who were in (strings, as the client API has it).
pub async fn remove_room_participants(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let room = validate::room_ref(p, "room_id")?;
    let users = validate::user_refs(p, "emails")?;
    let change = q.core.remove_members(call.app, Actor::User(call.user.id), room, users).await?;
    let removed: Vec<&str> = change.changed.iter().map(|u| u.external_id.as_str()).collect();
    Ok(Reply(json!({ "participants_removed": removed })))
}

/// `room_participants`: a page of a room's participants (`room_unique_id`, or `room_id`),
/// by `page` or by `offset`.
pub async fn room_participants(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let room = match p.raw("room_unique_id") {
        Some(_) => RoomRef::External(validate::unique_id(p.req_str("room_unique_id")?, "room_unique_id")?),
        None => validate::room_ref(p, "room_id")?,
    };
    let paging = Paging::read(p, 20, 100)?;
    let offset = match p.opt_int("offset")? {
        Some(o) if o < 0 => return Err(ApiError::bad_request("Param 'offset' must not be negative")),
        Some(o) => o,
        None => paging.offset(),
    };
    // Only a participant sees who else is in.
    let details = q.core.member_room(call.app, call.user.id, room).await?;
    let (page, total) = q.core.participants(call.app, RoomRef::Id(details.room.id), offset, paging.limit).await?;
    let participants: Vec<Value> = page.iter().map(|p| participant(&p.user)).collect();
    Ok(Reply(json!({
        "meta": {"current_page": paging.page, "current_offset": offset, "per_page": paging.limit, "total": total},
        "participants": participants,
    })))
}

/// `get_or_create_room_with_unique_id`: the channel with this unique id, created with the
/// given name, avatar and options if there is none; the caller joins it. A unique id of a
/// room that is not a channel is refused unless the caller is in it already.
pub async fn get_or_create_room_with_unique_id(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let unique_id = validate::unique_id(p.req_str("unique_id")?, "unique_id")?;
    let existing = q.core.room(call.app, RoomRef::External(unique_id.clone())).await.ok();
    if let Some(d) = existing.as_ref().filter(|d| d.room.kind != RoomType::Channel) {
        let d = q.core.member_room(call.app, call.user.id, RoomRef::Id(d.room.id)).await?;
        let Reply(mut answer) = room_with_comments(&q, &call, d).await?;
        answer["changed"] = json!(false);
        return Ok(Reply(answer));
    }
    let patch = match existing {
        Some(_) => RoomPatch::default(),
        None => {
            let avatar = p.opt_str("avatar_url")?;
            RoomPatch {
                name: name(p, &["name", "room_name"])?,
                photo_thumb: avatar.clone(),
                photo_full: avatar,
                options: p.opt_object_text("options")?,
                ..RoomPatch::default()
            }
        }
    };
    let ensure = EnsureRoom {
        external_id: unique_id,
        kind: KindRule::Exactly(RoomType::Channel),
        patch,
        members: vec![palaver_domain::UserRef::Id(call.user.id)],
        members_on_create_only: false,
    };
    let ensured = q.core.ensure_room(call.app, ensure).await?;
    let Reply(mut answer) = room_with_comments(&q, &call, ensured.room).await?;
    answer["changed"] = json!(ensured.changed);
    Ok(Reply(answer))
}
