//! `client/room/*`: groups as their members manage them.

use super::auth::Client;
use super::users::user_ids;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, ParamNames, Reply};
use crate::params::{Params, check_len};
use crate::wire::room::{RoomDetailsDto, RoomDto};
use axum::extract::State;
use palaver_core::{Actor, NewRoom, RoomPatch};
use palaver_domain::{Entity, ExternalId, Field, RoomDetails, RoomRef, RoomType, UserRef};
use serde_json::{Value, json};

const PARAMS: ParamNames = &[(Field::Users, "userIDs", "userIDs"), (Field::RoomType, "type", "type")];

fn err(e: palaver_domain::Error) -> ApiError {
    ApiError::from_core(e, PARAMS)
}

/// Parses the `roomID` parameter: a personal key `"<a>-<b>"` or a numeric id.
pub fn room_ref(p: &Params) -> Result<RoomRef, ApiError> {
    let id = p.req_str("roomID", "roomID")?;
    crate::wire::parse_room_id(&id).ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))
}

fn room_name(p: &Params) -> Result<String, ApiError> {
    let name = p.req_str("name", "name")?;
    check_len(&name, "name", "name", 1, 100)?;
    Ok(name)
}

fn members(p: &Params, name: &str) -> Result<Vec<UserRef>, ApiError> {
    Ok(user_ids(p, name)?.into_iter().map(UserRef::Id).collect())
}

fn details(t: &TapTalk, c: &Client, d: &RoomDetails) -> Value {
    let dto = RoomDetailsDto::new(d, Some(c.session.user.id), |u| t.core.is_online(u.app, u.id));
    serde_json::to_value(dto).unwrap_or(Value::Null)
}

/// `client/room/create`: a group with the caller as admin.
pub async fn create(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let name = room_name(&p)?;
    let kind = match p.opt_int("type", "type")?.unwrap_or(2) {
        2 => RoomType::Group,
        4 => RoomType::Transaction,
        _ => return Err(ApiError::param("Param 'type' must be 2 (group) or 4 (transaction)", "type")),
    };
    let members = match p.raw("userIDs") {
        Some(serde_json::Value::Array(a)) if a.is_empty() => Vec::new(),
        _ => members(&p, "userIDs")?,
    };
    let new = NewRoom {
        kind,
        name,
        photo_thumb: String::new(),
        photo_full: String::new(),
        options: "{}".into(),
        members,
        admin: None,
    };
    let d = t.core.create_room(c.session.app, Actor::User(c.session.user.id), new).await.map_err(err)?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/get`.
pub async fn get(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let d = t.core.member_room(c.session.app, c.session.user.id, room_ref(&p)?).await?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/get_by_xc_room_id`.
pub async fn get_by_xc_room_id(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    // An id no room can have names no room.
    let xc = ExternalId::parse(p.req_str("xcRoomID", "xcRoomID")?).map_err(|_| ApiError::not_found(Entity::Room))?;
    let d = t.core.member_room(c.session.app, c.session.user.id, RoomRef::External(xc)).await?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/update`: renames a group.
pub async fn update(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let patch = RoomPatch { name: Some(room_name(&p)?), ..RoomPatch::default() };
    let (d, _) = t.core.update_room(c.session.app, Actor::User(c.session.user.id), room_ref(&p)?, patch).await?;
    Ok(Reply(json!({ "room": RoomDto::new(&d.room, None) })))
}

/// `client/room/delete`: the checksum is md5 of `roomID:type:userID:accessTokenExpiry` (the
/// web SDK always uses type 2), guarding against deleting by accident.
pub async fn delete(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let room_id = p.req_str("roomID", "roomID")?;
    let room = crate::wire::parse_room_id(&room_id)
        .ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))?;
    let checksum = p.req_str("checksum", "checksum")?;
    let me = c.session.user.id;
    let valid = [2, 4].iter().any(|kind| {
        let text = format!("{room_id}:{kind}:{me}:{}", c.session.access_expires);
        format!("{:x}", md5::compute(text.as_bytes())).eq_ignore_ascii_case(&checksum)
    });
    if !valid {
        return Err(ApiError::param("Param 'checksum' does not match", "checksum"));
    }
    t.core.delete_room(c.session.app, Actor::User(me), room).await?;
    Ok(Reply(Outcome::done("The room has been deleted")))
}

/// `client/room/leave`.
pub async fn leave(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    t.core.leave_room(c.session.app, c.session.user.id, room_ref(&p)?).await?;
    Ok(Reply(Outcome::done("You have left the room")))
}

async fn change_members(t: TapTalk, c: Client, p: Params, add: bool) -> ApiResult<Value> {
    let (app, by) = (c.session.app, Actor::User(c.session.user.id));
    let (room, users) = (room_ref(&p)?, members(&p, "userIDs")?);
    let change = if add {
        t.core.add_members(app, by, room, users).await
    } else {
        t.core.remove_members(app, by, room, users).await
    }
    .map_err(err)?;
    Ok(Reply(details(&t, &c, &change.room)))
}

/// `client/room/participants/add`.
pub async fn add_participants(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    change_members(t, c, p, true).await
}

/// `client/room/participants/remove`.
pub async fn remove_participants(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    change_members(t, c, p, false).await
}

async fn admins(t: TapTalk, c: Client, p: Params, promote: bool) -> ApiResult<Value> {
    let users = members(&p, "userIDs")?;
    let by = Actor::User(c.session.user.id);
    let d = t.core.set_admins(c.session.app, by, room_ref(&p)?, users, promote).await.map_err(err)?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/admins/promote`.
pub async fn promote(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    admins(t, c, p, true).await
}

/// `client/room/admins/demote`.
pub async fn demote(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    admins(t, c, p, false).await
}
