//! `client/room/*` for the caller's own view of its rooms: mute (with expiry), pin, mark
//! unread, clear chat, and the lists of each; groups in common with another user. Every
//! change reaches all of the caller's sessions as `room/...` socket events.

use super::auth::Client;
use super::users::user_id;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, Reply};
use crate::params::Params;
use crate::wire::room::RoomDto;
use crate::wire::{parse_room_id, room_id};
use axum::extract::State;
use palaver_domain::{RoomRef, RoomStateChange, time::now_ms};
use serde_json::{Value, json};

/// Most rooms one call changes.
const MAX_ROOMS: usize = 500;

/// Parses the `roomIDs` list (at least one).
fn room_refs(p: &Params) -> Result<Vec<RoomRef>, ApiError> {
    let ids = p.req_str_list("roomIDs", "roomIDs")?;
    if ids.is_empty() || ids.len() > MAX_ROOMS {
        return Err(ApiError::param(format!("Param 'roomIDs' must hold 1 to {MAX_ROOMS} room IDs"), "roomIDs"));
    }
    ids.iter()
        .map(|id| parse_room_id(id).ok_or_else(|| ApiError::param("Param 'roomIDs' must hold room IDs", "roomIDs")))
        .collect()
}

async fn change(t: &TapTalk, c: &Client, p: &Params, state: RoomStateChange) -> Result<Vec<String>, ApiError> {
    let rooms = t.core.set_room_view(c.session.app, c.session.user.id, room_refs(p)?, state).await?;
    Ok(rooms.iter().map(room_id).collect())
}

/// `client/room/mute`: `expiredAt` (Unix ms) ends the mute; 0 or absent mutes for good.
pub async fn mute(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    let until = match p.opt_int("expiredAt", "expiredAt")?.unwrap_or(0) {
        0 => None,
        at if at > now_ms() => Some(at),
        _ => return Err(ApiError::param("Param 'expiredAt' must be 0 or a time in the future", "expiredAt")),
    };
    change(&t, &c, &p, RoomStateChange::Muted { until }).await?;
    Ok(Reply(Outcome::done("The rooms are muted")))
}

/// `client/room/unmute`.
pub async fn unmute(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    change(&t, &c, &p, RoomStateChange::Unmuted).await?;
    Ok(Reply(Outcome::done("The rooms are unmuted")))
}

/// `client/room/pin`.
pub async fn pin(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    change(&t, &c, &p, RoomStateChange::Pinned).await?;
    Ok(Reply(Outcome::done("The rooms are pinned")))
}

/// `client/room/unpin`.
pub async fn unpin(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Outcome> {
    change(&t, &c, &p, RoomStateChange::Unpinned).await?;
    Ok(Reply(Outcome::done("The rooms are unpinned")))
}

/// `client/room/mark_as_unread`: answers the rooms now marked, as `unreadRoomIDs`.
pub async fn mark_as_unread(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let refs = room_refs(&p)?;
    t.core.set_room_view(c.session.app, c.session.user.id, refs.clone(), RoomStateChange::MarkedUnread).await?;
    let views = t.core.room_views(c.session.app, c.session.user.id).await?;
    let marked: Vec<String> = views.iter().filter(|v| v.marked_unread).map(|v| room_id(&v.room)).collect();
    Ok(Reply(json!({ "unreadRoomIDs": marked })))
}

/// `client/room/clear_chat`: hides the rooms' messages so far from the caller alone.
pub async fn clear_chat(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let refs = room_refs(&p)?;
    let asked: Vec<String> = p.req_str_list("roomIDs", "roomIDs")?;
    t.core.clear_history(c.session.app, c.session.user.id, refs).await?;
    // Every room asked is clear now, whether or not it had anything to clear.
    Ok(Reply(json!({ "clearedRoomIDs": asked })))
}

/// The caller's room views: `(muted, pinned, unread, cleared)` lists as TapTalk names them.
async fn views(t: &TapTalk, c: &Client) -> Result<(Vec<Value>, Vec<String>, Vec<String>, Vec<Value>), ApiError> {
    let mut views = t.core.room_views(c.session.app, c.session.user.id).await?;
    let mut muted = Vec::new();
    let mut unread = Vec::new();
    let mut cleared = Vec::new();
    for v in &views {
        let id = room_id(&v.room);
        if let Some(until) = v.muted_until {
            muted.push(json!({ "roomID": id, "expiredAt": until }));
        }
        if v.marked_unread {
            unread.push(id.clone());
        }
        if v.cleared_at > 0 {
            cleared.push(json!({ "roomID": id, "expiredAt": v.cleared_at }));
        }
    }
    // Pinned rooms, the latest pinned first.
    views.retain(|v| v.pinned_at > 0);
    views.sort_by_key(|v| std::cmp::Reverse(v.pinned_at));
    let pinned = views.iter().map(|v| room_id(&v.room)).collect();
    Ok((muted, pinned, unread, cleared))
}

/// `client/room/get_muted_room_ids`: `{mutedRooms: [{roomID, expiredAt}]}` (0: for good).
pub async fn muted_ids(State(t): State<TapTalk>, c: Client) -> ApiResult<Value> {
    let (muted, ..) = views(&t, &c).await?;
    Ok(Reply(json!({ "mutedRooms": muted })))
}

/// `client/room/get_pinned_room_ids`.
pub async fn pinned_ids(State(t): State<TapTalk>, c: Client) -> ApiResult<Value> {
    let (_, pinned, ..) = views(&t, &c).await?;
    Ok(Reply(json!({ "pinnedRoomIDs": pinned })))
}

/// `client/room/get_unread_room_ids`: the rooms marked unread by hand.
pub async fn unread_ids(State(t): State<TapTalk>, c: Client) -> ApiResult<Value> {
    let (_, _, unread, _) = views(&t, &c).await?;
    Ok(Reply(json!({ "unreadRoomIDs": unread })))
}

/// `client/room/get_room_ids_with_state`: all of the above at once; a cleared room's
/// `expiredAt` is when the newest message it cleared was posted.
pub async fn with_state(State(t): State<TapTalk>, c: Client) -> ApiResult<Value> {
    let (muted, pinned, unread, cleared) = views(&t, &c).await?;
    Ok(Reply(json!({
        "clearedRooms": cleared,
        "pinnedRoomIDs": pinned,
        "mutedRooms": muted,
        "unreadRoomIDs": unread,
    })))
}

/// `client/room/groups_in_common`: the groups the caller shares with `userID`.
pub async fn groups_in_common(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let other = user_id(&p, "userID")?;
    let rooms = t.core.groups_in_common(c.session.app, c.session.user.id, other).await?;
    let rooms: Vec<RoomDto> = rooms.iter().map(|r| RoomDto::new(r, None)).collect();
    Ok(Reply(json!({ "rooms": rooms })))
}
