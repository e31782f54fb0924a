//! `/v1/server/user/*` and `/v1/server/auth_ticket/request`.

use super::auth::ServerApp;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, Reply};
use crate::params::{Params, check_len};
use crate::wire::user::UserDto;
use axum::extract::State;
use palaver_domain::UserProfile;
use palaver_domain::limits::MAX_EXTERNAL_ID_CHARS;
use serde_json::{Value, json};

/// Field ids of the user profile parameters, shared by `user/update` and `auth_ticket/request`.
const PROFILE_FIELDS: &[(&str, &str)] = &[
    ("userIPAddress", "101"),
    ("userAgent", "102"),
    ("userPlatform", "103"),
    ("userDeviceID", "104"),
    ("xcUserID", "105"),
    ("fullName", "106"),
    ("email", "107"),
    ("phone", "108"),
    ("username", "109"),
    ("photoThumbnailURL", "110"),
    ("photoFullsizeURL", "111"),
    ("userRoleCode", "112"),
];

fn field(name: &str) -> &'static str {
    PROFILE_FIELDS.iter().find(|(n, _)| *n == name).map_or("", |(_, f)| f)
}

/// Reads `xcUserID` and the profile fields.
fn profile(p: &Params) -> Result<(String, UserProfile), ApiError> {
    let xc = p.req_str("xcUserID", field("xcUserID"))?;
    check_len(&xc, "xcUserID", field("xcUserID"), 1, MAX_EXTERNAL_ID_CHARS)?;
    let fullname = p.req_str("fullName", field("fullName"))?;
    let opt = |name: &str| p.opt_str(name, field(name));
    Ok((
        xc,
        UserProfile {
            fullname: Some(fullname),
            email: opt("email")?,
            phone: opt("phone")?,
            username: opt("username")?,
            photo_thumb: opt("photoThumbnailURL")?,
            photo_full: opt("photoFullsizeURL")?,
            role_code: opt("userRoleCode")?,
            ..UserProfile::default()
        },
    ))
}

/// Reads a lone `xcUserID` (field 101), as `user/get` and `user/delete` take it.
fn xc_user_id(p: &Params) -> Result<String, ApiError> {
    let xc = p.req_str("xcUserID", "101")?;
    check_len(&xc, "xcUserID", "101", 1, MAX_EXTERNAL_ID_CHARS)?;
    Ok(xc)
}

/// `user/update`: creates the user when the xcUserID is new, otherwise updates the profile.
pub async fn update(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let (xc, profile) = profile(&p)?;
    let (user, _) = t.core.upsert_user(app, &xc, profile).await.map_err(|e| ApiError::from_core(e, PROFILE_FIELDS))?;
    let online = t.core.is_online(app, user.id);
    Ok(Reply(json!({"userID": user.id.0.to_string(), "user": UserDto::new(&user, online, false)})))
}

/// `user/get`: a user by xcUserID.
pub async fn get(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let xc = xc_user_id(&p)?;
    let user = t.core.user_by_xc(app, &xc).await?;
    let online = t.core.is_online(app, user.id);
    Ok(Reply(json!({"user": UserDto::new(&user, online, false)})))
}

/// `user/delete`: deletes a user.
pub async fn delete(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Outcome> {
    let xc = xc_user_id(&p)?;
    t.core.delete_user(app, &xc).await?;
    Ok(Reply(Outcome::done("The user has been deleted successfully")))
}

/// `auth_ticket/request`: creates or updates the user and issues a one-hour, single-use
/// ticket its client exchanges for an access token.
pub async fn request_ticket(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    for name in ["userIPAddress", "userAgent", "userPlatform", "userDeviceID"] {
        p.opt_str(name, field(name))?;
    }
    let (xc, profile) = profile(&p)?;
    let (ticket, user) =
        t.core.issue_auth_ticket(app, &xc, profile).await.map_err(|e| ApiError::from_core(e, PROFILE_FIELDS))?;
    Ok(Reply(json!({"ticket": ticket, "userID": user.id.0.to_string()})))
}
