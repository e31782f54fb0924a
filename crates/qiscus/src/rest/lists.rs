//! A user's rooms, unread messages and replies: `get_user_rooms`, `get_unread_count`,
//! `get_unread_users`, `get_user_unread_count`, `get_average_reply_time_user`.

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::validate::{self, Paging};
use crate::wire::room::{RoomDto, room_types_named};
use axum::extract::State;
use palaver_domain::RoomFilter;
use serde_json::{Value, json};

/// `get_user_rooms`: the user's rooms, most recently active first, `limit` (default and
/// most 100) per page, optionally only one `room_type` (`single`, `group`, `channel`).
pub async fn get_user_rooms(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let user = validate::user_ref(&p, "user_id")?;
    let paging = Paging::read(&p, 100, 100)?;
    let kinds = match p.opt_nonempty("room_type")? {
        None => None,
        Some(name) => Some(
            room_types_named(&name)
                .ok_or_else(|| ApiError::bad_request("Param 'room_type' must be single, group or channel"))?,
        ),
    };
    let filter = RoomFilter { kinds, offset: paging.offset(), limit: paging.limit, ..RoomFilter::default() };
    let (user, rooms) = q.core.room_list(auth.app, user, filter.clone()).await?;
    let total = q.core.room_count(user.id, filter).await?;
    let rooms: Vec<RoomDto> = rooms.iter().map(|e| RoomDto::seen_by(&e.room, e.partner.as_ref())).collect();
    Ok(Reply(json!({
        "meta": {"current_page": paging.page, "total_room": total},
        "rooms": rooms,
    })))
}

/// `get_unread_count`: the user's unread messages in each named room, derived from the
/// user's read pointer (0 in rooms the user is not in); unknown rooms are left out.
pub async fn get_unread_count(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let user = validate::user_ref(&p, "user_id")?;
    let rooms = validate::rooms_named(&p)?;
    let counts = q.core.unread_counts(auth.app, user, rooms).await?;
    let counts: Vec<Value> =
        counts.iter().map(|(room, n)| json!({"room_id": room.id.0.to_string(), "unread_count": n})).collect();
    Ok(Reply(json!({ "unread_counts": counts })))
}

/// The time window of `start_time` / `end_time` (`YYYY-MM-DD hh:mm:ss`, UTC; open ends when
/// absent).
fn window(p: &Params) -> Result<(i64, i64), ApiError> {
    let from = validate::opt_time(p, "start_time")?.unwrap_or(i64::MIN);
    let to = validate::opt_time(p, "end_time")?.unwrap_or(i64::MAX);
    Ok((from, to))
}

/// `get_unread_users`: a page (`limit` default and most 100) of the ids of users with an
/// unread message created within the time window, by internal id.
pub async fn get_unread_users(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let paging = Paging::read(&p, 100, 100)?;
    let (from, to) = window(&p)?;
    let users = q.core.users_with_unread(auth.app, from, to, paging.offset(), paging.limit).await?;
    let ids: Vec<&str> = users.iter().map(|u| u.external_id.as_str()).collect();
    Ok(Reply(json!({"meta": {"current_page": paging.page, "per_page": paging.limit}, "user_ids": ids})))
}

/// `get_user_unread_count`: each named user's unread messages over all its rooms, counting
/// those created within the time window; unknown users are left out.
pub async fn get_user_unread_count(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let users = validate::user_refs(&p, "user_ids")?;
    let (from, to) = window(&p)?;
    let mut counts = Vec::with_capacity(users.len());
    for user in users {
        if let Ok((u, n, _)) = q.core.unread_total(auth.app, user, from, to).await {
            counts.push(json!({"user_id": u.external_id, "unread_count": n}));
        }
    }
    Ok(Reply(json!({ "user_unread_count": counts })))
}

/// `get_average_reply_time_user`: how long the user took to answer others within the time
/// window: average, longest and shortest, in whole seconds (0 when it never answered).
pub async fn get_average_reply_time_user(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let user = validate::user_ref(&p, "user_id")?;
    let (from, to) = window(&p)?;
    let (user, durations) = q.core.reply_times(auth.app, user, from, to).await?;
    let secs = |ms: i64| (ms + 500) / 1000;
    let average = if durations.is_empty() { 0 } else { durations.iter().sum::<i64>() / durations.len() as i64 };
    let (longest, shortest) =
        (durations.iter().max().copied().unwrap_or(0), durations.iter().min().copied().unwrap_or(0));
    Ok(Reply(json!({
        "data": {
            "user_id": user.external_id,
            "duration": {"average": secs(average), "longest": secs(longest), "shortest": secs(shortest)},
            "replies": durations.len(),
        },
        "start_time": p.opt_nonempty("start_time")?,
        "end_time": p.opt_nonempty("end_time")?,
    })))
}
