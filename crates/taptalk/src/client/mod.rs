//! The client API the TapTalk SDKs call with their `App-Key` and access token.

pub mod auth;
mod contacts;
mod files;
mod message_marks;
pub mod messages;
mod profiles;
mod reports;
mod room_state;
mod rooms;
mod scheduled;
mod session;
mod users;

use crate::TapTalk;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// Where files are uploaded; its body is streamed, not read whole first.
pub const UPLOAD_PATH: &str = "/v1/chat/file/upload";
/// Where users upload profile photos; streamed like [`UPLOAD_PATH`].
pub const USER_PHOTO_UPLOAD_PATH: &str = "/v1/client/user/photo/upload";
/// Where admins upload group photos; streamed like [`UPLOAD_PATH`].
pub const ROOM_PHOTO_UPLOAD_PATH: &str = "/v1/client/room/photo/upload";
/// Every route whose body is streamed.
pub const STREAMED_PATHS: [&str; 3] = [UPLOAD_PATH, USER_PHOTO_UPLOAD_PATH, ROOM_PHOTO_UPLOAD_PATH];

/// Routes under `/v1/auth`, `/v1/client` and `/v1/chat`, and the public file URLs.
pub fn routes(max_upload_bytes: usize) -> Router<TapTalk> {
    let max_photo_bytes = usize::try_from(palaver_domain::limits::MAX_PHOTO_BYTES).unwrap_or(usize::MAX);
    let photo_body = DefaultBodyLimit::max(max_upload_bytes.min(max_photo_bytes).saturating_add(64 * 1024));
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
        .route("/v1/client/user/exists/username", post(profiles::username_exists))
        .route("/v1/client/user/update_bio", post(profiles::update_bio))
        .route(USER_PHOTO_UPLOAD_PATH, post(profiles::upload_user_photo).layer(photo_body))
        .route("/v1/client/user/photo/get_list", post(profiles::photo_list))
        .route("/v1/client/user/photo/set_main", post(profiles::set_main_photo))
        .route("/v1/client/user/photo/delete", post(profiles::delete_photo))
        .route(ROOM_PHOTO_UPLOAD_PATH, post(profiles::upload_room_photo).layer(photo_body))
        .route("/v1/client/chat_report/submit_user", post(reports::submit_user))
        .route("/v1/client/chat_report/submit_message", post(reports::submit_message))
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
        .route("/v1/client/room/groups_in_common", post(room_state::groups_in_common))
        .route("/v1/client/room/mute", post(room_state::mute))
        .route("/v1/client/room/unmute", post(room_state::unmute))
        .route("/v1/client/room/get_muted_room_ids", post(room_state::muted_ids))
        .route("/v1/client/room/pin", post(room_state::pin))
        .route("/v1/client/room/unpin", post(room_state::unpin))
        .route("/v1/client/room/get_pinned_room_ids", post(room_state::pinned_ids))
        .route("/v1/client/room/mark_as_unread", post(room_state::mark_as_unread))
        .route("/v1/client/room/get_unread_room_ids", post(room_state::unread_ids))
        .route("/v1/client/room/clear_chat", post(room_state::clear_chat))
        .route("/v1/client/room/get_room_ids_with_state", post(room_state::with_state))
        .route("/v1/chat/room/get_shared_content", post(message_marks::shared_content))
        .route("/v1/chat/message/room_list_and_unread", post(messages::room_list_and_unread))
        .route("/v1/chat/message/new_and_updated", post(messages::new_and_updated))
        .route("/v1/chat/message/list_by_room/before", post(messages::before))
        .route("/v1/chat/message/list_by_room/after", post(messages::after))
        .route("/v1/chat/message/feedback/delivered", post(messages::delivered))
        .route("/v1/chat/message/feedback/read", post(messages::read))
        .route("/v1/chat/message/delete", post(messages::delete))
        .route("/v1/chat/message/send/custom", post(messages::send_custom))
        .route("/v1/chat/message/star", post(message_marks::star))
        .route("/v1/chat/message/unstar", post(message_marks::unstar))
        .route("/v1/chat/message/get_starred_ids", post(message_marks::starred_ids))
        .route("/v1/chat/message/get_starred_list", post(message_marks::starred_list))
        .route("/v1/chat/message/pin", post(message_marks::pin))
        .route("/v1/chat/message/unpin", post(message_marks::unpin))
        .route("/v1/chat/message/get_pinned_ids", post(message_marks::pinned_ids))
        .route("/v1/chat/message/get_pinned_list", post(message_marks::pinned_list))
        .route("/v1/chat/message/get_total_read", post(message_marks::total_read))
        .route("/v1/chat/message/get_details", post(message_marks::details))
        .route("/v1/chat/scheduled_message/create", post(scheduled::create))
        .route("/v1/chat/scheduled_message/get_scheduled_list", post(scheduled::list))
        .route("/v1/chat/scheduled_message/send_now", post(scheduled::send_now))
        .route("/v1/chat/scheduled_message/delete", post(scheduled::delete))
        .route("/v1/chat/scheduled_message/edit_scheduled_time", post(scheduled::edit_time))
        .route("/v1/chat/scheduled_message/edit_content", post(scheduled::edit_content))
        .route(
            UPLOAD_PATH,
            post(files::upload).layer(DefaultBodyLimit::max(max_upload_bytes.saturating_add(64 * 1024))),
        )
        .route("/v1/chat/file/download", post(files::download))
        .route("/v1/files/{id}", get(files::public))
}
