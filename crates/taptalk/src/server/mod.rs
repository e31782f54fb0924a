//! The Server API a customer's backend calls with its `Server-Key`.

pub mod auth;
mod contacts;
mod messages;
mod rooms;
mod users;

use crate::TapTalk;
use axum::Router;
use axum::routing::post;

/// Routes under `/v1/server`.
pub fn routes() -> Router<TapTalk> {
    Router::new()
        .route("/v1/server/user/update", post(users::update))
        .route("/v1/server/user/get", post(users::get))
        .route("/v1/server/user/delete", post(users::delete))
        .route("/v1/server/auth_ticket/request", post(users::request_ticket))
        .route("/v1/server/contact/sync", post(contacts::sync))
        .route("/v1/server/message/send/custom", post(messages::send_custom))
        .route("/v1/server/room/create_or_update", post(rooms::create_or_update))
        .route("/v1/server/room/get", post(rooms::get))
        .route("/v1/server/room/participants/add", post(rooms::add_participants))
        .route("/v1/server/room/participants/remove", post(rooms::remove_participants))
        .route("/v1/server/room/get_list_by_user", post(rooms::list_by_user))
        .route("/v1/server/room/lock", post(rooms::lock))
        .route("/v1/server/room/unlock", post(rooms::unlock))
}
