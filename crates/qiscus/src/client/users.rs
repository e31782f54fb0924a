//! Other users as a user sees them, and its own session: `get_user_list`, `block_user`,
//! `unblock_user`, `get_blocked_users`, `users/status`, `logout`, `expire_user_token`,
//! `refresh_user_token`.
//!
//! A Qiscus token belongs to the user, not to a device, and does not expire: `logout` ends
//! nothing on the server (the device forgets the token), `expire_user_token` replaces the
//! token (every device must log in again), and `refresh_user_token` has nothing to refresh.

use super::{AppCall, UserCall};
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::system_user_id;
use crate::validate::{self, Paging};
use crate::wire::client::participant;
use crate::wire::iso_millis;
use axum::extract::State;
use palaver_domain::{ExternalId, User, UserOrder, UserQuery, UserRef};
use serde_json::{Value, json};

/// A user as `block_user` and the blocked list show it.
fn blocked_user(u: &User) -> Value {
    let mut v = participant(u);
    v["avatar"] = json!({"avatar": {"url": u.photo_full}});
    v
}

/// `get_user_list`: a page of the app's users, optionally those whose name or id contains
/// `query`.
pub async fn get_user_list(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let p = &call.params;
    let paging = Paging::read(p, 20, 100)?;
    let query = UserQuery {
        offset: paging.offset(),
        limit: paging.limit,
        order: UserOrder::FullnameAsc,
        include_inactive: false,
        except: ExternalId::parse(system_user_id(&call.app_code)).ok(),
        containing: p.opt_nonempty("query")?,
    };
    let (users, total) = q.core.user_page(call.app, query).await?;
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            let mut v = participant(u);
            v["name"] = json!(u.fullname);
            v["created_at"] = json!(iso_millis(u.created));
            v["updated_at"] = json!(iso_millis(u.updated));
            v
        })
        .collect();
    Ok(Reply(json!({
        "meta": {"total_data": total, "total_page": (total + paging.limit - 1) / paging.limit},
        "users": users,
    })))
}

async fn set_blocked(q: Qiscus, call: UserCall, blocked: bool) -> ApiResult<Value> {
    let subject = q.core.user(call.app, validate::user_ref(&call.params, "user_email")?).await?;
    let user = q.core.set_blocked(call.app, call.user.id, subject.id, blocked).await?;
    Ok(Reply(json!({"user": blocked_user(&user)})))
}

/// `block_user`: the caller blocks `user_email` (their single room refuses messages).
pub async fn block_user(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    set_blocked(q, call, true).await
}

/// `unblock_user`: lifts the caller's block of `user_email`.
pub async fn unblock_user(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    set_blocked(q, call, false).await
}

/// `get_blocked_users`: a page of the users the caller blocked (under both keys the SDKs
/// read: `blocked_users` and `users`).
pub async fn get_blocked_users(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let paging = Paging::read(&call.params, 20, 100)?;
    let all = q.core.blocked_users(call.user.id).await?;
    let page: Vec<Value> =
        all.iter().skip(paging.offset() as usize).take(paging.limit as usize).map(blocked_user).collect();
    Ok(Reply(json!({"blocked_users": page, "users": page, "total": all.len()})))
}

/// `users/status`: whether each of `user_ids` is online, and since when it was last active
/// (Unix seconds). Unknown users are left out.
pub async fn users_status(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let mut status = Vec::new();
    for id in validate::user_refs(&call.params, "user_ids")? {
        let Ok(u) = q.core.user(call.app, id).await else { continue };
        let online = q.core.is_online(call.app, u.id);
        let seen = if online { palaver_domain::time::now_ms() } else { u.last_activity.max(u.created) };
        status.push(json!({"email": u.external_id, "status": u8::from(online), "timestamp": seen / 1000}));
    }
    Ok(Reply(json!({ "user_status": status })))
}

/// `logout`: acknowledged; the device forgets its token (see the module's note).
pub async fn logout(State(_q): State<Qiscus>, _call: UserCall) -> ApiResult<Value> {
    Ok(Reply(json!({})))
}

/// `expire_user_token`: replaces the caller's token; its realtime connections close.
pub async fn expire_user_token(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    q.core.reset_user_token(call.app, UserRef::Id(call.user.id)).await?;
    Ok(Reply(json!({"changed": true})))
}

/// `refresh_user_token`: tokens do not expire and no refresh token is issued, so every
/// refresh token is invalid (the answer Android's SDK knows: 401 `refresh token invalid`).
pub async fn refresh_user_token(State(_q): State<Qiscus>, _call: AppCall) -> ApiResult<Value> {
    Err(ApiError::unauthorized("refresh token invalid"))
}
