//! Users: `login_or_register`, `user_profile`, `get_user_token`, `reset_user_token`,
//! `get_user_list`, `deactivate_users`, `reactivate_users`.

use crate::Qiscus;
use crate::auth::QiscusApp;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::params::Params;
use crate::system_user_id;
use crate::validate::{self, Paging};
use crate::wire::user::{ListedUserDto, UserDto};
use axum::extract::State;
use palaver_core::UserUpsert;
use palaver_domain::{ExternalId, UserOrder, UserProfile, UserQuery};
use serde_json::{Value, json};

/// Longest display name.
const MAX_USERNAME_CHARS: usize = 255;

/// `login_or_register`: creates the user, or updates its profile (and password, if given).
pub async fn login_or_register(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let user_id = validate::new_user_id(&p, "user_id")?;
    if user_id.as_str() == system_user_id(&auth.app_code) {
        return Err(ApiError::bad_request("Param 'user_id' names the app's system user, which cannot log in"));
    }
    let username = p.opt_nonempty("username")?;
    if let Some(name) = &username {
        validate::max_chars(name, "username", MAX_USERNAME_CHARS)?;
    }
    let avatar_url = p.opt_str("avatar_url")?;
    let upsert = UserUpsert {
        id: user_id,
        profile: UserProfile {
            fullname: username,
            photo_thumb: avatar_url.clone(),
            photo_full: avatar_url,
            extras: p.opt_object_text("extras")?,
            ..UserProfile::default()
        },
        name_required: true,
        with_login: true,
        password: p.opt_nonempty("password")?,
    };
    let (user, _) = q.core.upsert_user(auth.app, upsert).await?;
    Ok(Reply(json!({"user": UserDto::new(&user)})))
}

/// `user_profile`: one user.
pub async fn user_profile(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let user = q.core.user(auth.app, validate::user_ref(&p, "user_id")?).await?;
    Ok(Reply(json!({"user": UserDto::new(&user)})))
}

/// `get_user_token`: the user's token, issued on first request.
pub async fn get_user_token(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let token = q.core.user_token(auth.app, validate::user_ref(&p, "user_id")?).await?;
    Ok(Reply(json!({ "token": token })))
}

/// `reset_user_token`: a new token; the old one stops working.
pub async fn reset_user_token(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let token = q.core.reset_user_token(auth.app, validate::user_ref(&p, "user_id")?).await?;
    Ok(Reply(json!({ "token": token })))
}

/// Reads `order_query` (`created_at desc nulls last` and the like) into a safe ordering:
/// one of `created_at`, `updated_at`, `username`/`name`, `email`/`user_id`, optionally
/// `asc` or `desc`; a `nulls first|last` tail is accepted and has no effect.
fn order(query: Option<String>) -> Result<UserOrder, ApiError> {
    let Some(query) = query else {
        return Ok(UserOrder::CreatedDesc);
    };
    let mut words: Vec<String> = query.split_whitespace().map(str::to_ascii_lowercase).collect();
    let n = words.len();
    if n >= 2 && words[n - 2] == "nulls" && matches!(words[n - 1].as_str(), "first" | "last") {
        words.truncate(n - 2);
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let desc = match words.get(1).copied() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(bad_order()),
    };
    if words.len() > 2 {
        return Err(bad_order());
    }
    Ok(match (words.first().copied(), desc) {
        (Some("created_at"), false) => UserOrder::CreatedAsc,
        (Some("created_at"), true) => UserOrder::CreatedDesc,
        (Some("updated_at"), false) => UserOrder::UpdatedAsc,
        (Some("updated_at"), true) => UserOrder::UpdatedDesc,
        (Some("username" | "name"), false) => UserOrder::FullnameAsc,
        (Some("username" | "name"), true) => UserOrder::FullnameDesc,
        (Some("email" | "user_id"), false) => UserOrder::ExternalIdAsc,
        (Some("email" | "user_id"), true) => UserOrder::ExternalIdDesc,
        _ => return Err(bad_order()),
    })
}

fn bad_order() -> ApiError {
    ApiError::bad_request(
        "Param 'order_query' must be a field (created_at, updated_at, username or email) \
         optionally followed by asc or desc",
    )
}

/// `get_user_list`: a page of users with `meta.total_data` and `meta.total_page`;
/// deactivated users only with `show_all`.
pub async fn get_user_list(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    let paging = Paging::read(&p, 20, 100)?;
    let order = order(p.opt_nonempty("order_query")?)?;
    let show_all = p.opt_bool("show_all")?.unwrap_or(false);
    let query = UserQuery {
        offset: paging.offset(),
        limit: paging.limit,
        order,
        include_inactive: show_all,
        except: ExternalId::parse(system_user_id(&auth.app_code)).ok(),
        containing: None,
    };
    let (users, total) = q.core.user_page(auth.app, query).await?;
    let total_page = (total + paging.limit - 1) / paging.limit;
    let users: Vec<ListedUserDto> = users.iter().map(ListedUserDto::new).collect();
    Ok(Reply(json!({
        "meta": {"total_data": total, "total_page": total_page},
        "users": users,
    })))
}

async fn set_active(q: Qiscus, auth: QiscusApp, p: Params, active: bool) -> ApiResult<Value> {
    let ids = validate::user_refs(&p, "user_ids")?;
    let users = q.core.set_users_active(auth.app, ids, active).await?;
    let verb = if active { "reactivated" } else { "deactivated" };
    let users: Vec<UserDto> = users.iter().map(UserDto::new).collect();
    let noun = if users.len() == 1 { "user" } else { "users" };
    Ok(Reply(json!({
        "message": format!("Successfully {verb} {} {noun}", users.len()),
        "users": users,
    })))
}

/// `deactivate_users`: marks users inactive (hidden from the user list without `show_all`).
pub async fn deactivate_users(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    set_active(q, auth, p, false).await
}

/// `reactivate_users`: marks users active again.
pub async fn reactivate_users(State(q): State<Qiscus>, auth: QiscusApp, p: Params) -> ApiResult<Value> {
    set_active(q, auth, p, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_queries_map_to_whitelisted_orderings() {
        let o = |s: &str| order(Some(s.to_string()));
        assert_eq!(o("created_at desc nulls last").unwrap(), UserOrder::CreatedDesc);
        assert_eq!(o("CREATED_AT").unwrap(), UserOrder::CreatedAsc);
        assert_eq!(o("username asc").unwrap(), UserOrder::FullnameAsc);
        assert_eq!(o("email desc").unwrap(), UserOrder::ExternalIdDesc);
        assert_eq!(order(None).unwrap(), UserOrder::CreatedDesc);
        for bad in ["id; drop table users", "created_at sideways", "password asc", "a b c"] {
            assert!(o(bad).is_err(), "{bad}");
        }
    }
}
