//! Palaver's integration tests: one binary, each test against its own server bound to
//! `127.0.0.1:0` over real sockets, with its own database.

mod change_log;
mod cli;
mod client_support;
mod cluster;
mod crash;
mod process_support;
mod qiscus_auth;
mod qiscus_cross_face;
mod qiscus_input;
mod qiscus_lists;
mod qiscus_messages;
mod qiscus_participants;
mod qiscus_room_lookups;
mod qiscus_rooms;
mod qiscus_system_events;
mod qiscus_user_list;
mod qiscus_users;
mod support;
mod taptalk_client_auth;
mod taptalk_client_messages;
mod taptalk_client_permissions;
mod taptalk_client_rooms;
mod taptalk_client_users;
mod taptalk_client_ws;
mod taptalk_server_contacts;
mod taptalk_server_errors;
mod taptalk_server_messages;
mod taptalk_server_rooms;
mod taptalk_server_users;
mod taptalk_tls;
