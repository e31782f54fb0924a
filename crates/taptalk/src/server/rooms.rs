//! `/v1/server/room/*`.

use super::auth::ServerApp;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, ParamNames, Reply};
use crate::params::{Params, check_len};
use crate::wire::message::{MessageDto, MessageView};
use crate::wire::room::{RoomDetailsDto, RoomDto};
use axum::extract::State;
use palaver_core::{Actor, EnsureRoom, KindRule, RoomPatch};
use palaver_domain::{AppId, Field, RoomDetails, RoomFilter, RoomRef, RoomType, UserRef};
use serde::Serialize;
use serde_json::Value;

const PARAMS: ParamNames = &[
    (Field::RoomExternalId, "xcRoomID", "101"),
    (Field::Room, "xcRoomID", "101"),
    (Field::RoomType, "type", "102"),
    (Field::RoomName, "name", "103"),
    (Field::PhotoThumb, "photoThumbnailURL", "104"),
    (Field::PhotoFull, "photoFullsizeURL", "105"),
    (Field::Tags, "tags", "106"),
    (Field::Users, "participantXCUserIDs", "107"),
    (Field::Roles, "participantUserRoles", "108"),
];

fn err(e: palaver_domain::Error) -> ApiError {
    ApiError::from_core(e, PARAMS)
}

fn xc_room(p: &Params) -> Result<RoomRef, ApiError> {
    Ok(RoomRef::External(p.req_external_id("xcRoomID", "101")?))
}

fn users(p: &Params, name: &str, field: &str) -> Result<Vec<UserRef>, ApiError> {
    Ok(p.req_external_ids(name, field)?.into_iter().map(UserRef::External).collect())
}

fn details_reply(t: &TapTalk, app: AppId, d: &RoomDetails) -> Value {
    let dto = RoomDetailsDto::new(d, None, |u| t.core.is_online(app, u.id));
    serde_json::to_value(dto).unwrap_or(Value::Null)
}

/// `room/create_or_update`: upsert by xcRoomID; types 2 and 4 only; the type must match an
/// existing room's; tags and roles replace, participants apply on creation only.
pub async fn create_or_update(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let external_id = p.req_external_id("xcRoomID", "101")?;
    let kind = match p.req_int("type", "102")? {
        2 => RoomType::Group,
        4 => RoomType::Transaction,
        _ => {
            return Err(ApiError::param("Param 'type' must be 2 (group) or 4 (transaction)", "102"));
        }
    };
    let name = p.req_str("name", "103")?;
    check_len(&name, "name", "103", 1, 100)?;
    let members = match p.opt_str_list("participantXCUserIDs", "107")? {
        Some(list) => list
            .into_iter()
            .map(|v| crate::params::external_id(v, "participantXCUserIDs", "107").map(UserRef::External))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let ensure = EnsureRoom {
        external_id,
        kind: KindRule::Exactly(kind),
        patch: RoomPatch {
            name: Some(name),
            photo_thumb: p.opt_str("photoThumbnailURL", "104")?,
            photo_full: p.opt_str("photoFullsizeURL", "105")?,
            tags: p.opt_str_list("tags", "106")?,
            participant_roles: p.opt_str_list("participantUserRoles", "108")?,
            ..RoomPatch::default()
        },
        members,
        members_on_create_only: true,
    };
    let ensured = t.core.ensure_room(app, ensure).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &ensured.room)))
}

/// `room/get`: a room with its participants.
pub async fn get(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let details = t.core.room(app, xc_room(&p)?).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &details)))
}

/// `room/participants/add`.
pub async fn add_participants(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let room = xc_room(&p)?;
    let users = users(&p, "participantXCUserIDs", "107")?;
    let change = t.core.add_members(app, Actor::Backend, room, users).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &change.room)))
}

/// `room/participants/remove`.
pub async fn remove_participants(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let room = xc_room(&p)?;
    let users = users(&p, "participantXCUserIDs", "107")?;
    let change = t.core.remove_members(app, Actor::Backend, room, users).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &change.room)))
}

/// The answer of `get_list_by_user`.
#[derive(Serialize)]
pub struct RoomList {
    rooms: Vec<RoomListItem>,
}

/// One entry of `get_list_by_user`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoomListItem {
    last_message: Option<MessageDto>,
    unread_count: i64,
    room: RoomDto,
}

/// `room/get_list_by_user`: a user's rooms, most recent first, each with its last message
/// and the user's unread count.
pub async fn list_by_user(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<RoomList> {
    let user = UserRef::External(p.req_external_id("xcUserID", "xcUserID")?);
    let filter = RoomFilter { external_ids: p.opt_str_list("xcRoomIDs", "xcRoomIDs")?, ..Default::default() };
    let (_, entries) = t.core.room_list(app, user, filter).await?;
    let rooms: Vec<RoomListItem> = entries
        .iter()
        .map(|e| RoomListItem {
            last_message: e.last_message.as_ref().zip(e.sender.as_ref()).map(|(m, sender)| {
                MessageDto::new(MessageView {
                    message: m,
                    room: &e.room,
                    sender,
                    viewer_partner: e.partner.as_ref(),
                    sender_online: t.core.is_online(app, sender.id),
                })
            }),
            unread_count: e.unread,
            room: RoomDto::new(&e.room, e.partner.as_ref()),
        })
        .collect();
    Ok(Reply(RoomList { rooms }))
}

async fn set_lock(t: TapTalk, app: AppId, p: Params, locked: bool) -> ApiResult<Outcome> {
    let room = xc_room(&p)?;
    let by = UserRef::External(p.req_external_id("xcUserID", "xcUserID")?);
    let changed = t.core.set_room_locked(app, room, by, locked).await.map_err(err)?;
    let word = if locked { "locked" } else { "unlocked" };
    Ok(Reply(if changed {
        Outcome::done(format!("The room has been {word} succesfully"))
    } else {
        Outcome { success: false, message: format!("The room is already {word}") }
    }))
}

/// `room/lock`: refuses further client messages; locking twice answers `success: false`.
pub async fn lock(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Outcome> {
    set_lock(t, app, p, true).await
}

/// `room/unlock`.
pub async fn unlock(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Outcome> {
    set_lock(t, app, p, false).await
}
