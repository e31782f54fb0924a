//! The app's configuration and the user's own account: `config`, `login_or_register`,
//! `my_profile` (GET and PATCH).

use super::{AppCall, UserCall};
use crate::Qiscus;
use crate::envelope::{ApiError, ApiResult, Reply};
use crate::system_user_id;
use crate::validate;
use crate::wire::client::account;
use axum::extract::State;
use palaver_core::PasswordLogin;
use palaver_domain::{UserProfile, limits::MAX_NAME_CHARS};
use serde_json::{Value, json};

/// Where the SDK connects for realtime: the MQTT WebSocket of this server (`wss://` when
/// the public URL is `https://`).
pub fn broker_url(public_url: &str) -> String {
    let ws = match public_url.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}"),
        None => format!("ws://{}", public_url.strip_prefix("http://").unwrap_or(public_url)),
    };
    format!("{ws}/mqtt")
}

/// `config`: where the API and the broker are, and how the SDK should sync. Realtime is on;
/// the SDK polls `sync` every 5 s only while MQTT is down.
pub async fn config(State(q): State<Qiscus>, _call: AppCall) -> ApiResult<Value> {
    let public = q.core.config().public_url.clone();
    Ok(Reply(json!({
        "base_url": public,
        "broker_url": broker_url(&public),
        "broker_lb_url": "",
        "enable_realtime": true,
        "enable_realtime_check": false,
        "enable_sync": true,
        "enable_sync_event": false,
        "enable_event_report": false,
        "sync_interval": 5000,
        "sync_on_connect": 10000,
        "network_connection_interval": 5000,
        "auto_refresh_token": false,
        "enable_refresh_token": false,
        "extras": "{}",
    })))
}

/// The profile fields a login or profile update sets: `username` (or `name`), `avatar_url`,
/// `extras` (an object, or the JSON string the web SDK sends; empty means unchanged).
fn profile(call: &crate::params::Params) -> Result<UserProfile, ApiError> {
    let name = match call.opt_nonempty("username")? {
        Some(n) => Some(n),
        None => call.opt_nonempty("name")?,
    };
    if let Some(n) = &name {
        validate::max_chars(n, "username", MAX_NAME_CHARS)?;
    }
    let avatar = call.opt_nonempty("avatar_url")?;
    let extras = match call.opt_str("extras")? {
        Some(e) if e.trim().is_empty() => None,
        _ => call.opt_object_text("extras")?,
    };
    Ok(UserProfile { fullname: name, photo_thumb: avatar.clone(), photo_full: avatar, extras, ..Default::default() })
}

/// `login_or_register`: the user id (`email`) and its key (`password`); a new user is
/// registered with that key, an existing one must give it.
pub async fn login_or_register(State(q): State<Qiscus>, call: AppCall) -> ApiResult<Value> {
    let p = &call.params;
    let id = validate::new_user_id(p, "email")?;
    if id.as_str() == system_user_id(&call.app_code) {
        return Err(ApiError::bad_request("Param 'email' names the app's system user, which cannot log in"));
    }
    let password = p.req_str("password")?;
    if password.is_empty() {
        return Err(crate::params::required("password"));
    }
    let login = PasswordLogin { id, password, profile: profile(p)? };
    let acc = q.core.password_login(call.app, login, call.from).await.map_err(|e| match e {
        palaver_domain::Error::Unauthorized(_) => ApiError::unauthorized("Wrong password for this user"),
        e => e.into(),
    })?;
    Ok(Reply(json!({"user": account(&acc.user, &acc.token, cursors(&q, &acc.user).await?, &call.app_code)})))
}

/// Where a device of `user` starts syncing from: the newest comment of its rooms, and the
/// newest change.
async fn cursors(q: &Qiscus, user: &palaver_domain::User) -> Result<(i64, i64), ApiError> {
    let last_comment = q.core.latest_message_id(user.id).await?;
    let (last_change, _) = q.core.log_bounds().await?;
    Ok((last_comment.0, last_change.0))
}

/// The answer of a login: the user's account with its token (issued now if it has none).
pub(super) async fn account_answer(q: &Qiscus, user: &palaver_domain::User, app_code: &str) -> ApiResult<Value> {
    let token = q.core.user_token(user.app, palaver_domain::UserRef::Id(user.id)).await?;
    Ok(Reply(json!({"user": account(user, &token, cursors(q, user).await?, app_code)})))
}

/// `my_profile` GET: the caller's account.
pub async fn my_profile(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    Ok(Reply(json!({"user": account(&call.user, &call.token, cursors(&q, &call.user).await?, &call.app_code)})))
}

/// `mqtt_config` (Android): the MQTT credentials to connect with. Palaver's broker needs
/// none (a connection is the user whose token topic it subscribes to); the user's id and
/// token are given so that clients that insist on credentials have some, and the broker
/// accepts whatever CONNECT carries.
pub async fn mqtt_config(State(_q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    Ok(Reply(json!({"username": call.user.external_id, "password": call.token})))
}

/// `my_profile` PATCH: changes the caller's name, avatar or extras.
pub async fn update_profile(State(q): State<Qiscus>, call: UserCall) -> ApiResult<Value> {
    let upsert = palaver_core::UserUpsert {
        id: palaver_domain::ExternalId::parse(call.user.external_id.clone())
            .map_err(|_| ApiError::new(500, "Internal server error"))?,
        profile: profile(&call.params)?,
        name_required: false,
        with_login: false,
        password: None,
    };
    let (user, _) = q.core.upsert_user(call.app, upsert).await?;
    Ok(Reply(json!({"user": account(&user, &call.token, cursors(&q, &user).await?, &call.app_code)})))
}
