//! `client/room/*`: groups as their members manage them.

use super::auth::Client;
use super::users::user_ids;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, Reply};
use crate::params::Params;
use crate::wire::room::{RoomDetailsDto, RoomDto};
use axum::extract::State;
use palaver_core::RoomDetails;
use palaver_domain::{RoomRef, RoomType};
use serde_json::{Value, json};

/// Parses the `roomID` parameter: a personal key `"<a>-<b>"` or a numeric id.
pub fn room_ref(p: &Params) -> Result<RoomRef, ApiError> {
    let id = p.req_str("roomID", "roomID")?;
    RoomRef::from_tap_room_id(&id).ok_or_else(|| ApiError::param("Param 'roomID' is not a room ID", "roomID"))
}

fn details(t: &TapTalk, c: &Client, d: &RoomDetails) -> Value {
    let dto = RoomDetailsDto::new(d, Some(c.session.user.id), |u| t.core.is_online(u.app, u.id));
    serde_json::to_value(dto).unwrap_or(Value::Null)
}

/// `client/room/create`: a group with the caller as admin.
pub async fn create(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let name = p.req_str("name", "name")?;
    let kind = match p.opt_int("type", "type")?.unwrap_or(2) {
        2 => RoomType::Group,
        4 => RoomType::Transaction,
        _ => return Err(ApiError::param("Param 'type' must be 2 (group) or 4 (transaction)", "type")),
    };
    let members = match p.raw("userIDs") {
        Some(serde_json::Value::Array(a)) if a.is_empty() => Vec::new(),
        _ => user_ids(&p, "userIDs")?,
    };
    let d = t.core.create_group(c.session.app, c.session.user.id, name, kind, members).await?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/get`.
pub async fn get(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let d = t.core.member_room_details(c.session.app, c.session.user.id, room_ref(&p)?).await?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/get_by_xc_room_id`.
pub async fn get_by_xc_room_id(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let xc = p.req_str("xcRoomID", "xcRoomID")?;
    let d = t.core.member_room_details(c.session.app, c.session.user.id, RoomRef::Xc(xc)).await?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/update`: renames a group.
pub async fn update(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let name = p.req_str("name", "name")?;
    let d = t.core.rename_room(c.session.app, c.session.user.id, room_ref(&p)?, name).await?;
    Ok(Reply(json!({ "room": RoomDto::new(&d.room, None) })))
}

/// `client/room/delete`: the checksum is md5 of `roomID:type:userID:accessTokenExpiry` (the
/// web SDK always uses type 2), guarding against deleting by accident.
pub async fn delete(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let room_id = p.req_str("roomID", "roomID")?;
    let room = RoomRef::from_tap_room_id(&room_id)
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
    t.core.delete_room(c.session.app, me, room).await?;
    Ok(Reply(Outcome::done("The room has been deleted")))
}

/// `client/room/leave`.
pub async fn leave(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    t.core.leave_room(c.session.app, c.session.user.id, room_ref(&p)?).await?;
    Ok(Reply(Outcome::done("You have left the room")))
}

async fn members(t: TapTalk, c: Client, p: Params, add: bool) -> ApiResult<Value> {
    let ids = user_ids(&p, "userIDs")?;
    let d = t.core.change_members(c.session.app, c.session.user.id, room_ref(&p)?, ids, add).await?;
    Ok(Reply(details(&t, &c, &d)))
}

/// `client/room/participants/add`.
pub async fn add_participants(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    members(t, c, p, true).await
}

/// `client/room/participants/remove`.
pub async fn remove_participants(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    members(t, c, p, false).await
}

async fn admins(t: TapTalk, c: Client, p: Params, promote: bool) -> ApiResult<Value> {
    let ids = user_ids(&p, "userIDs")?;
    let d = t.core.change_admins(c.session.app, c.session.user.id, room_ref(&p)?, ids, promote).await?;
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
