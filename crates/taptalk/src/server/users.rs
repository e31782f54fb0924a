//! `/v1/server/user/*` and `/v1/server/auth_ticket/request`.

use super::auth::ServerApp;
use crate::TapTalk;
use crate::envelope::{ApiError, ApiResult, Outcome, ParamNames, Reply};
use crate::params::Params;
use crate::wire::user::UserDto;
use axum::extract::State;
use palaver_core::UserUpsert;
use palaver_domain::{ExternalId, Field, UserProfile, UserRef};
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

/// How core errors name the profile parameters.
const PROFILE_PARAMS: ParamNames = &[
    (Field::User, "xcUserID", "105"),
    (Field::DisplayName, "fullName", "106"),
    (Field::Email, "email", "107"),
    (Field::Phone, "phone", "108"),
    (Field::Username, "username", "109"),
    (Field::PhotoThumb, "photoThumbnailURL", "110"),
    (Field::PhotoFull, "photoFullsizeURL", "111"),
    (Field::RoleCode, "userRoleCode", "112"),
];

fn field(name: &str) -> &'static str {
    PROFILE_FIELDS.iter().find(|(n, _)| *n == name).map_or("", |(_, f)| f)
}

/// Reads `xcUserID` and the profile fields.
fn profile(p: &Params) -> Result<(ExternalId, UserProfile), ApiError> {
    let xc = p.req_external_id("xcUserID", field("xcUserID"))?;
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
fn xc_user(p: &Params) -> Result<UserRef, ApiError> {
    Ok(UserRef::External(p.req_external_id("xcUserID", "101")?))
}

/// `user/update`: creates the user when the xcUserID is new, otherwise updates the profile.
pub async fn update(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let (id, profile) = profile(&p)?;
    let upsert = UserUpsert { id, profile, name_required: true, with_login: false, password: None };
    let (user, _) = t.core.upsert_user(app, upsert).await.map_err(|e| ApiError::from_core(e, PROFILE_PARAMS))?;
    let online = t.core.is_online(app, user.id);
    Ok(Reply(json!({"userID": user.id.0.to_string(), "user": UserDto::new(&user, online, false)})))
}

/// `user/get`: a user by xcUserID.
pub async fn get(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    let user = t.core.user(app, xc_user(&p)?).await?;
    let online = t.core.is_online(app, user.id);
    Ok(Reply(json!({"user": UserDto::new(&user, online, false)})))
}

/// `user/delete`: deletes a user.
pub async fn delete(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Outcome> {
    t.core.delete_user(app, xc_user(&p)?).await?;
    Ok(Reply(Outcome::done("The user has been deleted successfully")))
}

/// `auth_ticket/request`: creates or updates the user and issues a one-hour, single-use
/// ticket its client exchanges for an access token.
pub async fn request_ticket(State(t): State<TapTalk>, ServerApp(app): ServerApp, p: Params) -> ApiResult<Value> {
    for name in ["userIPAddress", "userAgent", "userPlatform", "userDeviceID"] {
        p.opt_str(name, field(name))?;
    }
    let (id, profile) = profile(&p)?;
    let (ticket, user) =
        t.core.issue_ticket(app, id, profile).await.map_err(|e| ApiError::from_core(e, PROFILE_PARAMS))?;
    Ok(Reply(json!({"ticket": ticket, "userID": user.id.0.to_string()})))
}
