//! A user's rooms: `get_user_rooms` and `get_unread_count`.

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
