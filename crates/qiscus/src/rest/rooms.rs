//! Rooms: `create_room`, `update_room`, `get_or_create_room_with_target`,
//! `get_or_create_channel`, `get_rooms_info` (seed 002).

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::validate;
use crate::wire::room::RoomDto;
use axum::extract::State;
use palaver_core::qiscus::{ChannelSpec, GroupSpec, RoomPatch};
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

/// `create_room`: a group of the listed participants (the creator is not added by itself;
/// a creator among the participants becomes the room's admin).
pub async fn create_room(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let name = room_name(&p)?.ok_or_else(|| crate::params::required("room_name"))?;
    let participants = validate::user_refs(&p, "participants")?;
    let creator = validate::user_ref(&p, "creator")?;
    let spec = GroupSpec {
        name,
        avatar_url: p.opt_str("room_avatar_url")?.unwrap_or_default(),
        options: p.opt_object_text("room_options")?.unwrap_or_else(|| "{}".into()),
        creator,
        participants,
    };
    let room = q.core.qiscus_create_room(auth.app, spec).await?;
    Ok(Reply(json!({"room": RoomDto::new(&room)})))
}

/// `update_room`: changes a group room's name, avatar, options or unique id; absent or
/// empty fields stay as they are (an empty `room_avatar_url` removes the avatar).
pub async fn update_room(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room_id = validate::room_ref(&p, "room_id")?;
    let channel_id = p.opt_nonempty("room_channel_id")?;
    if let Some(id) = &channel_id {
        validate::unique_id(id, "room_channel_id")?;
    }
    let patch = RoomPatch {
        name: room_name(&p)?,
        avatar_url: p.opt_str("room_avatar_url")?,
        options: p.opt_object_text("room_options")?,
        channel_id,
    };
    let (room, changed) = q.core.qiscus_update_room(auth.app, room_id, patch).await?;
    Ok(Reply(json!({"changed": changed, "room": RoomDto::new(&room)})))
}

/// `get_or_create_room_with_target`: the single room of exactly two users, the same room
/// every time.
pub async fn get_or_create_room_with_target(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let ids = validate::user_refs(&p, "user_ids")?;
    let [a, b]: [String; 2] =
        ids.try_into().map_err(|_| ApiError::bad_request("Param 'user_ids' must contain exactly 2 user ids"))?;
    let options = p.opt_object_text("room_options")?;
    let room = q.core.qiscus_room_with_target(auth.app, [a, b], options).await?;
    Ok(Reply(json!({"room": RoomDto::new(&room)})))
}

/// `get_or_create_channel`: the channel with this unique id, created on first use; the
/// listed participants are added. `changed` tells whether the room or its membership changed.
pub async fn get_or_create_channel(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let unique_id = p.req_str("unique_id")?;
    validate::unique_id(&unique_id, "unique_id")?;
    let spec = ChannelSpec {
        unique_id,
        participants: validate::user_refs(&p, "participants")?,
        name: room_name(&p)?,
        avatar_url: p.opt_str("room_avatar_url")?,
        options: p.opt_object_text("room_options")?,
    };
    let (room, changed) = q.core.qiscus_channel(auth.app, spec).await?;
    Ok(Reply(json!({"changed": changed, "room": RoomDto::new(&room)})))
}

/// `get_rooms_info`: rooms by id and by unique id; unknown ones are left out.
pub async fn get_rooms_info(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room_ids = validate::room_refs(&p, "room_ids")?;
    let channel_ids = validate::room_refs(&p, "room_channel_ids")?;
    if room_ids.is_empty() && channel_ids.is_empty() {
        return Err(ApiError::bad_request("Param 'room_ids' or 'room_channel_ids' is required"));
    }
    let rooms = q.core.qiscus_rooms_info(auth.app, room_ids, channel_ids).await?;
    let rooms: Vec<RoomDto> = rooms.iter().map(RoomDto::new).collect();
    Ok(Reply(json!({ "rooms": rooms })))
}
