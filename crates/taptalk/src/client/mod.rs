//! The client API the TapTalk SDKs call with their `App-Key` and access token.

pub mod auth;
mod contacts;
mod files;
pub mod messages;
mod rooms;
mod session;
mod users;

use crate::TapTalk;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// Where files are uploaded; its body is streamed, not read whole first.
pub const UPLOAD_PATH: &str = "/v1/chat/file/upload";

/// Routes under `/v1/auth`, `/v1/client` and `/v1/chat`, and the public file URLs.
pub fn routes(max_upload_bytes: usize) -> Router<TapTalk> {
    Router::new()
        .route("/v1/auth/access_token/request", post(session::request_token))
        .route("/v1/auth/access_token/refresh", post(session::refresh_token))
        .route("/v1/client/logout", post(session::logout))
        .route("/v1/client/project_configs", post(session::project_configs))
        .route("/v1/client/push_notification/update", post(session::push_token))
        .route("/v1/client/user/get_by_id", post(users::get_by_id))
        .route("/v1/client/user/get_by_xcuserid", post(users::get_by_xc_user_id))
        .route("/v1/client/user/get_by_username", post(users::get_by_username))
        .route("/v1/client/user/get_all_by_ids", post(users::get_all_by_ids))
        .route("/v1/client/contact/list", post(contacts::list))
        .route("/v1/client/contact/add", post(contacts::add))
        .route("/v1/client/contact/add_by_phones", post(contacts::add_by_phones))
        .route("/v1/client/contact/remove", post(contacts::remove))
        .route("/v1/client/contact/block", post(contacts::block))
        .route("/v1/client/contact/unblock", post(contacts::unblock))
        .route("/v1/client/contact/get_blocked_list", post(contacts::blocked_list))
        .route("/v1/client/contact/get_blocked_user_ids", post(contacts::blocked_ids))
        .route("/v1/client/room/create", post(rooms::create))
        .route("/v1/client/room/get", post(rooms::get))
        .route("/v1/client/room/get_by_xc_room_id", post(rooms::get_by_xc_room_id))
        .route("/v1/client/room/update", post(rooms::update))
        .route("/v1/client/room/delete", post(rooms::delete))
        .route("/v1/client/room/leave", post(rooms::leave))
        .route("/v1/client/room/participants/add", post(rooms::add_participants))
        .route("/v1/client/room/participants/remove", post(rooms::remove_participants))
        .route("/v1/client/room/admins/promote", post(rooms::promote))
        .route("/v1/client/room/admins/demote", post(rooms::demote))
        .route("/v1/chat/message/room_list_and_unread", post(messages::room_list_and_unread))
        .route("/v1/chat/message/new_and_updated", post(messages::new_and_updated))
        .route("/v1/chat/message/list_by_room/before", post(messages::before))
        .route("/v1/chat/message/list_by_room/after", post(messages::after))
        .route("/v1/chat/message/feedback/delivered", post(messages::delivered))
        .route("/v1/chat/message/feedback/read", post(messages::read))
        .route("/v1/chat/message/delete", post(messages::delete))
        .route("/v1/chat/message/send/custom", post(messages::send_custom))
        .route(
            UPLOAD_PATH,
            post(files::upload).layer(DefaultBodyLimit::max(max_upload_bytes.saturating_add(64 * 1024))),
        )
        .route("/v1/chat/file/download", post(files::download))
        .route("/v1/files/{id}", get(files::public))
}
