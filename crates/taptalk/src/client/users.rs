//! `client/user/*`: looking users up.

use super::auth::Client;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::wire::user::UserDto;
use axum::extract::State;
use palaver_domain::{Entity, ExternalId, User, UserId, UserRef};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Parses a user id parameter.
pub fn user_id(p: &Params, name: &str) -> Result<UserId, ApiError> {
    let raw = p.req_str(name, name)?;
    raw.parse().map(UserId).map_err(|_| ApiError::param(format!("Param '{name}' must be a user ID"), name))
}

/// Parses a list of user ids.
pub fn user_ids(p: &Params, name: &str) -> Result<Vec<UserId>, ApiError> {
    p.req_str_list(name, name)?
        .iter()
        .map(|s| s.parse().map(UserId).map_err(|_| ApiError::param(format!("Param '{name}' must hold user IDs"), name)))
        .collect()
}

/// Renders users as `viewer` sees them (contact flags included).
pub async fn users_for(t: &TapTalk, viewer: UserId, users: &[User]) -> Result<Vec<UserDto>, ApiError> {
    let contacts: HashSet<UserId> = t.core.contacts_of(viewer).await?.into_iter().map(|u| u.id).collect();
    Ok(users.iter().map(|u| UserDto::new(u, t.core.is_online(u.app, u.id), contacts.contains(&u.id))).collect())
}

async fn one(t: &TapTalk, viewer: UserId, user: User) -> ApiResult<Value> {
    let dto = users_for(t, viewer, std::slice::from_ref(&user)).await?.pop();
    Ok(Reply(json!({ "user": dto })))
}

/// `client/user/get_by_id`.
pub async fn get_by_id(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let id = user_id(&p, "id")?;
    let user = t.core.user(c.session.app, UserRef::Id(id)).await?;
    one(&t, c.session.user.id, user).await
}

/// `client/user/get_by_xcuserid`.
pub async fn get_by_xc_user_id(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    // An id no user can have names no user.
    let xc = ExternalId::parse(p.req_str("xcUserID", "xcUserID")?).map_err(|_| ApiError::not_found(Entity::User))?;
    let user = t.core.user(c.session.app, UserRef::External(xc)).await?;
    one(&t, c.session.user.id, user).await
}

/// `client/user/get_by_username`.
pub async fn get_by_username(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let username = p.req_str("username", "username")?;
    let ignore_case = p.opt_bool("ignoreCase", "ignoreCase")?.unwrap_or(false);
    let user = t.core.user_by_username(c.session.app, username, ignore_case).await?;
    one(&t, c.session.user.id, user).await
}

/// `client/user/get_all_by_ids`: the known ones among `ids`.
pub async fn get_all_by_ids(State(t): State<TapTalk>, c: Client, p: Params) -> ApiResult<Value> {
    let ids = user_ids(&p, "ids")?;
    let users = t.core.users(c.session.app, ids).await?;
    Ok(Reply(json!({ "users": users_for(&t, c.session.user.id, &users).await? })))
}
