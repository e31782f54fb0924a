//! Logging in and out: tickets for tokens, refreshing, the token check, project settings.

use super::auth::{Client, ClientApp};
use crate::TapTalk;
use crate::envelope::{ApiResult, Outcome, Reply};
use crate::params::Params;
use crate::wire::user::UserDto;
use axum::extract::State;
use palaver_core::IssuedTokens;
use serde_json::{Value, json};

fn tokens_reply(t: &TapTalk, tokens: IssuedTokens) -> Value {
    let online = t.core.is_online(tokens.user.app, tokens.user.id);
    json!({
        "accessToken": tokens.access_token,
        "accessTokenExpiry": tokens.access_expires,
        "refreshToken": tokens.refresh_token,
        "refreshTokenExpiry": tokens.refresh_expires,
        "user": UserDto::new(&tokens.user, online, false),
    })
}

/// `auth/access_token/request`: redeems the auth ticket sent as the bearer token.
pub async fn request_token(State(t): State<TapTalk>, client: ClientApp) -> ApiResult<Value> {
    let ticket = client.bearer?;
    let tokens = t.core.redeem_ticket(client.app, &ticket, &client.device, client.from).await?;
    Ok(Reply(tokens_reply(&t, tokens)))
}

/// `auth/access_token/refresh`: new tokens for the refresh token sent as the bearer token.
pub async fn refresh_token(State(t): State<TapTalk>, client: ClientApp) -> ApiResult<Value> {
    let refresh = client.bearer?;
    let tokens = t.core.refresh_session(client.app, &refresh, client.from).await?;
    Ok(Reply(tokens_reply(&t, tokens)))
}

/// `client/logout`: ends the session.
pub async fn logout(State(t): State<TapTalk>, client: Client) -> ApiResult<Outcome> {
    t.core.logout(&client.session).await?;
    Ok(Reply(Outcome::done("Logged out successfully")))
}

/// `client/project_configs`: limits the SDKs read (as strings), with only the App-Key.
pub async fn project_configs(State(t): State<TapTalk>, _app: ClientApp) -> ApiResult<Value> {
    let max_file = t.core.config().max_file_bytes;
    let max_photo = max_file.min(palaver_domain::limits::MAX_PHOTO_BYTES).to_string();
    let max_file = max_file.to_string();
    Ok(Reply(json!({
        "core": {
            "chatMediaMaxFileSize": max_file,
            "roomPhotoMaxFileSize": max_photo,
            "userPhotoMaxFileSize": max_photo,
            "groupMaxParticipants": palaver_domain::limits::MAX_GROUP_PARTICIPANTS.to_string(),
            "channelMaxParticipants": palaver_domain::limits::MAX_CHANNEL_PARTICIPANTS.to_string(),
            "roomMaxPinned": "10",
            "usernameIgnoreCase": "true",
        },
        "project": {},
        "custom": {},
    })))
}

/// `client/push_notification/update`: accepted so SDKs proceed; Palaver sends no push
/// notifications itself.
pub async fn push_token(_client: Client, p: Params) -> ApiResult<Outcome> {
    p.opt_str("fcmToken", "fcmToken")?;
    p.opt_str("apnToken", "apnToken")?;
    Ok(Reply(Outcome::done("Push notification token updated")))
}
