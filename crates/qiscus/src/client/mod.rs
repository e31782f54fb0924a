//! The client API the Qiscus SDKs call with a user's token: `/api/v2/sdk/` (web) and the same
//! actions under `/api/v2/mobile/` (Android, Flutter). Realtime goes over MQTT (`crate::mqtt`).
//!
//! Every call names its app with `QISCUS-SDK-APP-ID` (the underscore form too); calls after
//! login carry the user's token in `QISCUS-SDK-TOKEN` or a `token` parameter.

mod account;
mod comments;
mod devices;
mod edits;
mod events;
mod groups;
mod identity;
mod rooms;
mod search;
mod upload;
mod users;

use crate::Qiscus;
use crate::auth::header_value;
use crate::envelope::ApiError;
use crate::params::Params;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use palaver_domain::{AppId, User};
use std::net::{IpAddr, SocketAddr};

/// The path prefixes of the client API: web, and Android and Flutter.
pub const PREFIXES: [&str; 2] = ["/api/v2/sdk", "/api/v2/mobile"];

/// Header naming the app.
const APP_ID: &str = "qiscus-sdk-app-id";
/// Header carrying the user's token.
const TOKEN: &str = "qiscus-sdk-token";

/// Routes under both [`PREFIXES`].
pub fn routes() -> Router<Qiscus> {
    let mut router = Router::new();
    for prefix in PREFIXES {
        let r = |name: &str| format!("{prefix}/{name}");
        router = router
            .route(&r("config"), get(account::config))
            .route(&r("mqtt_config"), get(account::mqtt_config))
            .route(&r("login_or_register"), post(account::login_or_register))
            .route(&r("auth/nonce"), post(identity::nonce))
            .route(&r("auth/verify_identity_token"), post(identity::verify_identity_token))
            .route(&r("my_profile"), get(account::my_profile).patch(account::update_profile))
            .route(&r("user_rooms"), get(rooms::user_rooms))
            .route(&r("rooms_info"), post(rooms::rooms_info).get(rooms::rooms_info))
            .route(&r("total_unread_count"), get(rooms::total_unread_count))
            .route(&r("get_room_unread_count"), get(rooms::get_room_unread_count))
            .route(&r("create_room"), post(groups::create_room))
            .route(&r("update_room"), post(groups::update_room))
            .route(&r("add_room_participants"), post(groups::add_room_participants))
            .route(&r("remove_room_participants"), post(groups::remove_room_participants))
            .route(&r("room_participants"), get(groups::room_participants))
            .route(
                &r("get_or_create_room_with_unique_id"),
                post(groups::get_or_create_room_with_unique_id).get(groups::get_or_create_room_with_unique_id),
            )
            .route(&r("get_room_by_id"), get(rooms::get_room_by_id))
            .route(
                &r("get_or_create_room_with_target"),
                post(rooms::get_or_create_room_with_target).get(rooms::get_or_create_room_with_target),
            )
            .route(&r("post_comment"), post(comments::post_comment))
            .route(&r("load_comments"), get(comments::load_comments))
            .route(&r("update_comment_status"), post(comments::update_comment_status))
            .route(&r("comment_receipt"), get(comments::comment_receipt))
            .route(&r("sync"), get(comments::sync))
            .route(&r("sync_event"), get(events::sync_event))
            .route(&r("update_message"), post(edits::update_message))
            .route(&r("delete_messages"), delete(edits::delete_messages).post(edits::delete_messages))
            .route(&r("clear_room_messages"), delete(edits::clear_room_messages).post(edits::clear_room_messages))
            .route(&r("get_user_list"), get(users::get_user_list))
            .route(&r("block_user"), post(users::block_user))
            .route(&r("unblock_user"), post(users::unblock_user))
            .route(&r("get_blocked_users"), get(users::get_blocked_users))
            .route(&r("users/status"), post(users::users_status))
            .route(&r("logout"), post(users::logout))
            .route(&r("expire_user_token"), post(users::expire_user_token))
            .route(&r("refresh_user_token"), post(users::refresh_user_token))
            .route(&r("set_user_device_token"), post(devices::set_user_device_token))
            .route(&r("remove_user_device_token"), post(devices::remove_user_device_token))
            .route(&r("upload"), post(upload::upload))
            .route(&r("search_messages"), post(search::search_messages).get(search::search_messages))
            .route(&r("search"), post(search::search).get(search::search))
            .route(&r("file_list"), post(search::file_list).get(search::file_list));
    }
    router
}

pub use upload::is_upload;

/// The caller's address, for counting failed logins.
fn peer(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// The app a request names in `QISCUS-SDK-APP-ID`, and that id.
async fn app_of(q: &Qiscus, parts: &Parts) -> Result<(AppId, String), ApiError> {
    let Some(app_code) = header_value(&parts.headers, APP_ID) else {
        return Err(ApiError::unauthorized("Header QISCUS-SDK-APP-ID is required"));
    };
    match q.core.app_of_key(crate::SECRET.name, &app_code).await {
        Some(app) => {
            // The server's request log names the app.
            tracing::Span::current().record("app", app.0);
            q.core.app_open(app)?;
            Ok((app, app_code))
        }
        None => Err(ApiError::unauthorized("Unknown QISCUS-SDK-APP-ID")),
    }
}

/// A call naming its app, before login: the app and the parameters.
pub struct AppCall {
    /// The app.
    pub app: AppId,
    /// Its Qiscus app id, as sent.
    pub app_code: String,
    /// The caller's address.
    pub from: Option<IpAddr>,
    /// The parameters (query and body).
    pub params: Params,
}

impl FromRequest<Qiscus> for AppCall {
    type Rejection = ApiError;

    async fn from_request(req: Request, q: &Qiscus) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let (app, app_code) = app_of(q, &parts).await?;
        let from = peer(&parts);
        let params = Params::from_request(Request::from_parts(parts, body), q).await?;
        Ok(AppCall { app, app_code, from, params })
    }
}

/// A call of a logged-in user: its app, the user (by token) and the parameters.
pub struct UserCall {
    /// The app.
    pub app: AppId,
    /// Its Qiscus app id, as sent.
    pub app_code: String,
    /// The user the token belongs to.
    pub user: User,
    /// The token.
    pub token: String,
    /// The parameters (query and body).
    pub params: Params,
}

impl FromRequest<Qiscus> for UserCall {
    type Rejection = ApiError;

    async fn from_request(req: Request, q: &Qiscus) -> Result<Self, ApiError> {
        let header_token = header_value(req.headers(), TOKEN);
        let AppCall { app, app_code, from, params } = AppCall::from_request(req, q).await?;
        let token = match header_token {
            Some(t) => t,
            None => params.opt_nonempty("token")?.ok_or_else(|| ApiError::unauthorized("Unauthorized"))?,
        };
        let user = q.core.user_by_token(Some(app), &token, from).await?;
        Ok(UserCall { app, app_code, user, token, params })
    }
}
