//! The Server REST API v2.1 a customer's backend calls with the app's secret key, under
//! `/api/v2.1/rest/`. Read and get-or-create endpoints answer GET and POST alike, because
//! real clients use either (notes section 1.3); `deactivate_users` answers DELETE and POST.

mod lists;
mod messages;
mod participants;
mod rooms;
mod users;
mod webhooks;

use crate::Qiscus;
use axum::Router;
use axum::routing::{delete, get, post};

/// The path prefix of every Server API endpoint.
pub const PREFIX: &str = "/api/v2.1/rest";

/// Routes under [`PREFIX`].
pub fn routes() -> Router<Qiscus> {
    let r = |name: &str| format!("{PREFIX}/{name}");
    Router::new()
        .route(&r("login_or_register"), post(users::login_or_register))
        .route(&r("user_profile"), get(users::user_profile).post(users::user_profile))
        .route(&r("get_user_token"), get(users::get_user_token).post(users::get_user_token))
        .route(&r("reset_user_token"), post(users::reset_user_token))
        .route(&r("get_user_list"), get(users::get_user_list).post(users::get_user_list))
        .route(&r("deactivate_users"), delete(users::deactivate_users).post(users::deactivate_users))
        .route(&r("reactivate_users"), post(users::reactivate_users))
        .route(&r("create_room"), post(rooms::create_room))
        .route(&r("update_room"), post(rooms::update_room))
        .route(
            &r("get_or_create_room_with_target"),
            get(rooms::get_or_create_room_with_target).post(rooms::get_or_create_room_with_target),
        )
        .route(&r("get_or_create_channel"), get(rooms::get_or_create_channel).post(rooms::get_or_create_channel))
        .route(&r("get_rooms_info"), get(rooms::get_rooms_info).post(rooms::get_rooms_info))
        .route(&r("add_room_participants"), post(participants::add_room_participants))
        .route(&r("remove_room_participants"), post(participants::remove_room_participants))
        .route(
            &r("get_room_participants"),
            get(participants::get_room_participants).post(participants::get_room_participants),
        )
        .route(&r("get_user_rooms"), get(lists::get_user_rooms).post(lists::get_user_rooms))
        .route(&r("get_unread_count"), get(lists::get_unread_count).post(lists::get_unread_count))
        .route(&r("get_unread_users"), get(lists::get_unread_users).post(lists::get_unread_users))
        .route(&r("get_user_unread_count"), get(lists::get_user_unread_count).post(lists::get_user_unread_count))
        .route(
            &r("load_comments_with_range"),
            get(messages::load_comments_with_range).post(messages::load_comments_with_range),
        )
        .route(&r("broadcast"), post(messages::broadcast))
        .route(
            &r("get_average_reply_time_user"),
            get(lists::get_average_reply_time_user).post(lists::get_average_reply_time_user),
        )
        .route(&r("webhook_logs"), get(webhooks::webhook_logs).post(webhooks::webhook_logs))
        .route(&r("post_comment"), post(messages::post_comment))
        .route(&r("load_comments"), get(messages::load_comments).post(messages::load_comments))
        .route(&r("post_system_event_message"), post(messages::post_system_event_message))
}
