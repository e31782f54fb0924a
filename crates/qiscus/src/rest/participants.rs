//! Participants: `add_room_participants`, `remove_room_participants`,
//! `get_room_participants`.

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiResult, Reply};
use crate::params::Params;
use crate::validate::{self, Paging};
use crate::wire::user::UserDto;
use axum::extract::State;
use palaver_core::Actor;
use serde_json::{Value, json};

/// `add_room_participants`: adds users to a group room; answers those newly added.
pub async fn add_room_participants(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room = validate::room_ref(&p, "room_id")?;
    let users = validate::user_refs(&p, "user_ids")?;
    let change = q.core.add_members(auth.app, Actor::Backend, room, users).await?;
    let added: Vec<UserDto> = change.changed.iter().map(UserDto::new).collect();
    Ok(Reply(json!({ "participants_added": added })))
}

/// `remove_room_participants`: removes users from a group room; answers those who were in.
pub async fn remove_room_participants(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room = validate::room_ref(&p, "room_id")?;
    let users = validate::user_refs(&p, "user_ids")?;
    let change = q.core.remove_members(auth.app, Actor::Backend, room, users).await?;
    let removed: Vec<UserDto> = change.changed.iter().map(UserDto::new).collect();
    Ok(Reply(json!({ "participants_removed": removed })))
}

/// `get_room_participants`: a page of a room's participants in joining order (default 20
/// per page, at most 100), with `meta` for paging.
pub async fn get_room_participants(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let room = validate::room_ref(&p, "room_id")?;
    let paging = Paging::read(&p, 20, 100)?;
    let (page, total) = q.core.participants(auth.app, room, paging.offset(), paging.limit).await?;
    let participants: Vec<UserDto> = page.iter().map(|p| UserDto::new(&p.user)).collect();
    Ok(Reply(json!({
        "meta": {"current_page": paging.page, "per_page": paging.limit, "total": total},
        "participants": participants,
    })))
}
