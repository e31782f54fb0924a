//! The user's rooms: `user_rooms`, `rooms_info`, `get_room_by_id`,
//! `get_or_create_room_with_target`, `total_unread_count`, `get_room_unread_count`.

use super::UserCall;
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::validate::{self, Paging};
use crate::wire::client::{RoomView, comment, participant, room};
use crate::wire::room::room_types_named;
use axum::extract::State;
use palaver_domain::{RoomDetails, RoomFilter, RoomId, RoomMessage, RoomRef, RoomSummary, RoomType, User, UserRef};
use serde_json::{Value, json};

/// Comments a room call answers with, newest first.
const ROOM_COMMENTS: i64 = 20;

/// The last comment of a room-list entry, as `viewer` sees it.
fn last_comment(e: &RoomSummary, viewer: &User) -> Option<Value> {
    let (message, sender) = (e.last_message.clone()?, e.sender.clone()?);
    let partner = match e.room.kind {
        RoomType::Personal if sender.id == viewer.id => e.partner.clone(),
        RoomType::Personal => Some(viewer.clone()),
        _ => None,
    };
    let item = RoomMessage { message, room: e.room.clone(), sender, partner };
    Some(comment(&item, 0, viewer.id))
}

/// `user_rooms`: the caller's rooms, most recently active first. Rooms without a comment
/// are left out unless `show_empty=true` (the web SDK reads every room's `last_comment`).
pub async fn user_rooms(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let paging = Paging::read(p, 100, 100)?;
    let kinds = match p.opt_nonempty("room_type")?.filter(|t| t != "default" && t != "all") {
        None => None,
        Some(name) => Some(
            room_types_named(&name)
                .ok_or_else(|| ApiError::bad_request("Param 'room_type' must be all, single, group or channel"))?,
        ),
    };
    let show_empty = p.opt_bool("show_empty")?.unwrap_or(false);
    let show_participants = p.opt_bool("show_participants")?.unwrap_or(false);
    let filter = RoomFilter { kinds, offset: paging.offset(), limit: paging.limit, ..RoomFilter::default() };
    let (me, list) = q.core.room_list(call.app, UserRef::Id(call.user.id), filter.clone()).await?;
    let total = q.core.room_count(me.id, filter).await?;
    let shown: Vec<RoomSummary> = list.into_iter().filter(|e| show_empty || e.last_message.is_some()).collect();
    let rooms = listed(&q, &me, &shown, show_participants).await?;
    Ok(Reply(json!({
        "meta": {"current_page": paging.page, "total_room": total},
        "rooms_info": rooms,
    })))
}

/// Room-list entries (rooms `me` is in) as client room objects, with their participants if
/// asked for, read in one go.
async fn listed(q: &Qiscus, me: &User, list: &[RoomSummary], show_participants: bool) -> Result<Vec<Value>, ApiError> {
    let mut members = if show_participants {
        q.core.participants_of_rooms(list.iter().map(|e| e.room.id).collect()).await?
    } else {
        Default::default()
    };
    let rooms = list
        .iter()
        .map(|e| {
            let people = members.remove(&e.room.id).filter(|_| show_participants);
            let view = RoomView {
                partner: e.partner.as_ref(),
                total_participants: people.as_ref().map_or(0, |p| p.len() as i64),
                participants: people.map(|p| p.iter().map(|p| participant(&p.user)).collect()),
                last_comment: last_comment(e, me),
                unread: e.unread,
            };
            room(&e.room, view)
        })
        .collect();
    Ok(rooms)
}

/// `rooms_info`: the caller's rooms named by id (`room_id`) and by unique id
/// (`room_unique_id`); others are left out.
pub async fn rooms_info(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let ids: Vec<RoomId> = match p.opt_list("room_id")? {
        Some(list) => list
            .iter()
            .map(|v| v.trim().parse::<i64>().map(RoomId))
            .collect::<Result<_, _>>()
            .map_err(|_| ApiError::bad_request("Param 'room_id' must hold room ids"))?,
        None => Vec::new(),
    };
    let unique: Vec<String> = p.opt_list("room_unique_id")?.unwrap_or_default();
    let show_participants = p.opt_bool("show_participants")?.unwrap_or(false);
    let requested = ids.len() + unique.len();
    let mut found: Vec<RoomSummary> = Vec::new();
    let me = UserRef::Id(call.user.id);
    if !ids.is_empty() {
        let filter = RoomFilter { room_ids: Some(ids), ..RoomFilter::default() };
        found.extend(q.core.room_list(call.app, me.clone(), filter).await?.1);
    }
    if !unique.is_empty() {
        let filter = RoomFilter { external_ids: Some(unique), ..RoomFilter::default() };
        for e in q.core.room_list(call.app, me.clone(), filter).await?.1 {
            if !found.iter().any(|f| f.room.id == e.room.id) {
                found.push(e);
            }
        }
    }
    let rooms = listed(&q, &call.user, &found, show_participants).await?;
    Ok(Reply(json!({
        "meta": {"request_rooms_total": requested, "response_rooms_total": rooms.len()},
        "rooms_info": rooms,
    })))
}

/// The unread count of each of the caller's rooms.
/// The caller's unread comments in all its rooms, and how many rooms hold them.
async fn unread(q: &Qiscus, call: &UserCall) -> Result<(i64, i64), ApiError> {
    let (_, messages, rooms) = q.core.unread_total(call.app, UserRef::Id(call.user.id), i64::MIN, i64::MAX).await?;
    Ok((messages, rooms))
}

/// `total_unread_count`: unread comments in all the caller's rooms.
pub async fn total_unread_count(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let (total, _) = unread(&q, &call).await?;
    Ok(Reply(json!({ "total_unread_count": total })))
}

/// `get_room_unread_count`: how many of the caller's rooms have unread comments.
pub async fn get_room_unread_count(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let (_, rooms) = unread(&q, &call).await?;
    Ok(Reply(json!({ "total_unread_count": rooms })))
}

/// A room with its participants and its newest comments, as the room calls answer.
pub(super) async fn room_with_comments(q: &Qiscus, call: &UserCall, d: RoomDetails) -> ApiResult<Value> {
    let me = call.user.id;
    let history = q
        .core
        .messages_next_to(call.app, me, RoomRef::Id(d.room.id), palaver_domain::MessageId(0), false, ROOM_COMMENTS)
        .await?;
    let comments: Vec<Value> = history.iter().map(|e| comment(&e.item, e.previous.0, me)).collect();
    let partner = match d.room.kind {
        RoomType::Personal => d.participants.iter().map(|p| &p.user).find(|u| u.id != me),
        _ => None,
    };
    let unread = q.core.unread_counts(call.app, UserRef::Id(me), vec![RoomRef::Id(d.room.id)]).await?;
    let view = RoomView {
        partner,
        participants: Some(d.participants.iter().map(|p| participant(&p.user)).collect()),
        last_comment: comments.first().cloned(),
        unread: unread.first().map_or(0, |(_, n)| *n),
        total_participants: d.participants.len() as i64,
    };
    Ok(Reply(json!({"room": room(&d.room, view), "comments": comments})))
}

/// `get_room_by_id`: a room of the caller with its newest comments.
pub async fn get_room_by_id(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let room = validate::room_ref(&call.params, "id")?;
    let d = q.core.member_room(call.app, call.user.id, room).await?;
    room_with_comments(&q, &call, d).await
}

/// `get_or_create_room_with_target`: the single room of the caller and one other user
/// (`emails`, a string or a one-item list), created if needed with `options`.
pub async fn get_or_create_room_with_target(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let targets = validate::user_refs(p, "emails")?;
    let [target] = targets.as_slice() else {
        return Err(ApiError::bad_request("Param 'emails' must name exactly one user"));
    };
    let options = p.opt_object_text("options")?;
    let r = q.core.personal_room(call.app, UserRef::Id(call.user.id), target.clone(), options).await?;
    let d = q.core.member_room(call.app, call.user.id, RoomRef::Id(r.id)).await?;
    room_with_comments(&q, &call, d).await
}
