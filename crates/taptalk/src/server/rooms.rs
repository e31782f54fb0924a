//! `/v1/server/room/*`.

use super::auth::ServerApp;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, Reply};
use crate::params::{Params, check_len};
use crate::wire::message::{MessageDto, MessageView};
use crate::wire::room::{RoomDetailsDto, RoomDto};
use axum::extract::State;
use palaver_core::{RoomDetails, RoomListFilter, RoomSpec};
use palaver_domain::limits::MAX_EXTERNAL_ID_CHARS;
use palaver_domain::{AppId, RoomRef, RoomType};
use serde::Serialize;
use serde_json::Value;

const FIELDS: &[(&str, &str)] = &[
    ("xcRoomID", "101"),
    ("type", "102"),
    ("name", "103"),
    ("photoThumbnailURL", "104"),
    ("photoFullsizeURL", "105"),
    ("tags", "106"),
    ("participantXCUserIDs", "107"),
    ("participants", "107"),
    ("participantUserRoles", "108"),
];

fn err(e: palaver_domain::Error) -> ApiError {
    ApiError::from_core(e, FIELDS)
}

fn xc_room_id(p: &Params) -> Result<String, ApiError> {
    let xc = p.req_str("xcRoomID", "101")?;
    check_len(&xc, "xcRoomID", "101", 1, MAX_EXTERNAL_ID_CHARS)?;
    Ok(xc)
}

fn user_list(p: &Params, name: &str, field: &str) -> Result<Vec<String>, ApiError> {
    let list = p.req_str_list(name, field)?;
    for xc in &list {
        check_len(xc, name, field, 1, MAX_EXTERNAL_ID_CHARS)?;
    }
    Ok(list)
}

fn details_reply(t: &TapTalk, app: AppId, d: &RoomDetails) -> Value {
    let dto = RoomDetailsDto::new(d, None, |u| t.core.is_online(app, u.id));
    serde_json::to_value(dto).unwrap_or(Value::Null)
}

/// `room/create_or_update`: upsert by xcRoomID; types 2 and 4 only; the type must match an
/// existing room's; tags and roles replace, participants apply on creation only.
pub async fn create_or_update(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let xc_room_id = xc_room_id(&p)?;
    let kind = match p.req_int("type", "102")? {
        2 => RoomType::Group,
        4 => RoomType::Transaction,
        _ => {
            return Err(ApiError::param("Param 'type' must be 2 (group) or 4 (transaction)", "102"));
        }
    };
    let name = p.req_str("name", "103")?;
    check_len(&name, "name", "103", 1, 100)?;
    let spec = RoomSpec {
        xc_room_id,
        kind,
        name,
        photo_thumb: p.opt_str("photoThumbnailURL", "104")?,
        photo_full: p.opt_str("photoFullsizeURL", "105")?,
        tags: p.opt_str_list("tags", "106")?,
        participants: p.opt_str_list("participantXCUserIDs", "107")?,
        participant_roles: p.opt_str_list("participantUserRoles", "108")?,
    };
    let (details, _) = t.core.create_or_update_room(app, spec).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &details)))
}

/// `room/get`: a room with its participants.
pub async fn get(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let xc = xc_room_id(&p)?;
    let details = t.core.room_details(app, RoomRef::Xc(xc)).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &details)))
}

/// `room/participants/add`.
pub async fn add_participants(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let xc = xc_room_id(&p)?;
    let users = user_list(&p, "participantXCUserIDs", "107")?;
    let details = t.core.add_participants_by_xc(app, RoomRef::Xc(xc), users).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &details)))
}

/// `room/participants/remove`.
pub async fn remove_participants(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let xc = xc_room_id(&p)?;
    let users = user_list(&p, "participantXCUserIDs", "107")?;
    let details = t.core.remove_participants_by_xc(app, RoomRef::Xc(xc), users).await.map_err(err)?;
    Ok(Reply(details_reply(&t, app, &details)))
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
    let xc = p.req_str("xcUserID", "xcUserID")?;
    check_len(&xc, "xcUserID", "xcUserID", 1, MAX_EXTERNAL_ID_CHARS)?;
    let filter = RoomListFilter { xc_room_ids: p.opt_str_list("xcRoomIDs", "xcRoomIDs")?, ..Default::default() };
    let (_, entries) = t.core.room_list_of(app, &xc, filter).await?;
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
    let xc = xc_room_id(&p)?;
    let by = p.req_str("xcUserID", "xcUserID")?;
    check_len(&by, "xcUserID", "xcUserID", 1, MAX_EXTERNAL_ID_CHARS)?;
    let changed = t.core.set_room_lock(app, RoomRef::Xc(xc), &by, locked).await.map_err(err)?;
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
