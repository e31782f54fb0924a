//! Rooms: `create_room`, `update_room`, `get_or_create_room_with_target`,
//! `get_or_create_channel`, `get_rooms_info` (seed 002).

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::validate;
use crate::wire::room::RoomDto;
use axum::extract::State;
use palaver_core::{Actor, EnsureRoom, KindRule, NewRoom, RoomPatch};
use palaver_domain::RoomType;
use serde_json::{Value, json};

/// Longest room name.
const MAX_ROOM_NAME_CHARS: usize = 255;

fn room_name(p: &Params) -> Result<Option<String>, ApiError> {
    let name = p.opt_nonempty("room_name")?;
    if let Some(n) = &name {
        validate::max_chars(n, "room_name", MAX_ROOM_NAME_CHARS)?;
    }
    Ok(name)
}

/// The avatar URL, stored as both photo sizes.
fn avatar(p: &Params) -> Result<(Option<String>, Option<String>), ApiError> {
    let url = p.opt_str("room_avatar_url")?;
    Ok((url.clone(), url))
}

/// `create_room`: a group of the listed participants (the creator is not added by itself;
/// a creator among the participants becomes the room's admin).
pub async fn create_room(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let name = room_name(&p)?.ok_or_else(|| crate::params::required("room_name"))?;
    let members = validate::user_refs(&p, "participants")?;
    let creator = validate::user_ref(&p, "creator")?;
    let avatar = p.opt_str("room_avatar_url")?.unwrap_or_default();
    let new = NewRoom {
        kind: RoomType::Group,
        name,
        photo_thumb: avatar.clone(),
        photo_full: avatar,
        options: p.opt_object_text("room_options")?.unwrap_or_else(|| "{}".into()),
        members,
        admin: Some(creator),
    };
    let room = q.core.create_room(auth.app, Actor::Backend, new).await?;
    Ok(Reply(json!({"room": RoomDto::new(&room.room)})))
}

/// `update_room`: changes a group room's name, avatar, options or unique id; absent or
/// empty fields stay as they are (an empty `room_avatar_url` removes the avatar).
pub async fn update_room(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room = validate::room_ref(&p, "room_id")?;
    let external_id = match p.opt_nonempty("room_channel_id")? {
        Some(id) => Some(validate::unique_id(id, "room_channel_id")?),
        None => None,
    };
    let (photo_thumb, photo_full) = avatar(&p)?;
    let patch = RoomPatch {
        name: room_name(&p)?,
        photo_thumb,
        photo_full,
        options: p.opt_object_text("room_options")?,
        external_id,
        ..RoomPatch::default()
    };
    let (room, changed) = q.core.update_room(auth.app, Actor::Backend, room, patch).await?;
    Ok(Reply(json!({"changed": changed, "room": RoomDto::new(&room.room)})))
}

/// `get_or_create_room_with_target`: the single room of exactly two users, the same room
/// every time.
pub async fn get_or_create_room_with_target(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let ids = validate::user_refs(&p, "user_ids")?;
    let [a, b]: [_; 2] =
        ids.try_into().map_err(|_| ApiError::bad_request("Param 'user_ids' must contain exactly 2 user ids"))?;
    if a == b {
        return Err(ApiError::bad_request("Param 'user_ids' must name two different users"));
    }
    let options = p.opt_object_text("room_options")?;
    let room = q.core.personal_room(auth.app, a, b, options).await?;
    Ok(Reply(json!({"room": RoomDto::new(&room)})))
}

/// `get_or_create_channel`: the channel with this unique id, created on first use; the
/// listed participants are added. `changed` tells whether the room or its membership changed.
pub async fn get_or_create_channel(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let external_id = validate::unique_id(p.req_str("unique_id")?, "unique_id")?;
    let (photo_thumb, photo_full) = avatar(&p)?;
    let ensure = EnsureRoom {
        external_id,
        kind: KindRule::AnyGroup(RoomType::Channel),
        patch: RoomPatch {
            name: room_name(&p)?,
            photo_thumb,
            photo_full,
            options: p.opt_object_text("room_options")?,
            ..RoomPatch::default()
        },
        members: validate::user_refs(&p, "participants")?,
        members_on_create_only: false,
    };
    let ensured = q.core.ensure_room(auth.app, ensure).await?;
    Ok(Reply(json!({"changed": ensured.changed, "room": RoomDto::new(&ensured.room.room)})))
}

/// `get_rooms_info`: rooms by id and by unique id; unknown ones are left out.
pub async fn get_rooms_info(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let rooms = q.core.rooms(auth.app, validate::rooms_named(&p)?).await?;
    let rooms: Vec<RoomDto> = rooms.iter().map(RoomDto::new).collect();
    Ok(Reply(json!({ "rooms": rooms })))
}
